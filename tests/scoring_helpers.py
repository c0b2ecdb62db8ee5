"""Pure builders for engine tests (no app, no database): frameworks with every rule kind, random values."""
from __future__ import annotations

import random

from scoring.rules import NA


def name(code: str) -> dict:
    return {"vi": f"Chỉ tiêu {code}", "en": f"Indicator {code}"}


def rich_framework(code: str) -> dict:
    """Nested criteria, caps, every rule kind, bonus and penalty groups, NA allowed."""
    return {
        "format": "thidua-framework/1", "code": code, "scale": 100, "name": name(code),
        "groups": [
            {"code": "I", "name": name("I"), "kind": "regular", "max_points": 50, "cap": 45, "children": [
                {"code": "I.a", "name": name("I.a"), "max_points": 30, "cap": 25, "children": [
                    {"code": "I.1", "name": name("I.1"), "max_points": 15, "value_type": "percentage",
                     "na_allowed": True, "rule": {"kind": "linear", "floor": 40, "target": 90}},
                    {"code": "I.2", "name": name("I.2"), "max_points": 15, "value_type": "number",
                     "rule": {"kind": "target", "target": 10}},
                ]},
                {"code": "I.3", "name": name("I.3"), "max_points": 10, "value_type": "yes_no",
                 "rule": {"kind": "yes_no"}},
                {"code": "I.4", "name": name("I.4"), "max_points": 10, "value_type": "number",
                 "rule": {"kind": "banded", "bands": [{"from": 0, "points": 2}, {"from": 5, "points": 6},
                                                      {"from": 10, "points": 10}]}},
            ]},
            {"code": "II", "name": name("II"), "kind": "regular", "max_points": 50, "children": [
                {"code": "II.1", "name": name("II.1"), "max_points": 20, "value_type": "count",
                 "rule": {"kind": "count", "per_item": 3, "cap": 18}},
                {"code": "II.2", "name": name("II.2"), "max_points": 20, "value_type": "choice",
                 "choices": [{"code": "good", "label": name("g")}, {"code": "fair", "label": name("f")}],
                 "rule": {"kind": "judged", "levels": [{"code": "good", "points": 20, "descriptor": name("g")},
                                                       {"code": "fair", "points": 12, "descriptor": name("f")}]}},
                {"code": "II.3", "name": name("II.3"), "max_points": 10, "value_type": "number",
                 "rule": {"kind": "manual"}},
            ]},
            {"code": "B", "name": name("B"), "kind": "bonus", "max_points": 5, "children": [
                {"code": "B.1", "name": name("B.1"), "max_points": 5, "value_type": "count",
                 "rule": {"kind": "bonus", "per_item": 2}},
            ]},
            {"code": "P", "name": name("P"), "kind": "penalty", "max_points": 10, "children": [
                {"code": "P.1", "name": name("P.1"), "max_points": 10, "value_type": "count",
                 "rule": {"kind": "penalty", "per_item": 4}},
            ]},
        ],
    }


def random_value(node, rng: random.Random):
    """A raw value as a form would store it (or None / NA)."""
    if rng.random() < 0.08:
        return None
    if node.na_allowed and rng.random() < 0.2:
        return NA
    k = node.rule.kind
    if k == "judged":
        return rng.choice(["good", "fair"])
    if k == "yes_no":
        return rng.choice([True, False])
    if k == "linear":
        return round(rng.uniform(20, 100), 2)
    if k == "manual":
        return round(rng.uniform(0, 12), 1)
    return float(rng.randint(0, 12))
