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
    assert EXPECTED <= set(DOCS)


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
