"""Normalised judging (z-scores) through the ledger: exact, and equal to a rebuild from raw rows.

A z-score depends on its judge's marks across all entries, so the ledger holds every point
except judges' marks and each recompute adds the judges' part (``results.judged``) from one
read of the submitted scores. The vector z-scores must be bit for bit those of
``scoring.aggregate.zscore_normalise``.
"""
from __future__ import annotations

import random

import numpy as np
import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Campaign, Entry, EntryNodeScore, ScoreRun, UnitResult
from campaign.services.results import recompute
from campaign.services.results.freshness import mark_stale
from scoring.aggregate import JudgeScore, zscore_normalise, zscore_normalise_arrays
from scoring.framework import parse_framework
from tests.results_helpers import (
    judge,
    ledger_rows,
    provisional_results,
    random_campaign,
    random_value,
    rich_framework,
    save_values,
)

SETTINGS = {"normalise": True, "trim_min_judges": 3, "show_intervals": True, "disagreement_threshold": 4,
            "bands": [{"code": "A", "min_total": 60}, {"code": "B", "min_total": 30}]}


@pytest.mark.parametrize("seed", range(12))
def test_vector_zscores_are_bit_for_bit_those_of_zscore_normalise(seed):
    rng = random.Random(seed)
    n = rng.choice([1, 2, 7, 60, 2000])
    judges = [rng.randrange(1 + seed % 4) * 11 for _ in range(n)]
    maxima = [rng.choice([10.0, 20.0, 7.5, 3.0, 0.0]) for _ in range(n)]
    if seed % 3 == 0:  # arbitrary decimals, some outside [0, max]
        marks = [round(rng.uniform(-1.0, m + 1.0), rng.choice([0, 2, 6])) for m in maxima]
    else:  # half points, as the judge's form allows
        marks = [rng.randrange(0, 41) / 2 for _ in maxima]
    reference = [s.points for s in zscore_normalise(
        [JudgeScore(j, k, p, m) for k, (j, p, m) in enumerate(zip(judges, marks, maxima, strict=True))])]
    got = zscore_normalise_arrays(np.array(judges), np.array(marks), np.array(maxima))
    assert np.array(reference, dtype=float).tobytes() == got.tobytes()


def test_vector_zscores_sum_exactly_like_fsum():
    """Marks whose plain (or pairwise) sum differs from the exact one in the last bit."""
    rng = random.Random(5)
    marks = [rng.choice([1.0, 7.0, 3.0, 3.5]) for _ in range(1001)] + [0.5, 9.5]
    judges = [k % 2 for k in range(len(marks))]
    reference = [s.points for s in zscore_normalise([JudgeScore(j, k, p, 10.0) for k, (j, p) in
                                                     enumerate(zip(judges, marks, strict=True))])]
    got = zscore_normalise_arrays(np.array(judges), np.array(marks), np.full(len(marks), 10.0))
    assert np.array(reference, dtype=float).tobytes() == got.tobytes()


def test_hand_computed_zscores_and_one_mark_moving_another_entry(app, factory):
    """II.2 (max 20): judge 1 marks A 10, B 20; judge 2 marks both 15 (sd 0: mean shift only).

    Panel fractions 0.5, 1, 0.75, 0.75: mean 0.75, sd √0.03125 = 0.1767767. Judge 1's A becomes
    20 × (0.75 − 0.1767767) = 11.464466094, judge 2's stays 15: A's mean 13.232233047.
    Then judge 2 marks B 5 instead: panel mean 0.625, sd √0.078125 = 0.2795085; A's marks become
    20 × (0.625 − 0.2795085) = 6.909830056 and 20 × (0.625 + 0.2795085) = 18.090169944: mean 12.5 —
    A's points move though only B's entry changed.
    """
    doc = rich_framework("fw-norm-hand")
    ua, ub = factory.unit(), factory.unit()
    c = factory.campaign(doc=doc, units=[ua, ub], settings={"normalise": True, "aggregation": "mean"})
    ea, eb = factory.entry(c, ua, status="submitted"), factory.entry(c, ub, status="submitted")
    for e in (ea, eb):
        save_values(e, doc, {"I.1": 90.0, "II.2": "good", "II.3": 4.0, "P.1": 0.0})
    j1, j2 = factory.user("judge"), factory.user("judge")
    judge(ea, j1, {"II.2": 10.0})
    judge(eb, j1, {"II.2": 20.0})
    judge(ea, j2, {"II.2": 15.0})
    judge(eb, j2, {"II.2": 15.0})
    db.session.commit()
    assert recompute.recompute_provisional(c.id)["inputs"] == "raw"

    def detail(entry):  # what the explanation shows (rebuilt from the marks and the run's statistics)
        r = db.session.scalar(sa.select(UnitResult).where(UnitResult.entry_id == entry.id))
        return recompute.explain(r.run_id, r.unit_id)["stored"]["judged"]["II.2"]

    a = detail(ea)
    assert a["agg"] == pytest.approx(13.232233047, abs=1e-9) and a["n"] == 2
    assert sorted(p for _j, p in a["judges"]) == pytest.approx([11.464466094, 15.0], abs=1e-9)
    assert detail(eb)["agg"] == pytest.approx(16.767766953, abs=1e-9)

    judge(eb, j2, {"II.2": 5.0})
    mark_stale(c.id, entries=[eb.id])
    db.session.commit()
    res = recompute.recompute_provisional(c.id)
    assert res["inputs"] == "ledger", res
    a = detail(ea)
    assert sorted(p for _j, p in a["judges"]) == pytest.approx([6.909830056, 18.090169944], abs=1e-9)
    assert a["agg"] == pytest.approx(12.5, abs=1e-9) and detail(eb)["agg"] == pytest.approx(12.5, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("method", ["mean", "trimmed_mean", "median"])
def test_normalised_changes_through_the_ledger_equal_a_rebuild_from_raw_rows(app, factory, seed, method):
    rng = random.Random(seed * 7919)
    c, doc, data = random_campaign(factory, rng, n_units=14, judges=4, settings={"aggregation": method, **SETTINGS})
    cid = c.id
    assert recompute.recompute_provisional(cid)["inputs"] == "raw"
    assert not db.session.get(Campaign, cid).ledger_stale  # kept per entry under z-scores too
    fw = parse_framework(doc)
    judges = [factory.user("judge") for _ in range(2)]
    for step in range(6):
        eid = rng.choice(list(data))
        entry = db.session.get(Entry, eid)
        if step % 3 == 0:
            save_values(entry, doc, {n.code: random_value(n, rng) for n in rng.sample(fw.indicators(), 4)})
        elif step % 3 == 1:
            judge(entry, rng.choice(judges), {"II.2": float(rng.choice([0, 9, 14, 20])),
                                              "II.3": float(rng.randint(0, 10)), "P.1": -4.0})
        else:
            a = db.session.scalar(sa.select(Assignment).where(Assignment.entry_id == eid,
                                                              Assignment.status == "submitted").limit(1))
            if a is None:
                judge(entry, rng.choice(judges), {"II.2": 12.0})
            else:
                a.status = "draft"  # reopened: its marks leave every statistic of its judge
        mark_stale(cid, entries=[eid])
        db.session.commit()
        res = recompute.recompute_provisional(cid)
        assert res["inputs"] == "ledger", res
    through_ledger, kept_rows = provisional_results(), ledger_rows(cid)
    assert any(r[11]["judged"] for r in through_ledger)  # normalised marks were really used
    db.session.execute(sa.delete(UnitResult))
    db.session.execute(sa.delete(ScoreRun))
    db.session.execute(sa.delete(EntryNodeScore))
    db.session.commit()
    assert recompute.recompute_provisional(cid, force=True)["inputs"] == "raw"
    assert ledger_rows(cid) == kept_rows
    assert provisional_results() == through_ledger


def test_a_worker_keeps_the_marks_and_reads_only_a_changed_entrys_again(app, factory, monkeypatch):
    """Z-scores need every mark at each recompute: a worker process keeps the marks its rebuild read
    with its ledger copy and, after a change, reads only the changed entry's marks; the result is the
    raw rebuild's. A process without them (another worker, a restart) reads them whole once."""
    from campaign.services.results import judged, ledger_cache

    rng = random.Random(11)
    c, doc, data = random_campaign(factory, rng, n_units=10, judges=3, settings={"aggregation": "mean", **SETTINGS})
    cid = c.id
    ledger_cache.clear()
    assert recompute.recompute_provisional(cid)["inputs"] == "raw"
    calls = []
    real = judged.fetch_marks
    monkeypatch.setattr(judged, "fetch_marks", lambda cid_, info, entry_ids=None: calls.append(entry_ids) or real(
        cid_, info, entry_ids))
    judges = [factory.user("judge") for _ in range(2)]
    eids = sorted(data)
    for step, eid in enumerate([eids[0], eids[3], eids[3]]):
        entry = db.session.get(Entry, eid)
        if step < 2:
            judge(entry, judges[step], {"II.2": float(5 + 7 * step), "II.3": 4.0})
        else:  # reopened: its marks leave its judge's statistics
            db.session.scalar(sa.select(Assignment).where(Assignment.entry_id == eid,
                                                          Assignment.judge_id == judges[1].id)).status = "draft"
        mark_stale(cid, entries=[eid])
        db.session.commit()
        assert recompute.recompute_provisional(cid)["inputs"] == "ledger"
    assert calls == [[eids[0]], [eids[3]], [eids[3]]]  # the rebuild's marks kept: only the changed entry's read
    with_marks = ledger_cache._copies[cid]
    with_marks.marks = None  # another process's copy, without the marks: read whole, once
    calls.clear()
    judge(db.session.get(Entry, eids[5]), judges[0], {"II.2": 7.0})
    mark_stale(cid, entries=[eids[5]])
    db.session.commit()
    assert recompute.recompute_provisional(cid)["inputs"] == "ledger"
    assert calls == [None]
    copy = ledger_cache._copies[cid]
    assert copy.marks is not None and len(copy.marks.points) == len(real(cid, copy_info(cid)).points)
    through_copy = provisional_results()
    db.session.execute(sa.delete(UnitResult))
    db.session.execute(sa.delete(ScoreRun))
    db.session.commit()
    ledger_cache.clear()
    assert recompute.recompute_provisional(cid, force=True)["inputs"] == "raw"
    assert provisional_results() == through_copy


def copy_info(cid: int):
    from campaign.services.setup.framework_cache import framework_info

    return framework_info(db.session.get(Campaign, cid).framework_version_id)
