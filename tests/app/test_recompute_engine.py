"""The set-based recompute equals scoring.entry.score_entry for every entry, on random data."""
from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, UnitResult
from campaign.services.results import recompute
from scoring.aggregate import aggregate
from scoring.entry import score_entry
from scoring.framework import parse_framework
from scoring.rules import shown
from tests.results_helpers import random_campaign


def _expected(doc, data, method="mean", trim=3):
    fw = parse_framework(doc)
    out = {}
    for eid, (vals, scores, ovr) in data.items():
        by_ind: dict = {}
        for s in scores.values():
            for code, p in s.items():
                by_ind.setdefault(code, []).append(p)
        judged = {code: aggregate(ps, method, trim) for code, ps in by_ind.items()}
        out[eid] = score_entry(fw, vals, judged, ovr)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("method", ["mean", "trimmed_mean", "median"])
def test_recompute_equals_score_entry_on_random_data(app, factory, seed, method):
    rng = random.Random(seed * 7919)
    c, doc, data = random_campaign(factory, rng, n_units=25, judges=4,
                                   settings={"aggregation": method, "trim_min_judges": 3})
    res = recompute.recompute_provisional(c.id)
    assert res["status"] == "written"
    expected = _expected(doc, data, method)
    rows = {r.entry_id: r for r in db.session.scalars(sa.select(UnitResult))}
    assert set(rows) == set(expected)
    for eid, es in expected.items():
        r = rows[eid]
        assert r.total == shown(es.total), (eid, r.explanation)  # rounded once, as shown
        assert r.own_total == shown(es.total)
        assert r.explanation["total_exact"] == es.total  # bit for bit before that rounding
        for g in ("I", "II", "B", "P"):
            assert r.group_scores[g] == shown(es.groups[g].points), (eid, g)
        assert sorted(r.explanation["caps_applied"]) == sorted(es.caps_applied), eid


def test_hand_computed_entry_with_judges_caps_and_penalty(app, factory):
    """One entry worked out by hand on tests.results_helpers.rich_framework."""
    from tests.results_helpers import judge, rich_framework, save_values

    u = factory.unit()
    doc = rich_framework("fw-hand")
    c = factory.campaign(doc=doc, units=[u])
    e = factory.entry(c, u, status="submitted")
    # I.1 linear 40→90 of 15: 90 → 15; I.2 target 10: 12 → 15; I.a = 30 capped to 25.
    # I.3 yes → 10; I.4 banded 7 → 6.  I = 25+10+6 = 41 (cap 45).
    # II.1 count 3/item cap 18: 7 → 18; II.2 judged: judges 20 and 15 → mean 17.5; II.3 manual 4 → judges 8,9 → 8.5
    # II = 18+17.5+8.5 = 44.  B.1 bonus 2/item: 4 → 5 (max 5).  P.1 penalty 4/item: 1 → -4.
    # total = 41 + 44 + 5 - 4 = 86.
    save_values(e, doc, {"I.1": 90.0, "I.2": 12.0, "I.3": True, "I.4": 7.0, "II.1": 7.0, "II.2": "good",
                         "II.3": 4.0, "B.1": 4.0, "P.1": 1.0})
    j1, j2 = factory.user("judge"), factory.user("judge")
    judge(e, j1, {"II.2": 20.0, "II.3": 8.0})
    judge(e, j2, {"II.2": 15.0, "II.3": 9.0})
    db.session.commit()
    recompute.recompute_provisional(c.id)
    r = db.session.scalar(sa.select(UnitResult))
    assert r.total == 86.0
    assert r.group_scores == {"I": 41.0, "II": 44.0, "B": 5.0, "P": -4.0}
    assert "I.a" in r.explanation["caps_applied"]
    assert r.explanation["judged_indicators"] == 2
    detail = recompute.explain(r.run_id, u.id)
    inds = {i["code"]: i for i in detail["indicators"]}
    assert inds["II.2"]["points"] == 17.5 and inds["II.2"]["source"] == "judges"
    assert [j["points"] for j in inds["II.2"]["judges"]] == [20.0, 15.0]
    assert inds["I.2"]["points"] == 15.0 and inds["I.2"]["rule"]["kind"] == "target"
    assert detail["detail_current"] is True


def test_idempotent_same_inputs_same_rows(app, factory):
    c, _doc, _data = random_campaign(factory, random.Random(11), n_units=15)
    first = recompute.recompute_provisional(c.id)
    rows1 = [(r.id, r.unit_id, r.total, r.rank, r.explanation) for r in
             db.session.scalars(sa.select(UnitResult).order_by(UnitResult.unit_id))]
    second = recompute.recompute_provisional(c.id, force=True)
    rows2 = [(r.id, r.unit_id, r.total, r.rank, r.explanation) for r in
             db.session.scalars(sa.select(UnitResult).order_by(UnitResult.unit_id))]
    assert second["digest"] == first["digest"]
    assert second["status"] == "unchanged"
    assert rows1 == rows2
    # A fresh computation from scratch gives the same content too.
    db.session.execute(sa.delete(UnitResult))
    db.session.execute(sa.delete(ScoreRun))
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    rows3 = [(r.unit_id, r.total, r.rank, r.explanation) for r in
             db.session.scalars(sa.select(UnitResult).order_by(UnitResult.unit_id))]
    assert rows3 == [row[1:] for row in rows1]


def test_not_stale_and_run_exists_is_a_no_op(app, factory):
    c, _doc, _data = random_campaign(factory, random.Random(3), n_units=3)
    assert recompute.recompute_provisional(c.id)["status"] == "written"
    assert recompute.recompute_provisional(c.id)["status"] == "fresh"


def test_staleness_bookkeeping_and_lost_race(app, factory, monkeypatch):
    from campaign.services.results.freshness import mark_stale

    c, doc, data = random_campaign(factory, random.Random(5), n_units=4)
    cid = c.id
    mark_stale(cid)
    db.session.commit()
    camp = db.session.get(Campaign, cid)
    assert camp.is_stale and camp.stale_since is not None
    v = camp.inputs_version

    # A change lands while the recompute is computing: the result is written for version v,
    # but the campaign stays stale so another recompute follows.
    real_compute = recompute.compute

    def compute_then_change(inp, on_progress=None):
        out = real_compute(inp, on_progress)
        mark_stale(cid)
        db.session.commit()
        return out

    monkeypatch.setattr(recompute, "compute", compute_then_change)
    res = recompute.recompute_provisional(cid)
    assert res["status"] == "written" and res["version"] == v
    db.session.expire_all()
    camp = db.session.get(Campaign, cid)
    assert camp.computed_version == v and camp.inputs_version == v + 1
    assert camp.is_stale and camp.stale_since is not None
    monkeypatch.setattr(recompute, "compute", real_compute)

    # A slower recompute that read an older version loses the race and discards itself.
    old_inputs = recompute.load_inputs(cid)
    db.session.rollback()
    old_inputs.inputs_version = v  # as if it had read version v
    before = [(r.id, r.total) for r in db.session.scalars(sa.select(UnitResult).order_by(UnitResult.id))]
    assert recompute.recompute_provisional(cid)["status"] == "unchanged"  # catches up to v + 1 (same inputs)
    outcome = recompute._write_provisional(old_inputs, recompute.compute(old_inputs), force=False)
    assert outcome == "discarded"
    db.session.expire_all()
    camp = db.session.get(Campaign, cid)
    assert camp.computed_version == v + 1 and not camp.is_stale and camp.stale_since is None
    assert len(before) == len(list(db.session.scalars(sa.select(UnitResult.id))))


def test_partial_rewrite_after_a_change_equals_a_clean_recompute(app, factory):
    from campaign.models import Entry
    from campaign.services.results.freshness import mark_stale
    from tests.results_helpers import save_values

    c, doc, data = random_campaign(factory, random.Random(77), n_units=20)
    recompute.recompute_provisional(c.id)
    ids_before = {r.unit_id: r.id for r in db.session.scalars(sa.select(UnitResult))}
    statuses = []
    for k, eid in enumerate(list(data)[:3]):
        save_values(db.session.get(Entry, eid), doc, {"I.2": 12.0 if k % 2 else 0.0, "I.4": 11.0 if k % 2 else 1.0})
        mark_stale(c.id)
        db.session.commit()
        statuses.append(recompute.recompute_provisional(c.id)["status"])
    assert "written" in statuses
    got = [(r.id, r.unit_id, r.total, r.rank, r.rank_in_cluster, r.band, r.group_scores, r.explanation)
           for r in db.session.scalars(sa.select(UnitResult).order_by(UnitResult.unit_id))]
    assert {row[1]: row[0] for row in got} == ids_before  # rows updated in place, not replaced
    db.session.execute(sa.delete(UnitResult))
    db.session.execute(sa.delete(ScoreRun))
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    clean = [(r.unit_id, r.total, r.rank, r.rank_in_cluster, r.band, r.group_scores, r.explanation)
             for r in db.session.scalars(sa.select(UnitResult).order_by(UnitResult.unit_id))]
    assert [row[1:] for row in got] == clean


def test_normalisation_leaves_judges_penalty_deductions_alone(app, factory):
    """z-scores map marks into [0, max]; a judged penalty of −4 must stay −4 (as on the council page)."""
    from tests.results_helpers import judge, rich_framework, save_values

    u = factory.unit()
    doc = rich_framework("fw-norm-pen")
    c = factory.campaign(doc=doc, units=[u], settings={"normalise": True, "aggregation": "mean"})
    e = factory.entry(c, u, status="submitted")
    save_values(e, doc, {"I.1": 90.0, "II.2": "good", "II.3": 4.0, "P.1": 0.0})
    j1, j2 = factory.user("judge"), factory.user("judge")
    judge(e, j1, {"II.2": 20.0, "II.3": 8.0, "P.1": -4.0})
    judge(e, j2, {"II.2": 15.0, "II.3": 9.0, "P.1": -4.0})
    db.session.commit()
    recompute.recompute_provisional(c.id)
    r = db.session.scalar(sa.select(UnitResult))
    assert r.group_scores["P"] == -4.0
