"""Per-band floors per group and a count of criteria met (issue 16), worked by hand.

Table: three criteria groups of 10 points (I, II, III) and a 10-point bonus group (not a criterion,
never floored). "excellent needs every group ≥ 85 %, good ≥ 80 %, pass ≥ 50 %"; "all 3 of 3 met".
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

from scoring.band_reasons import explain
from scoring.band_specs import engine_bands, validate_bands
from scoring.campaign import CampaignInputs, compute_campaign
from scoring.condition_eval import criteria_met
from scoring.entry import score_entry
from scoring.framework import FrameworkError, dump_framework, parse_framework
from scoring.ranking import Band, classify
from scoring.vector import compile_rules, own_sums, points_matrix, values_matrix


def _group(code: str, criterion: bool = False, met_pct: float | None = None) -> dict:
    g = {"code": code, "name": {"vi": f"Nhóm {code}"}, "kind": "regular", "max_points": 10, "children": [
        {"code": f"{code}.1", "name": {"vi": f"Chỉ tiêu {code}.1"}, "max_points": 10, "value_type": "number",
         "rule": {"kind": "manual"}}]}
    if criterion:
        g["criterion"] = True
    if met_pct is not None:
        g["met_pct"] = met_pct
    return g


BANDS = [
    {"code": "xuat_sac", "min_total": 25, "floors": {"I": 85, "II": 85, "III": 85}},
    {"code": "tot", "min_total": 22, "floors": {"I": 80, "II": 80, "III": 80}},
    {"code": "dat", "min_total": 15, "floor_pct": 50},
    {"code": "chuan", "min_total": 0, "min_criteria_met": 3},
]


def doc(met_pct: float | None = None) -> dict:
    return {"format": "thidua-framework/1", "code": "floors", "name": {"vi": "Sàn theo mức"}, "scale": 30,
            "groups": [_group("I", met_pct=met_pct), _group("II"), _group("III"),
                       {"code": "B", "name": {"vi": "Thưởng"}, "kind": "bonus", "max_points": 10, "children": [
                           {"code": "B.1", "name": {"vi": "Cờ thi đua"}, "max_points": 10,
                            "rule": {"kind": "bonus", "per_item": 5}}]}],
            "bands": copy.deepcopy(BANDS)}


# values (I.1, II.1, III.1, B.1) -> band, by hand
CASES = [
    ((9, 9, 9, 0), "xuat_sac"),   # 27 ≥ 25, all 90 % ≥ 85 %
    ((10, 10, 8, 2), "tot"),      # 28 + 10 bonus = 38 ≥ 25, but III 80 % < 85 %; ≥ 80 % everywhere: tot
    ((10, 10, 7.9, 0), "dat"),    # 27.9: III 79 % < 80 % and < 85 %; 50 % floor met
    ((10, 10, 4, 0), None),       # 24: III 40 % under 50 % for dat; "chuan" needs 3 of 3 criteria met (III is not)
    ((10, 10, 10, 0), "xuat_sac"),
    ((5, 5, 5, 0), "dat"),        # 15 ≥ 15 and 50 % ≥ 50 % in every group
]


def _values(v):
    return {"I.1": v[0], "II.1": v[1], "III.1": v[2], "B.1": v[3]}


def test_classify_with_per_band_floors_and_criteria():
    fw = parse_framework(doc())
    bands = engine_bands(BANDS)
    for v, want in CASES:
        es = score_entry(fw, _values(v))
        met = es.criteria[0]
        assert classify(es.total, es.group_pcts(), bands, {}, met) == want, v


def test_band_reason_names_the_group_under_its_band_floor_and_the_criteria_count():
    fw = parse_framework(doc())
    es = score_entry(fw, _values((10, 10, 8, 2)))
    reason = explain(es.total, es.group_pcts(), engine_bands(BANDS), {}, es.criteria[:2], es.conditions)
    assert reason.band == "tot"
    [blocked] = reason.floor_blocked
    assert (blocked.code, [(f.group, f.pct, f.floor) for f in blocked.failed_floors]) == ("xuat_sac", [("III", 80.0, 85.0)])
    es = score_entry(fw, _values((10, 10, 4, 0)))
    reason = explain(es.total, es.group_pcts(), engine_bands(BANDS), {}, es.criteria[:2], es.conditions)
    assert reason.band is None and (reason.criteria_met, reason.criteria_of) == (2, 3)
    chuan = next(m for m in reason.missed if m.code == "chuan")
    assert chuan.total_ok and chuan.criteria_needed == 3


def test_met_pct_and_marked_criteria():
    fw = parse_framework(doc(met_pct=70))
    # I is met at 70 %: 7/10 counts; II and III must be full
    assert criteria_met(fw, {"I": 7, "II": 10, "III": 9.99}) == (2, 3, ("III",))
    d = doc()
    d["groups"][0]["criterion"] = True  # only I is a criterion now
    d["bands"][3]["min_criteria_met"] = 1
    fw = parse_framework(d)
    assert criteria_met(fw, {"I": 10, "II": 0, "III": 0}) == (1, 1, ())


def test_campaign_path_gives_the_same_bands():
    fw = parse_framework(doc())
    comp = compile_rules(fw)
    entries = [_values(v) for v, _ in CASES]
    vals, na = values_matrix(fw, comp, entries)
    pts = own_sums(comp, points_matrix(comp, vals, na))
    n = len(entries)
    inp = CampaignInputs(fw=fw, compiled=comp, settings={"bands": BANDS}, unit_ids=tuple(range(n)),
                         entry_ids=tuple(range(n)), submitted=(True,) * n, levels=(2,) * n, parents=(None,) * n,
                         populations=(None,) * n, clusters=(None,) * n, unit_codes=tuple(map(str, range(n))),
                         self_totals=(None,) * n, first_submitted=(None,) * n, points=pts, judged=np.zeros_like(pts))
    rows = compute_campaign(inp).rows
    assert [r["band"] for r in rows] == [want for _, want in CASES]
    assert rows[3]["band_note"] == {"criteria_met": 2, "criteria": 3}


def test_round_trip_and_validation_messages():
    d = doc(met_pct=70)
    once = dump_framework(parse_framework(d))
    assert once == dump_framework(parse_framework(once)) and once["bands"] == BANDS
    assert once["groups"][0]["met_pct"] == 70
    assert validate_bands([{"code": "x", "min_total": 1, "floors": {"IV": 50}}], 30, {"I", "II", "III"}) == [
        "band x: floors names 'IV', not a top-level regular group"]
    assert validate_bands([{"code": "x", "min_total": 1, "min_criteria_met": 4}], 30, None, 3) == [
        "band x: min_criteria_met 4 is more than the 3 criteria counted"]
    bad = doc()
    bad["groups"][3]["criterion"] = True
    bad["groups"][0]["met_pct"] = 0
    with pytest.raises(FrameworkError) as exc:
        parse_framework(bad)
    assert "B: only regular nodes can be criteria (criterion: true)" in exc.value.errors
    assert "I: met_pct must be within 0..100 (greater than 0)" in exc.value.errors


def test_a_group_floor_without_band_floor_pct_is_ignored_but_band_floors_apply():
    b = Band("x", 0, None, {"I": 50})
    assert b.floor_of("I", {"I": 90}) == 50 and b.floor_of("II", {"II": 90}) is None
    assert Band("y", 0, 70).floor_of("II", {"II": 90}) == 90
