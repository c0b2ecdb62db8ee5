"""Result rows store only what cannot be rebuilt (issue 18).

* Normalised judging: a row keeps a hash of its entry's marks, the run keeps the z-score
  statistics; the explanation rebuilds the judges' normalised detail. It must be exactly what
  the scalar engine gives (``zscore_normalise`` over every submitted mark, ``aggregate`` per
  indicator), and say when the entry's marks changed after the run.
* The writer keeps one hash per row of the last write (not the rows): it rewrites exactly the
  rows that changed.
"""
from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Entry, IndicatorNode, ScoreRun, UnitResult
from campaign.models import JudgeScore as Mark
from campaign.services.results import recompute
from campaign.services.results.freshness import mark_stale
from scoring.aggregate import JudgeScore, aggregate, zscore_normalise
from scoring.entry import score_entry
from scoring.framework import parse_framework
from scoring.rules import clamp_round, shown
from tests.public_helpers import SQLCounter
from tests.results_helpers import judge, override, provisional_results, random_campaign, save_values


def _reference(fw, marks, method, trim):
    """{entry id: {code: detail}} the way the explanation showed it when every row stored it:
    z-scores of every submitted mark but penalties (the scalar engine), then per indicator."""
    node = {n.code: n for n in fw.indicators()}
    z = [m for m in marks if node[m[1]].rule.kind != "penalty"]
    normal = zscore_normalise([JudgeScore(jid, (eid, code), p, node[code].max_points) for eid, code, jid, p in z])
    pts = {(eid, code, jid): s.points for (eid, code, jid, _p), s in zip(z, normal, strict=True)}
    groups: dict = {}
    for eid, code, jid, p in marks:
        groups.setdefault(eid, {}).setdefault(code, []).append((jid, pts.get((eid, code, jid), p)))
    out: dict = {}
    for eid, by_code in groups.items():
        for code, lst in by_code.items():
            lst.sort(key=lambda x: f"{x[0]},")
            agg = aggregate([p for _j, p in lst], method, trim)
            mp = node[code].max_points
            lo, hi = (-mp, 0.0) if node[code].rule.kind == "penalty" else (0.0, mp)
            out.setdefault(eid, {})[code] = {"agg": agg, "points": clamp_round(agg, lo, hi), "n": len(lst),
                                             "judges": [[str(j), p] for j, p in lst]}
    return out


@pytest.mark.parametrize("seed,method", [(1, "mean"), (2, "trimmed_mean"), (3, "median"), (4, "mean")])
def test_rebuilt_normalised_detail_is_the_scalar_engines(app, factory, seed, method):
    rng = random.Random(seed * 104729)
    while factory.user("viewer").id < 7:  # judges' ids on both sides of 10: listed in the order of "<id>,"
        pass
    c, doc, data = random_campaign(factory, rng, n_units=16, judges=4,
                                   settings={"normalise": True, "aggregation": method, "trim_min_judges": 3})
    fw = parse_framework(doc)
    fines = factory.user("judge")  # a judge of penalties only: kept as marked, never z-scored
    for eid in rng.sample(sorted(data), 5):
        judge(db.session.get(Entry, eid), fines, {"P.1": -float(rng.randint(0, 4))})
    db.session.commit()
    marks = db.session.execute(  # every submitted mark, as stored
        sa.select(Assignment.entry_id, IndicatorNode.code, Assignment.judge_id, Mark.points)
        .join(Mark, Mark.assignment_id == Assignment.id).join(IndicatorNode, IndicatorNode.id == Mark.indicator_id)
        .where(Assignment.status == "submitted")).all()
    assert recompute.recompute_provisional(c.id)["status"] == "written"
    expected = _reference(fw, marks, method, 3)
    assert len(expected) >= 8 and any("P.1" in d for d in expected.values())
    run = db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == c.id, ScoreRun.kind == "provisional"))
    assert run.normalisation["judges"]  # the statistics are kept once, on the run
    for r in db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == run.id)):
        kept = r.explanation["judged"]
        assert kept is None if r.entry_id not in expected else set(kept) == {"marks"}  # no detail in the row
        shown_ = recompute.explain(run.id, r.unit_id)
        assert shown_["stored"]["judged"] == expected.get(r.entry_id), r.entry_id
        assert shown_["detail_current"] is True
        vals, _scores, ovr = data[r.entry_id]
        aggs = {code: d["agg"] for code, d in expected.get(r.entry_id, {}).items()}
        assert r.own_total == shown(score_entry(fw, vals, aggs, ovr).total), r.entry_id  # overridden ones too


def test_a_mark_changed_after_the_run_is_said_so(app, factory):
    from tests.results_helpers import rich_framework

    doc = rich_framework("fw-norm-stale")
    units = [factory.unit() for _ in range(3)]
    c = factory.campaign(doc=doc, units=units, settings={"normalise": True, "aggregation": "mean"})
    entries = [factory.entry(c, u, status="submitted") for u in units]
    j1, j2 = factory.user("judge"), factory.user("judge")
    for k, e in enumerate(entries):
        save_values(e, doc, {"I.1": 90.0, "II.2": "good", "II.3": 4.0, "P.1": 0.0})
        judge(e, j1, {"II.2": 10.0 + k})
        judge(e, j2, {"II.2": 20.0 - 3 * k})
    override(entries[0], "II", 30.0)  # II.2's points no longer move the total: only the marks' hash can tell
    db.session.commit()
    recompute.recompute_provisional(c.id)
    run_id = recompute.provisional_run(c.id).id
    before = {u.id: recompute.explain(run_id, u.id) for u in units}
    assert all(d["detail_current"] for d in before.values())
    judge(entries[0], j1, {"II.2": 4.0})  # after the run; the snapshot's statistics no longer fit it
    db.session.commit()
    after = {u.id: recompute.explain(run_id, u.id) for u in units}
    assert after[units[0].id]["total"] == before[units[0].id]["total"]
    assert after[units[0].id]["detail_current"] is False
    assert after[units[1].id] == before[units[1].id]  # an unchanged entry still shows exactly the run's figures
    mark_stale(c.id, entries=[entries[0].id])
    db.session.commit()
    recompute.recompute_provisional(c.id)
    assert recompute.explain(run_id, units[0].id)["detail_current"] is True


def test_only_the_rows_that_changed_are_rewritten(app, factory):
    rng = random.Random(77)
    c, doc, data = random_campaign(factory, rng, n_units=10, judges=2, overrides=False)
    recompute.recompute_provisional(c.id)
    ids = {r.unit_id: (r.id, r.total) for r in db.session.scalars(sa.select(UnitResult))}
    eid = sorted(data)[3]
    e = db.session.get(Entry, eid)
    before = provisional_results()
    save_values(e, doc, {"I.1": 0.0 if data[eid][0]["I.1"] else 100.0})
    mark_stale(c.id, entries=[eid])
    db.session.commit()
    with SQLCounter(db.engine) as sql:
        assert recompute.recompute_provisional(c.id)["status"] == "written"
    assert not sql.ran("DELETE FROM unit_result", "INSERT INTO unit_result")
    after = provisional_results()
    changed = [a for a, b in zip(after, before, strict=True) if a != b]
    assert e.unit_id in {r[0] for r in changed} and ids[e.unit_id][1] != after[[r[0] for r in after].index(e.unit_id)][1]
    assert sql.rows("UPDATE unit_result") == len(changed) < len(after)  # exactly the rows that changed, updated in place
    through_cache = provisional_results()
    db.session.execute(sa.delete(UnitResult))
    db.session.execute(sa.delete(ScoreRun))
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    assert provisional_results() == through_cache


ROLLUP_SETTINGS = [
    {"normalise": True, "rollup": {"kind": "mean"}, "tie_breaks": ["group:I", "fewer_penalty", "earlier_submission"],
     "bands": [{"code": "A", "min_total": 60}, {"code": "B", "min_total": 30}]},
    {"aggregation": "trimmed_mean", "weights": {"I": 1.5, "II": 0.5}, "tie_breaks": ["fewer_penalty"],
     "rollup": {"kind": "combined", "own_weight": 0.4, "communes_weight": 0.6, "communes": {"kind": "weighted_mean"}}},
    {"aggregation": "median", "rollup": {"kind": "share_meeting", "threshold": 40}, "show_intervals": True},
]


@pytest.mark.parametrize("settings", ROLLUP_SETTINGS)
def test_stored_explanations_give_back_the_engines_in_full(app, factory, settings):
    """Districts rolled up from wards (some not submitted), weights, tie-breaks, overrides: the row
    stores less, and the explanation page gets the engine's explanation key for key, in its order."""
    from campaign.models import CampaignUnit
    from campaign.services.results.inputs import load_inputs
    from campaign.services.results.stored import full
    from scoring.campaign import compute_campaign
    from tests.results_helpers import random_value, rich_framework

    rng = random.Random(len(json_of(settings)))
    doc = rich_framework(f"fw-stored-{rng.randrange(10**6)}")
    fw = parse_framework(doc)
    districts = [factory.unit("urban_district", population=rng.choice([None, 90000.0])) for _ in range(2)]
    wards = [factory.unit("ward", parent=districts[k % 2], population=rng.choice([None, 8000.0, 12000.0]))
             for k in range(7)]
    c = factory.campaign(doc=doc, units=districts + wards, settings=settings)
    judges = [factory.user("judge") for _ in range(3)]
    for k, u in enumerate(districts + wards):
        if k == 4:
            continue  # a ward without an entry
        e = factory.entry(c, u, status="draft" if k == 5 else "submitted")
        save_values(e, doc, {n.code: random_value(n, rng) for n in fw.indicators()})
        for j in judges[: 1 + k % 3]:
            judge(e, j, {"II.2": float(rng.choice([8, 12, 15, 20])), "II.3": float(rng.randint(0, 10))})
        if k == 6:
            override(e, "I.2", 3.0)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignUnit)) >= 9
    recompute.recompute_provisional(c.id)
    inp = load_inputs(c.id)
    engine = {r["unit_id"]: r["explanation"] for r in compute_campaign(inp.engine).rows}
    run = recompute.provisional_run(c.id)
    rows = list(db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == run.id)))
    assert any(r.explanation.get("rollup") for r in rows)
    for r in rows:
        assert r.explanation["v"] == 3 and len(json_of(r.explanation)) < len(json_of(engine[r.unit_id]))
        assert json_of(full(r.explanation, r, run.settings)) == json_of(engine[r.unit_id]), r.unit_id
        page = recompute.explain(run.id, r.unit_id)["stored"]
        if settings.get("normalise") and page.get("judged"):
            page = {**page, "judged": engine[r.unit_id]["judged"]}  # rebuilt from the marks (tested above)
        assert json_of(page) == json_of(engine[r.unit_id])


def json_of(x) -> str:
    """Serialised in key order on SQLite (the template iterates some dicts). PostgreSQL's JSONB keeps
    no key order (a stored explanation always came back reordered), so there keys are sorted."""
    import json

    return json.dumps(x, sort_keys=db.engine.dialect.name == "postgresql")


def test_marks_read_in_chunks_are_one_reads(app, factory):
    """The marks are converted a chunk at a time (100,000 rows): chunk edges lose or repeat nothing."""
    from campaign.services.results import judged
    from campaign.services.results.fastsql import as_matrix, fetch

    c, _doc, _data = random_campaign(factory, random.Random(5), n_units=9, judges=3)
    sub = judged.submitted(c.id)
    stmt = sa.select(Mark.assignment_id * 1000 + Mark.indicator_id, Mark.points).join(sub, sub.c.aid == Mark.assignment_id)
    whole = as_matrix(fetch(stmt), 2)
    assert len(whole) > 7
    for chunk in (1, 3, 7, len(whole), 10**5):
        assert judged._fetch_matrix(stmt, 2, chunk=chunk).tobytes() == whole.tobytes()


def test_marks_read_unpacked_give_the_same_result(app, factory, monkeypatch):
    """Ids too large to pack (assignment × k + indicator ≥ 2⁵³) are read as three numbers: same results."""
    from campaign.services.results import judged

    c, _doc, _data = random_campaign(factory, random.Random(11), n_units=9, judges=3,
                                     settings={"normalise": True, "aggregation": "median"})
    recompute.recompute_provisional(c.id, force=True)
    packed = provisional_results()
    monkeypatch.setattr(judged, "PACK_LIMIT", 1)
    db.session.execute(sa.delete(UnitResult))
    db.session.execute(sa.delete(ScoreRun))
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    assert provisional_results() == packed and any(r[1] for r in packed)
