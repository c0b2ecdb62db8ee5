"""Bonus stacking (issue 16): "Cờ thi đua Chính phủ được cộng thêm 15 điểm" — do two awards add up?

`stacking: sum` (default): the items add up to the group's cap; `stacking: max`: only the largest
counts ("hai danh hiệu không cộng dồn"). Worked by hand.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

from scoring.campaign import CampaignInputs, compute_campaign
from scoring.entry import score_entry
from scoring.framework import FrameworkError, dump_framework, parse_framework
from scoring.vector import compile_rules, own_sums, points_matrix, values_matrix


def doc(stacking: str | None) -> dict:
    def award(code, pts, name):
        return {"code": code, "name": {"vi": name}, "max_points": pts, "value_type": "yes_no", "rule": {"kind": "yes_no"}}

    bonus = {"code": "B", "name": {"vi": "Điểm thưởng"}, "kind": "bonus", "max_points": 20, "children": [
        award("B.1", 15, "Cờ thi đua của Chính phủ"), award("B.2", 10, "Bằng khen của Thủ tướng"),
        award("B.3", 8, "Cờ thi đua của tỉnh")]}
    if stacking:
        bonus["stacking"] = stacking
    return {"format": "thidua-framework/1", "code": "thuong", "name": {"vi": "Điểm thưởng"}, "scale": 100,
            "groups": [{"code": "A", "name": {"vi": "Nhiệm vụ"}, "kind": "regular", "max_points": 100, "children": [
                {"code": "A.1", "name": {"vi": "Kết quả"}, "max_points": 100, "value_type": "number",
                 "rule": {"kind": "manual"}}]}, bonus]}


UNITS = [
    {"A.1": 80, "B.1": True, "B.2": True},   # sum 25 → cap 20: 100; max: 15 → 95
    {"A.1": 80, "B.2": True, "B.3": True},   # sum 18: 98; max: 10 → 90
    {"A.1": 70, "B.3": True},                # 78 either way
    {"A.1": 60},                             # 60 either way
]


@pytest.mark.parametrize("stacking, totals", [(None, [100, 98, 78, 60]), ("sum", [100, 98, 78, 60]),
                                              ("max", [95, 90, 78, 60])])
def test_per_entry_and_campaign_totals(stacking, totals):
    fw = parse_framework(doc(stacking))
    assert [score_entry(fw, u).total for u in UNITS] == totals
    # The recompute's sums are SQL sums per node (a bonus group's items added up): the campaign
    # computation must still give the largest item only.
    summed = compile_rules(parse_framework(doc(None)))
    vals, na = values_matrix(fw, summed, UNITS)
    sums = own_sums(summed, points_matrix(summed, vals, na))
    n = len(UNITS)
    inp = CampaignInputs(fw=fw, compiled=compile_rules(fw), settings={}, unit_ids=tuple(range(n)),
                         entry_ids=tuple(range(n)), submitted=(True,) * n, levels=(2,) * n, parents=(None,) * n,
                         populations=(None,) * n, clusters=(None,) * n, unit_codes=tuple(map(str, range(n))),
                         self_totals=(None,) * n, first_submitted=(None,) * n, points=sums, judged=np.zeros_like(sums),
                         condition_values=dict(enumerate(copy.deepcopy(UNITS))))
    assert [r["total"] for r in compute_campaign(inp).rows] == totals


def test_round_trip_and_validation():
    d = doc("max")
    once = dump_framework(parse_framework(d))
    assert once == dump_framework(parse_framework(once)) and once["groups"][1]["stacking"] == "max"
    bad = doc("both")
    with pytest.raises(FrameworkError) as exc:
        parse_framework(bad)
    assert "B: stacking must be 'sum' or 'max' (got 'both')" in exc.value.errors
    bad = doc(None)
    bad["groups"][0]["stacking"] = "max"
    with pytest.raises(FrameworkError) as exc:
        parse_framework(bad)
    assert "A: stacking is only for bonus groups" in exc.value.errors
