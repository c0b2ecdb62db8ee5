"""Issue 16's result constructs together, on random units: the campaign computation (from per-node
SQL-like sums) gives exactly the per-entry engine's totals, bands, award eligibility and conditions.

One table holds a condition of each effect, a rescaled survey part, a max-stacking bonus group,
marked criteria and bands with their own floors and a count of criteria.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from scoring.band_reasons import explain
from scoring.band_specs import engine_bands
from scoring.campaign import CampaignInputs, compute_campaign
from scoring.conditions import effects
from scoring.entry import score_entry
from scoring.framework import parse_framework
from scoring.rules import NA
from scoring.vector import compile_rules, own_sums, points_matrix, values_matrix

BANDS = [{"code": "xs", "min_total": 85, "floors": {"I": 80}, "min_criteria_met": 2},
         {"code": "tot", "min_total": 70, "floor_pct": 60},
         {"code": "dat", "min_total": 50}]


def _ind(code, mp, vt="number", rule=None, **kw):
    return {"code": code, "name": {"vi": code}, "max_points": mp, "value_type": vt,
            "rule": rule or {"kind": "manual"}, **kw}


DOC = {
    "format": "thidua-framework/1", "code": "tong-hop", "name": {"vi": "Tổng hợp"}, "scale": 100, "bands": BANDS,
    "groups": [
        {"code": "I", "name": {"vi": "I"}, "max_points": 40, "criterion": True, "met_pct": 75, "children": [
            _ind("I.1", 20), _ind("I.2", 20, "percentage", {"kind": "linear", "floor": 50, "target": 100}),
            _ind("I.3", 0, "yes_no", {"kind": "yes_no"})]},
        {"code": "II", "name": {"vi": "II"}, "max_points": 30, "criterion": True, "children": [
            {"code": "II.a", "name": {"vi": "II.a"}, "max_points": 30, "children": [_ind("II.1", 30)]}]},
        {"code": "III", "name": {"vi": "Điều tra"}, "max_points": 30, "na_allowed": True, "rescale": True,
         "children": [_ind("III.1", 30, "percentage", {"kind": "linear", "floor": 0, "target": 100})]},
        {"code": "B", "name": {"vi": "Thưởng"}, "kind": "bonus", "max_points": 10, "stacking": "max", "children": [
            _ind("B.1", 10, "yes_no", {"kind": "yes_no"}), _ind("B.2", 6, "yes_no", {"kind": "yes_no"})]},
    ],
    "conditions": [
        {"code": "DK1", "name": {"vi": "DK1"}, "test": {"indicator": "I.3", "op": "==", "value": "yes"}, "effect": "withhold"},
        {"code": "DK2", "name": {"vi": "DK2"}, "test": {"indicator": "I.2", "op": ">=", "value": 60},
         "effect": "cap", "cap_band": "tot"},
        {"code": "DK3", "name": {"vi": "DK3"}, "test": {"indicator": "II.1", "op": ">", "value": 5}, "effect": "no_award"},
    ],
}


def _unit(rng: random.Random) -> dict:
    v: dict = {"I.1": rng.choice([None, rng.randint(0, 20)]), "I.2": rng.choice([None, rng.uniform(40, 100)]),
               "I.3": rng.choice([None, True, True, False]), "II.1": rng.randint(0, 30),
               "B.1": rng.choice([None, True, False]), "B.2": rng.choice([None, True])}
    if rng.random() < 0.35:
        v["III"] = NA
    else:
        v["III.1"] = rng.choice([None, rng.uniform(0, 100)])
    return v


def _stored(v: dict) -> dict:
    """As the save path stores it: a part marked N/A puts N/A on its sub-items."""
    return {**v, "III.1": NA} if v.get("III") is NA else v


@pytest.mark.parametrize("seed", range(6))
def test_campaign_equals_the_per_entry_engine(seed):
    rng = random.Random(seed)
    fw = parse_framework(DOC)
    comp = compile_rules(fw)
    units = [_unit(rng) for _ in range(60)]
    stored = [_stored(u) for u in units]
    plain = compile_rules(parse_framework({**DOC, "groups": DOC["groups"][:3] + [
        {k: v for k, v in DOC["groups"][3].items() if k != "stacking"}]}))
    vals, na = values_matrix(fw, plain, stored)
    sums = own_sums(plain, points_matrix(plain, vals, na))  # the SQL's plain sums per node
    n = len(units)
    inp = CampaignInputs(fw=fw, compiled=comp, settings={"bands": BANDS, "award_quota_pct": 100, "top_per_cluster": 60},
                         unit_ids=tuple(range(n)), entry_ids=tuple(range(n)), submitted=(True,) * n, levels=(2,) * n,
                         parents=(None,) * n, populations=(None,) * n, clusters=(1,) * n,
                         unit_codes=tuple(map(str, range(n))), self_totals=(None,) * n, first_submitted=(None,) * n,
                         points=sums, judged=np.zeros_like(sums), condition_values=dict(enumerate(stored)))
    rows = compute_campaign(inp).rows
    for u, row in zip(units, rows, strict=True):
        es = score_entry(fw, u)
        reason = explain(round(es.total, 2), es.group_pcts(), engine_bands(BANDS), {}, es.criteria[:2], es.conditions)
        assert row["explanation"]["total_exact"] == es.total, u
        assert row["band"] == reason.band, u
        assert row["explanation"]["conditions"] == [c.to_dict() for c in es.conditions]
        assert row["explanation"]["rescaled"] == es.rescaled
        top = row["band"] == "xs" and effects(es.conditions).award_allowed
        assert (row["award"] is not None) == top, u
