"""Marking a campaign's provisional result stale and scheduling one recompute.

Every score-affecting change calls ``mark_stale`` inside its own transaction. The version
bump is part of that transaction, so the database always knows the result is stale even
if Redis or the worker is down; the enqueue happens only after the commit succeeds
(a task must never read data that was rolled back), and bursts are coalesced with short
Redis keys (:func:`enqueue_recompute`): a change after a quiet spell is recomputed at once, the
changes that follow within the window by one recompute at its end, so many quick edits cause
few recomputes. The periodic sweep re-enqueues any campaign still stale, which covers a lost
message or a crash between commit and enqueue.

A change tied to a few entries names them (``entries=[…]``): just before the commit their
rows in the recompute's ledger (:mod:`.ledger`) are rewritten in the same transaction, so
the worker reads per-node subtotals instead of every value. A change that names no entries
(settings, framework, participants) marks the whole ledger for a rebuild — the safe default.
``entries=()`` says no entry's points changed (clusters, bands, council overrides).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from campaign.extensions import db
from campaign.models import Campaign
from campaign.models.base import utcnow
from campaign.redis_client import get_redis
from campaign.services.results import queue
from campaign.services.results.ledger import refresh_entries

log = logging.getLogger(__name__)
_WINDOW_KEY = "thidua:recompute-window:{}"  # a recompute was sent within the window (not quiet)
_TRAILING_KEY = "thidua:recompute-pending:{}"  # a recompute at the window's end is already queued


def mark_stale(campaign_id: int, entries: Iterable[int] | None = None) -> None:
    """Bump the campaign's inputs version now; refresh the ledger at commit; enqueue after it."""
    values = {"inputs_version": Campaign.inputs_version + 1,
              "stale_since": sa.func.coalesce(Campaign.stale_since, utcnow())}
    if entries is None:
        values["ledger_stale"] = True
    db.session.execute(sa.update(Campaign).where(Campaign.id == campaign_id).values(**values))
    db.session.info.setdefault("thidua_recompute", set()).add(campaign_id)
    if entries:
        db.session.info.setdefault("thidua_ledger", {}).setdefault(campaign_id, set()).update(entries)


def changes_pending() -> bool:
    """Whether this transaction marked a campaign stale and has not committed yet."""
    return bool(db.session.info.get("thidua_recompute"))


@event.listens_for(Session, "before_commit")
def _refresh_ledger_before_commit(session: Session) -> None:
    pending = session.info.pop("thidua_ledger", None)
    for campaign_id, entry_ids in sorted((pending or {}).items()):
        refresh_entries(campaign_id, entry_ids)


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    pending = session.info.pop("thidua_recompute", None)
    for campaign_id in sorted(pending or ()):
        enqueue_recompute(campaign_id)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop("thidua_recompute", None)
    session.info.pop("thidua_ledger", None)


def enqueue_recompute(campaign_id: int, *, coalesce: bool = True) -> bool:
    """Send one recompute; return False when the pipeline is down (the sweep will retry).

    Coalescing with a window of ``RECOMPUTE_COALESCE_SECONDS`` (``d``): the first change after a
    quiet spell is sent at once (the officer's change shows after one recompute, not after the
    window too); later changes send ONE recompute ``d`` later, and keep the window open until
    ``d`` after it, so a steady stream of changes costs one recompute per window, as a purely
    trailing window would. Two Redis keys, set with NX: any number of web processes agree.
    """
    delay = current_app.config.get("RECOMPUTE_COALESCE_SECONDS", 0.5)
    try:
        if coalesce and delay > 0:
            r, window_ms = get_redis(), int(delay * 1000)
            if not r.set(_WINDOW_KEY.format(campaign_id), 1, nx=True, px=window_ms):
                if not r.set(_TRAILING_KEY.format(campaign_id), 1, nx=True, px=window_ms):
                    return True  # a recompute at the window's end will read this change
                r.pexpire(_WINDOW_KEY.format(campaign_id), 2 * window_ms)
                queue.send(queue.RECOMPUTE_CAMPAIGN, [campaign_id], countdown=delay)
                return True
        queue.send(queue.RECOMPUTE_CAMPAIGN, [campaign_id], countdown=0)
        return True
    except Exception as exc:  # noqa: BLE001 - redis-py and kombu raise many kinds; the sweep recovers
        log.warning("recompute of campaign %s not enqueued (%s); the sweep will pick it up",
                    campaign_id, exc)
        return False
