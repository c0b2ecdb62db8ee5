"""Reading provisional results from the test side of a real-worker test, holding no lock."""
from __future__ import annotations

import json

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, UnitResult
from campaign.services.results import recompute


def provisional_rows(campaign_id: int) -> list[tuple]:
    # End any transaction first: on SQLite every test-side transaction is BEGIN IMMEDIATE and
    # would hold the write lock the worker needs (and a reader would keep an old snapshot).
    db.session.rollback()
    run = recompute.provisional_run(campaign_id)
    if run is None:
        db.session.rollback()
        return []
    out = [(r.unit_id, r.entry_id, r.total, r.own_total, r.rank, r.rank_in_cluster, r.tied, r.band,
             json.dumps(r.group_scores, sort_keys=True), json.dumps(r.explanation, sort_keys=True))
            for r in db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == run.id)
                                        .order_by(UnitResult.unit_id))]
    db.session.rollback()
    return out


def clean_rows(campaign_id: int) -> list[tuple]:
    """What a clean recompute from scratch gives (run deleted, computed again in-process)."""
    run = recompute.provisional_run(campaign_id)
    db.session.execute(sa.delete(UnitResult).where(UnitResult.run_id == run.id))
    db.session.execute(sa.delete(ScoreRun).where(ScoreRun.id == run.id))
    db.session.commit()
    recompute.recompute_provisional(campaign_id, force=True)
    return provisional_rows(campaign_id)


def is_fresh(campaign_id: int) -> bool:
    db.session.rollback()
    c = db.session.get(Campaign, campaign_id)
    fresh = not c.is_stale and c.stale_since is None
    db.session.rollback()
    return fresh
