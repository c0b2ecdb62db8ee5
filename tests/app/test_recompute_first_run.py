"""A campaign's first provisional result is written once, even when two workers race for it.

Before any run exists a recompute may claim a version equal to the one already recorded (a
new campaign's versions are equal before any change). Two workers that both saw no run used
to both write that first version; the second must now discard itself.
"""
from __future__ import annotations

import random

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, UnitResult
from campaign.services.results import recompute
from tests.results_helpers import random_campaign


def _runs(cid: int) -> list[ScoreRun]:
    return list(db.session.scalars(sa.select(ScoreRun).where(ScoreRun.campaign_id == cid,
                                                              ScoreRun.kind == "provisional")))


def test_second_worker_that_saw_no_run_discards_itself(app, factory, monkeypatch):
    c, _doc, _data = random_campaign(factory, random.Random(7), n_units=4, overrides=False)
    cid = c.id
    assert _runs(cid) == []
    real_compute = recompute.compute
    other: dict = {}

    def compute_while_another_worker_writes(inp, on_progress=None):
        out = real_compute(inp, on_progress)
        monkeypatch.setattr(recompute, "compute", real_compute)
        other.update(recompute.recompute_provisional(cid))  # worker B: also saw no run, finishes first
        return out

    monkeypatch.setattr(recompute, "compute", compute_while_another_worker_writes)
    mine = recompute.recompute_provisional(cid)  # worker A
    assert other["status"] == "written"
    assert mine["status"] == "discarded"
    db.session.expire_all()
    runs = _runs(cid)
    assert len(runs) == 1 and runs[0].status == "done"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitResult)
                             .where(UnitResult.run_id == runs[0].id)) == 4
    camp = db.session.get(Campaign, cid)
    assert camp.computed_version == camp.inputs_version and not camp.is_stale


def test_first_run_still_written_and_forced_run_still_rewrites(app, factory):
    c, _doc, _data = random_campaign(factory, random.Random(8), n_units=3, overrides=False)
    assert recompute.recompute_provisional(c.id)["status"] == "written"
    assert recompute.recompute_provisional(c.id)["status"] == "fresh"
    assert recompute.recompute_provisional(c.id, force=True)["status"] == "unchanged"
    assert len(_runs(c.id)) == 1
