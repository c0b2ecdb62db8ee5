"""Framework parsing, dumping round-trip and validation of malformed documents."""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import pytest

from scoring.framework import FrameworkError, dump_framework, parse_framework, validate_framework


def doc():
    """A small framework in normalised form (what dump_framework emits)."""
    return {
        "format": "thidua-framework/1",
        "code": "test-fw",
        "name": {"vi": "Bộ thử", "en": "Test set"},
        "scale": 100,
        "source": "hand-made",
        "assumptions": ["none"],
        "groups": [
            {"code": "I", "name": {"vi": "Nhóm I"}, "kind": "regular", "max_points": 60, "cap": 60,
             "children": [
                 {"code": "I.1", "name": {"vi": "Tiêu chí 1"}, "max_points": 30, "children": [
                     {"code": "I.1.1", "name": {"vi": "a"}, "max_points": 20, "value_type": "percentage",
                      "unit": "%", "min": 0, "max": 100, "required": True,
                      "evidence": {"required": True, "file_types": ["pdf"]},
                      "rule": {"kind": "linear", "floor": 50, "target": 90, "direction": "higher"},
                      "checks": [{"op": "<=", "other": "I.2", "message": {"en": "a <= b"}}]},
                     {"code": "I.1.2", "name": {"vi": "b"}, "max_points": 10, "value_type": "number",
                      "rule": {"kind": "target", "target": 100, "direction": "higher"}},
                 ]},
                 {"code": "I.2", "name": {"vi": "c"}, "max_points": 10, "value_type": "number",
                  "na_allowed": True, "guidance": {"vi": "hướng dẫn"},
                  "rule": {"kind": "banded", "bands": [{"from": 0, "points": 2}, {"from": 50, "points": 5},
                                                      {"from": 80, "points": 10}]}},
                 {"code": "I.3", "name": {"vi": "d"}, "max_points": 10, "value_type": "yes_no",
                  "rule": {"kind": "yes_no"}},
                 {"code": "I.4", "name": {"vi": "e"}, "max_points": 10, "value_type": "count",
                  "rule": {"kind": "count", "per_item": 2, "cap": 8}},
             ]},
            {"code": "II", "name": {"vi": "Nhóm II"}, "kind": "regular", "max_points": 40, "floor_pct": 50,
             "children": [
                 {"code": "II.1", "name": {"vi": "f"}, "max_points": 20, "value_type": "choice",
                  "choices": [{"code": "good", "label": {"vi": "Tốt"}}, {"code": "fair", "label": {"vi": "Khá"}}],
                  "rule": {"kind": "judged", "levels": [
                      {"code": "good", "points": 20, "descriptor": {"vi": "tốt"}},
                      {"code": "fair", "points": 12.5, "descriptor": {"vi": "khá"}}]}},
                 {"code": "II.2", "name": {"vi": "g"}, "max_points": 20, "rule": {"kind": "manual"}},
             ]},
            {"code": "B", "name": {"vi": "Thưởng"}, "kind": "bonus", "max_points": 10, "cap": 5, "children": [
                {"code": "B.1", "name": {"vi": "h"}, "max_points": 6, "rule": {"kind": "bonus", "per_item": 2}},
            ]},
            {"code": "P", "name": {"vi": "Trừ"}, "kind": "penalty", "max_points": 10, "cap": 8, "children": [
                {"code": "P.1", "name": {"vi": "i"}, "max_points": 8, "rule": {"kind": "penalty", "per_item": 8}},
            ]},
        ],
    }


def test_parse_structure_and_helpers():
    fw = parse_framework(doc())
    assert fw.code == "test-fw" and fw.scale == 100.0
    assert [n.code for n in fw.indicators()] == ["I.1.1", "I.1.2", "I.2", "I.3", "I.4", "II.1", "II.2", "B.1", "P.1"]
    assert fw.node("I.1.1").rule.kind == "linear"
    assert fw.node("I.1.1").kind == "regular"
    assert fw.node("P.1").kind == "penalty"          # inherited from the group
    assert fw.group_of("I.1.2").code == "I"
    assert fw.group_of("B").code == "B"
    assert fw.node("I.1").effective_cap == 30        # cap defaults to max_points
    assert fw.node("B").effective_cap == 5
    assert fw.bonus_cap_total == 5
    with pytest.raises(KeyError):
        fw.node("nope")


def test_round_trip_exact_for_normalised_doc():
    d = doc()
    assert dump_framework(parse_framework(d)) == d
    fw = parse_framework(d)
    assert parse_framework(dump_framework(fw)) == fw
    # the dump is JSON-serialisable and stable byte for byte
    s1 = json.dumps(dump_framework(fw), ensure_ascii=False)
    s2 = json.dumps(dump_framework(parse_framework(json.loads(s1))), ensure_ascii=False)
    assert s1 == s2


def test_round_trip_normalises_defaults():
    d = doc()
    d["groups"][0]["children"][2]["floor_pct"] = None
    d["groups"][0]["children"][3]["required"] = False
    del d["groups"][1]["kind"]                        # default regular
    out = dump_framework(parse_framework(d))
    assert "floor_pct" not in out["groups"][0]["children"][2]
    assert "required" not in out["groups"][0]["children"][3]
    assert out["groups"][1]["kind"] == "regular"
    assert parse_framework(out) == parse_framework(d)


def test_valid_doc_has_no_errors():
    assert validate_framework(doc()) == []


def _mutate(fn):
    d = copy.deepcopy(doc())
    fn(d)
    return validate_framework(d)


def ind(d, code):
    def walk(n):
        if n["code"] == code:
            return n
        for c in n.get("children", []):
            r = walk(c)
            if r:
                return r
    for g in d["groups"]:
        r = walk(g)
        if r:
            return r
    raise KeyError(code)


BAD = {
    "missing code": (lambda d: ind(d, "I.3").pop("code"), "missing code"),
    "duplicate code": (lambda d: ind(d, "I.3").update(code="I.2"), "I.2: duplicate code"),
    "unknown rule kind": (lambda d: ind(d, "I.3").update(rule={"kind": "magic"}), "unknown rule kind"),
    "linear floor == target": (lambda d: ind(d, "I.1.1")["rule"].update(floor=90), "floor equals target"),
    "linear wrong direction": (lambda d: ind(d, "I.1.1")["rule"].update(floor=95), "floor < target"),
    "linear missing target": (lambda d: ind(d, "I.1.1")["rule"].pop("target"), "numeric 'target'"),
    "target missing": (lambda d: ind(d, "I.1.2")["rule"].pop("target"), "I.1.2: rule target needs"),
    "bad direction": (lambda d: ind(d, "I.1.2")["rule"].update(direction="up"), "direction"),
    "banded not ascending": (lambda d: ind(d, "I.2")["rule"]["bands"].reverse(), "not strictly ascending"),
    "banded empty": (lambda d: ind(d, "I.2")["rule"].update(bands=[]), "non-empty 'bands'"),
    "band points > max": (lambda d: ind(d, "I.2")["rule"]["bands"][2].update(points=11), "outside [0, max_points]"),
    "judged without levels": (lambda d: ind(d, "II.1")["rule"].pop("levels"), "non-empty 'levels'"),
    "level points > max": (lambda d: ind(d, "II.1")["rule"]["levels"][0].update(points=25), "II.1: level 'good'"),
    "count per_item 0": (lambda d: ind(d, "I.4")["rule"].update(per_item=0), "'per_item' > 0"),
    "bonus per_item negative": (lambda d: ind(d, "B.1")["rule"].update(per_item=-1), "B.1: bonus rule needs"),
    "negative max_points": (lambda d: ind(d, "I.3").update(max_points=-1), "I.3: negative max_points"),
    "missing max_points": (lambda d: ind(d, "I.3").pop("max_points"), "I.3: missing max_points"),
    "bonus outside bonus group": (lambda d: ind(d, "I.4").update(rule={"kind": "bonus", "per_item": 1},
                                                                  value_type="count"), "bonus rule outside"),
    "penalty outside penalty group": (lambda d: ind(d, "I.4").update(rule={"kind": "penalty", "per_item": 1}),
                                      "penalty rule outside"),
    "non-penalty in penalty group": (lambda d: ind(d, "P.1").update(rule={"kind": "manual"}),
                                     "may only contain penalty"),
    "yes_no rule on text": (lambda d: ind(d, "I.3").update(value_type="text"), "incompatible"),
    "linear on yes_no": (lambda d: ind(d, "I.1.1").update(value_type="yes_no"), "incompatible"),
    "empty choices": (lambda d: ind(d, "II.1").update(choices=[]), "non-empty choices"),
    "unknown check target": (lambda d: ind(d, "I.1.1")["checks"][0].update(other="Z.9"), "unknown code 'Z.9'"),
    "unknown check op": (lambda d: ind(d, "I.1.1")["checks"][0].update(op="~"), "unknown op"),
    "unknown value_type": (lambda d: ind(d, "I.3").update(value_type="colour"), "unknown value_type"),
    "rule and children": (lambda d: ind(d, "I.1").update(rule={"kind": "manual"}), "both a rule and children"),
    "leaf without rule": (lambda d: ind(d, "I.3").pop("rule"), "leaf node without a rule"),
    "unknown group kind": (lambda d: d["groups"][0].update(kind="extra"), "unknown group kind"),
    "child kind differs": (lambda d: ind(d, "I.3").update(kind="bonus"), "differs from its group"),
    "bad format": (lambda d: d.update(format="other"), "format"),
    "bad slug": (lambda d: d.update(code="Bad Code"), "slug"),
    "bad scale": (lambda d: d.update(scale=0), "scale"),
    "no groups": (lambda d: d.update(groups=[]), "groups"),
    "reserved code": (lambda d: ind(d, "I.3").update(code="TOTAL"), "reserved"),
    "min > max": (lambda d: ind(d, "I.1.1").update(min=10, max=5), "min > max"),
    "yes_points > max": (lambda d: ind(d, "I.3")["rule"].update(yes_points=50), "yes_points"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_rejects(case):
    fn, needle = BAD[case]
    errors = _mutate(fn)
    assert any(needle in e for e in errors), errors


def test_parse_raises_with_all_errors():
    d = doc()
    ind(d, "I.1.1")["rule"]["floor"] = 90
    ind(d, "I.4")["rule"]["per_item"] = 0
    with pytest.raises(FrameworkError) as ei:
        parse_framework(d)
    assert len(ei.value.errors) == 2
