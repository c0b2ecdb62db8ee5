"""Marking a campaign's provisional result stale and scheduling one recompute.

Every score-affecting change calls ``mark_stale`` inside its own transaction. The version
bump is part of that transaction, so the database always knows the result is stale even
if Redis or the worker is down; the enqueue happens only after the commit succeeds
(a task must never read data that was rolled back), and bursts are coalesced with a short
Redis key so many quick edits cause one recompute. The periodic sweep re-enqueues any
campaign still stale, which covers a lost message or a crash between commit and enqueue.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Campaign
from ..models.base import utcnow
from ..redis_client import get_redis

log = logging.getLogger(__name__)
_PENDING_KEY = "thidua:recompute-pending:{}"


def mark_stale(campaign_id: int) -> None:
    """Bump the campaign's inputs version now; enqueue a recompute after commit."""
    db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            inputs_version=Campaign.inputs_version + 1,
            stale_since=sa.func.coalesce(Campaign.stale_since, utcnow()),
        )
    )
    pending = db.session.info.setdefault("thidua_recompute", set())
    pending.add(campaign_id)


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    pending = session.info.pop("thidua_recompute", None)
    for campaign_id in sorted(pending or ()):
        enqueue_recompute(campaign_id)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop("thidua_recompute", None)


def enqueue_recompute(campaign_id: int, *, coalesce: bool = True) -> bool:
    """Send one recompute; return False when the pipeline is down (the sweep will retry)."""
    from ..tasks import recompute_campaign

    delay = current_app.config.get("RECOMPUTE_COALESCE_SECONDS", 0.5)
    try:
        if coalesce and delay > 0:
            # Only the first change in a burst enqueues; the task runs after the burst.
            if not get_redis().set(_PENDING_KEY.format(campaign_id), 1, nx=True, px=int(delay * 1000)):
                return True
        recompute_campaign.apply_async(args=[campaign_id], countdown=delay if coalesce else 0,
                                       retry=False)
        return True
    except Exception as exc:  # noqa: BLE001 - redis-py and kombu raise many kinds; the sweep recovers
        log.warning("recompute of campaign %s not enqueued (%s); the sweep will pick it up",
                    campaign_id, exc)
        return False
