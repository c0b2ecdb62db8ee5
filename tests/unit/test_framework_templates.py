"""The shipped framework templates (campaign/frameworks/*.yaml) are valid and add up."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from scoring.framework import dump_framework, parse_framework, validate_framework

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "campaign" / "frameworks"
EXPECTED = {"ntm-2016", "civilized-urban", "codes-of-conduct-2018", "mass-mobilization-2018",
            "civilized-lifestyle", "poverty-reduction", "dan-van-kheo"}


def _docs():
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(TEMPLATE_DIR.glob("*.yaml"))}


DOCS = _docs()


def _walk(node):
    yield node
    for c in node.get("children") or ():
        yield from _walk(c)


def test_all_expected_templates_present():
    assert set(DOCS) >= EXPECTED


@pytest.mark.parametrize("name", sorted(DOCS))
def test_template_valid_and_normalised(name):
    doc = DOCS[name]
    assert validate_framework(doc) == []
    assert doc["code"] == name  # file name = framework code
    # already in the normalised form, so export -> import -> export is exact
    assert dump_framework(parse_framework(doc)) == doc
    assert doc.get("assumptions"), "every template must say which thresholds are assumed"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_regular_points_add_up_to_scale(name):
    doc = DOCS[name]
    regular = [g for g in doc["groups"] if g.get("kind", "regular") == "regular"]
    assert math.isclose(sum(g["max_points"] for g in regular), doc["scale"])
    # every regular non-leaf node's maximum equals the sum of its children
    for g in regular:
        for n in _walk(g):
            if n.get("children"):
                assert math.isclose(n["max_points"], sum(c["max_points"] for c in n["children"])), n["code"]


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_node_bilingual_and_indicators_documented(name):
    for g in DOCS[name]["groups"]:
        for n in _walk(g):
            assert n["name"].get("vi") and n["name"].get("en"), n["code"]
            if "rule" in n:
                assert n["guidance"].get("vi") and n["guidance"].get("en"), n["code"]
                assert "required" in n["evidence"] and n["evidence"]["file_types"], n["code"]


def test_known_thresholds_of_ntm():
    fw = parse_framework(DOCS["ntm-2016"])
    assert len([n for n in fw.walk() if n.code.isdigit()]) == 19  # the 19 criteria
    assert len(fw.groups) == 5
    bhyt = fw.node("15.1").rule
    assert (bhyt.kind, bhyt.target, bhyt.dir) == ("target", 85.0, "higher")
    poor = fw.node("11.1").rule
    assert (poor.kind, poor.target, poor.dir) == ("target", 6.0, "lower")
    assert "ư" in fw.node("III").name["vi"] or "ế" in fw.node("III").name["vi"]  # diacritics kept


def test_mass_mobilization_is_a_1000_point_table():
    fw = parse_framework(DOCS["mass-mobilization-2018"])
    assert fw.scale + fw.bonus_cap_total == 1000
    penalty = [g for g in fw.groups if g.kind == "penalty"]
    assert penalty and any(n.rule and n.rule.kind == "penalty" and n.rule.per_item == 8 for n in penalty[0].walk())


def test_every_rule_kind_and_direction_used_somewhere():
    kinds, dirs, na, capped_count, described_levels = set(), set(), False, False, False
    for doc in DOCS.values():
        for g in doc["groups"]:
            for n in _walk(g):
                r = n.get("rule")
                if not r:
                    continue
                kinds.add(r["kind"])
                if r["kind"] in ("target", "linear"):
                    dirs.add((r["kind"], r.get("direction", "higher")))
                na = na or n.get("na_allowed", False)
                capped_count = capped_count or (r["kind"] == "count" and "cap" in r)
                described_levels = described_levels or (
                    r["kind"] == "judged" and all(lv.get("descriptor", {}).get("en") for lv in r["levels"]))
    assert {"target", "linear", "banded", "yes_no", "count", "judged", "bonus", "penalty"} <= kinds
    assert {("target", "higher"), ("target", "lower"), ("linear", "higher"), ("linear", "lower")} <= dirs
    assert na and capped_count and described_levels


# --------------------------------------------------------------------------- rule validation, kind by kind

def _doc(rule: dict, kind: str = "regular", value_type: str | None = None, max_points: float = 10) -> dict:
    leaf = {"code": "A.1", "name": {"vi": "Chỉ tiêu", "en": "Indicator"}, "max_points": max_points, "rule": rule}
    if value_type:
        leaf["value_type"] = value_type
    return {"format": "thidua-framework/1", "code": "t", "name": {"vi": "Thử", "en": "Test"}, "scale": 100,
            "groups": [{"code": "A", "name": {"vi": "Nhóm", "en": "Group"}, "kind": kind, "max_points": max_points,
                        "children": [leaf]}]}


GOOD = [
    ({"kind": "target", "target": 85, "direction": "higher"}, "regular", "percentage"),
    ({"kind": "target", "target": 6, "direction": "lower"}, "regular", "percentage"),
    ({"kind": "linear", "floor": 50, "target": 85, "direction": "higher"}, "regular", "percentage"),
    ({"kind": "linear", "floor": 20, "target": 13.9, "direction": "lower"}, "regular", "percentage"),
    ({"kind": "banded", "bands": [{"from": 50, "points": 4}, {"from": 70, "points": 10}]}, "regular", "percentage"),
    ({"kind": "yes_no", "yes_points": 10, "no_points": 2}, "regular", "yes_no"),
    ({"kind": "count", "per_item": 2, "cap": 6}, "regular", "count"),
    ({"kind": "judged", "levels": [{"code": "tot", "points": 10, "descriptor": {"vi": "Tốt", "en": "Good"}},
                                   {"code": "dat", "points": 5}]}, "regular", "text"),
    ({"kind": "bonus", "per_item": 5}, "bonus", "count"),
    ({"kind": "penalty", "per_item": 8}, "penalty", "count"),
    ({"kind": "manual"}, "regular", "number"),
]

BROKEN = [
    ({"kind": "target", "direction": "higher"}, "regular", None, "numeric 'target'"),
    ({"kind": "target", "target": 5, "direction": "up"}, "regular", None, "direction"),
    ({"kind": "linear", "floor": 90, "target": 85, "direction": "higher"}, "regular", None, "floor < target"),
    ({"kind": "linear", "floor": 10, "target": 20, "direction": "lower"}, "regular", None, "floor > target"),
    ({"kind": "linear", "floor": 5, "target": 5}, "regular", None, "floor equals target"),
    ({"kind": "banded", "bands": [{"from": 70, "points": 4}, {"from": 50, "points": 8}]}, "regular", None, "ascending"),
    ({"kind": "banded", "bands": [{"from": 70, "points": 40}]}, "regular", None, "outside [0, max_points]"),
    ({"kind": "banded", "bands": []}, "regular", None, "non-empty 'bands'"),
    ({"kind": "yes_no", "yes_points": 20}, "regular", None, "yes_points"),
    ({"kind": "count", "per_item": 0}, "regular", None, "per_item"),
    ({"kind": "count", "per_item": 1, "cap": -1}, "regular", None, "'cap'"),
    ({"kind": "judged", "levels": []}, "regular", None, "non-empty 'levels'"),
    ({"kind": "judged", "levels": [{"code": "a", "points": 1}, {"code": "a", "points": 2}]}, "regular", None, "duplicate level"),
    ({"kind": "judged", "levels": [{"code": "a", "points": 99}]}, "regular", None, "outside [0, max_points]"),
    ({"kind": "bonus", "per_item": 5}, "regular", None, "bonus rule outside a bonus group"),
    ({"kind": "penalty", "per_item": 8}, "regular", None, "penalty rule outside a penalty group"),
    ({"kind": "yes_no"}, "penalty", None, "only contain penalty rules"),
    ({"kind": "penalty", "per_item": -1}, "penalty", None, "per_item"),
    ({"kind": "magic"}, "regular", None, "unknown rule kind"),
    ({"kind": "linear", "floor": 1, "target": 2}, "regular", "yes_no", "incompatible"),
]


@pytest.mark.parametrize("rule, kind, value_type", GOOD, ids=[f"{r['kind']}-{i}" for i, (r, _k, _v) in enumerate(GOOD)])
def test_every_rule_kind_valid(rule, kind, value_type):
    assert validate_framework(_doc(rule, kind, value_type)) == []


@pytest.mark.parametrize("rule, kind, value_type, message", BROKEN,
                         ids=[f"{r['kind']}-{i}" for i, (r, _k, _v, _m) in enumerate(BROKEN)])
def test_every_rule_kind_broken_is_reported(rule, kind, value_type, message):
    errors = validate_framework(_doc(rule, kind, value_type))
    assert any(message in e for e in errors), errors
    assert all(e.startswith("A.1") for e in errors)  # the message names the indicator


def test_na_allowed_and_cap_round_trip_through_dump():
    doc = _doc({"kind": "yes_no"}, "regular", "yes_no")
    doc["groups"][0]["children"][0]["na_allowed"] = True
    doc["groups"][0]["cap"] = 8
    assert dump_framework(parse_framework(doc)) == doc
