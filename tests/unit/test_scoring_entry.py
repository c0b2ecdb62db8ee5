"""Whole-entry scoring: group caps, bonus cap, penalties, NA, judges, overrides, value checks."""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.entry import check_values, score_entry
from scoring.framework import parse_framework
from scoring.rules import NA


def n(code, mp, rule, **kw):
    return {"code": code, "name": {"vi": code}, "max_points": mp, "rule": rule, **kw}


DOC = {
    "format": "thidua-framework/1", "code": "entry-fw", "name": {"vi": "x"}, "scale": 100,
    "groups": [
        {"code": "I", "name": {"vi": "I"}, "kind": "regular", "max_points": 60, "children": [
            {"code": "I.1", "name": {"vi": "I.1"}, "max_points": 30, "children": [
                n("I.1.1", 20, {"kind": "linear", "floor": 50, "target": 90}, value_type="percentage",
                  required=True),
                n("I.1.2", 15, {"kind": "target", "target": 100}, value_type="number", min=0, max=1000),
            ]},
            n("I.2", 10, {"kind": "banded", "bands": [{"from": 0, "points": 2}, {"from": 50, "points": 5},
                                                     {"from": 80, "points": 10}]}, value_type="number"),
            n("I.3", 10, {"kind": "yes_no"}, value_type="yes_no", na_allowed=True),
            n("I.4", 10, {"kind": "count", "per_item": 2, "cap": 8}, value_type="count",
              checks=[{"op": "<=", "other": "I.2", "message": {"en": "I.4 cannot exceed I.2"}}]),
        ]},
        {"code": "II", "name": {"vi": "II"}, "kind": "regular", "max_points": 40, "children": [
            n("II.1", 20, {"kind": "judged", "levels": [{"code": "good", "points": 20},
                                                        {"code": "fair", "points": 12},
                                                        {"code": "weak", "points": 5}]},
              value_type="choice", choices=[{"code": "good"}, {"code": "fair"}, {"code": "weak"}]),
            n("II.2", 20, {"kind": "manual"}),
        ]},
        {"code": "B", "name": {"vi": "B"}, "kind": "bonus", "max_points": 10, "cap": 5, "children": [
            n("B.1", 6, {"kind": "bonus", "per_item": 2}),
            n("B.2", 3, {"kind": "yes_no"}),
        ]},
        {"code": "P", "name": {"vi": "P"}, "kind": "penalty", "max_points": 10, "cap": 8, "children": [
            n("P.1", 6, {"kind": "penalty", "per_item": 3}),
            n("P.2", 8, {"kind": "penalty", "per_item": 8}),
        ]},
    ],
}
FW = parse_framework(DOC)

BASE = {"I.1.1": 70, "I.1.2": 100, "I.2": 60, "I.3": "yes", "I.4": 3, "II.1": "fair", "II.2": "15,5",
        "B.1": 2, "B.2": True, "P.1": 1, "P.2": 0}


def test_typical_entry():
    e = score_entry(FW, BASE)
    # I.1.1: 20*(70-50)/(90-50) = 10; I.1.2: 100>=100 -> 15; I.1 = 25 (cap 30)
    assert e.indicators["I.1.1"].points == 10
    assert e.groups["I.1"].points == 25 and not e.groups["I.1"].capped
    # I = 25 + 5 (band from 50) + 10 (yes) + 6 (3*2) = 46
    assert e.groups["I"].points == 46
    # II = 12 (fair) + 15.5 (manual "15,5")
    assert e.groups["II"].points == 27.5
    # B raw = 4 (2*2) + 3 = 7 -> cap 5
    assert (e.groups["B"].raw, e.groups["B"].points, e.groups["B"].capped) == (7, 5, True)
    # P = -3 (1*3) + 0
    assert e.groups["P"].points == -3
    assert (e.regular_total, e.bonus_total, e.penalty_total) == (73.5, 5, -3)
    assert e.total == 75.5              # 73.5 + 5 - 3
    assert e.caps_applied == ["B"]
    assert e.indicators["I.1.1"].source == "rule" and e.indicators["I.1.1"].rule_kind == "linear"


def test_caps_everywhere():
    vals = dict(BASE, **{"I.1.1": 90, "I.2": 80, "I.4": 10, "II.1": "good", "II.2": 20, "B.1": 3,
                         "P.1": 3, "P.2": 1})
    e = score_entry(FW, vals)
    # I.1 raw = 20 + 15 = 35 -> cap 30
    assert (e.groups["I.1"].raw, e.groups["I.1"].points) == (35, 30)
    # I = 30 + 10 + 10 + 8 (min(20, cap 8)) = 58 ; II = 20 + 20 = 40
    assert e.groups["I"].points == 58 and e.groups["II"].points == 40
    # B raw = 6 (min(6, 6)) + 3 = 9 -> 5 ; P raw = -6 (−min(9,6)) − 8 = −14 -> −8
    assert e.groups["B"].points == 5 and (e.groups["P"].raw, e.groups["P"].points) == (-14, -8)
    assert e.total == 95                # 98 + 5 − 8
    assert set(e.caps_applied) == {"I.1", "B", "P"}


def test_scale_caps_regular_part():
    d = copy.deepcopy(DOC)
    d["scale"] = 90
    fw = parse_framework(d)
    vals = dict(BASE, **{"I.1.1": 90, "I.2": 80, "I.4": 10, "II.1": "good", "II.2": 20, "B.1": 3,
                         "P.1": 3, "P.2": 1})
    e = score_entry(fw, vals)
    # regular 98 -> scale 90 ; total = 90 + 5 − 8 = 87
    assert e.regular_total == 90 and e.total == 87 and "SCALE" in e.caps_applied


def test_total_never_negative():
    e = score_entry(FW, {"P.1": 5, "P.2": 1})
    # regular 0 (II.1 pending), bonus 0, penalty max(−6 − 8, −8) = −8 -> total clamped to 0
    assert e.penalty_total == -8 and e.total == 0 and "TOTAL" in e.caps_applied
    assert e.indicators["II.1"].status == "judged_pending"
    assert e.indicators["I.2"].status == "missing"


def test_na_full_points_and_na_not_allowed():
    e = score_entry(FW, dict(BASE, **{"I.3": NA, "I.2": "NA"}))
    assert e.indicators["I.3"].points == 10 and e.indicators["I.3"].source == "na"
    assert e.indicators["I.3"].status == "not_applicable"
    assert e.indicators["I.2"].points == 0 and e.indicators["I.2"].status == "invalid"
    # I = 25 + 0 + 10 + 6 = 41
    assert e.groups["I"].points == 41


def test_judged_points_replace_and_clamp():
    e = score_entry(FW, BASE, judged={"II.1": 17.25, "I.2": 99})
    assert e.indicators["II.1"].points == 17.25 and e.indicators["II.1"].source == "judges"
    assert e.indicators["I.2"].points == 10      # clamped to max 10
    # II = 17.25 + 15.5 = 32.75
    assert e.groups["II"].points == 32.75


def test_overrides_indicator_group_total():
    e = score_entry(FW, BASE, judged={"I.2": 9}, overrides={"I.2": 7})
    assert e.indicators["I.2"].points == 7 and e.indicators["I.2"].source == "override"
    assert e.groups["I"].points == 48         # 25 + 7 + 10 + 6
    e = score_entry(FW, BASE, overrides={"II": 35})
    assert e.groups["II"].points == 35 and e.groups["II"].source == "override"
    assert e.total == 83                      # 46 + 35 + 5 − 3
    e = score_entry(FW, BASE, overrides={"TOTAL": 80})
    assert e.total == 80 and e.overrides == {"TOTAL": 80}


def test_explanation_is_json():
    e = score_entry(FW, dict(BASE, **{"I.3": NA}), judged={"II.1": 18}, overrides={"I.2": 7})
    x = e.to_explanation()
    s = json.loads(json.dumps(x))
    assert s["total"] == e.total and s["caps_applied"] == ["B"]
    inds = {i["code"]: i for i in s["indicators"]}
    assert inds["I.3"]["value"] == "NA" and inds["I.3"]["source"] == "na"
    assert inds["I.1.1"]["rule"] == {"kind": "linear", "floor": 50, "target": 90}
    assert inds["I.2"]["source"] == "override" and s["overrides"] == {"I.2": 7}


def test_group_pcts():
    e = score_entry(FW, BASE)
    assert e.group_pcts() == {"I": 76.666666667, "II": 68.75}   # 46/60 = 76.666.. ; 27.5/40


# ---------------------------------------------------------------- check_values

def keys(issues, code):
    return [i.key for i in issues.get(code, [])]


def test_check_values_clean():
    assert check_values(FW, BASE) == {}


@pytest.mark.parametrize("code,value,key", [
    ("I.1.1", None, "required"),
    ("I.1.1", "", "required"),
    ("I.2", "abc", "not_a_number"),
    ("I.2", "1.234", "ambiguous_number"),
    ("I.1.1", 120, "out_of_range"),      # percentage > 100
    ("I.1.2", -1, "out_of_range"),       # min 0
    ("I.4", 2.5, "not_an_integer"),
    ("I.4", -1, "out_of_range"),
    ("II.1", "excellent", "not_in_choices"),
    ("II.1", "excellent", "unknown_level"),
    ("II.2", 25, "out_of_range"),        # manual points above max 20
    ("I.3", "maybe", "not_yes_no"),
    ("I.2", NA, "na_not_allowed"),
])
def test_check_values_issue(code, value, key):
    issues = check_values(FW, dict(BASE, **{code: value}))
    assert key in keys(issues, code)


def test_check_values_cross_field():
    issues = check_values(FW, dict(BASE, **{"I.4": 70, "I.2": 60}))
    (iss,) = issues["I.4"]
    assert iss.key == "check_failed"
    assert iss.params["op"] == "<=" and iss.params["other"] == "I.2" and iss.params["value"] == 70
    # the check is skipped when the other value is missing
    assert "I.4" not in check_values(FW, dict(BASE, **{"I.4": 70, "I.2": None}))


def test_check_values_unknown_code():
    assert keys(check_values(FW, dict(BASE, ZZ=1)), "ZZ") == ["unknown_indicator"]


# ---------------------------------------------------------------- properties

value_for = {
    "I.1.1": st.floats(0, 100), "I.1.2": st.floats(0, 200), "I.2": st.floats(-10, 100),
    "I.3": st.booleans(), "I.4": st.integers(0, 10), "II.1": st.sampled_from(["good", "fair", "weak", None]),
    "II.2": st.floats(-5, 25), "B.1": st.integers(0, 5), "B.2": st.booleans(), "P.1": st.integers(0, 4),
    "P.2": st.integers(0, 2),
}


@settings(max_examples=100, deadline=None)
@given(st.fixed_dictionaries(value_for))
def test_total_is_sum_of_capped_groups(vals):
    e = score_entry(FW, vals)
    reg = min(e.groups["I"].points + e.groups["II"].points, FW.scale)
    expect = max(0.0, min(reg + e.groups["B"].points + e.groups["P"].points, FW.scale + 5))
    assert abs(e.total - expect) < 1e-9
    for _code, g in e.groups.items():
        lo, hi = (-g.cap, 0) if g.kind == "penalty" else (0, g.cap)
        assert lo <= g.points <= hi
    for i in e.indicators.values():
        assert (-i.max_points <= i.points <= 0) if i.rule_kind == "penalty" else (0 <= i.points <= i.max_points)
