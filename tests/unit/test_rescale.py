"""Rescaling when a declared part is not assessed (issue 16): "quy về thang điểm 100", worked by hand.

Scale 100: group I (60 points, two 30-point indicators) and group II, the sociological survey
(40 points, na_allowed + rescale); a 10-point bonus group. A unit that held no survey marks II
"not applicable": II scores 0 and the regular part becomes Σ × 100 ÷ (100 − 40).
"""
from __future__ import annotations

import numpy as np
import pytest

from scoring.campaign import CampaignInputs, compute_campaign
from scoring.entry import score_entry
from scoring.framework import FrameworkError, dump_framework, parse_framework
from scoring.rules import NA
from scoring.vector import compile_rules, own_sums, points_matrix, values_matrix


def doc() -> dict:
    def ind(code, mp, **kw):
        return {"code": code, "name": {"vi": f"Chỉ tiêu {code}"}, "max_points": mp, "value_type": "number",
                "rule": {"kind": "manual"}, **kw}

    return {"format": "thidua-framework/1", "code": "quy-ve-100", "name": {"vi": "Quy về thang 100"}, "scale": 100,
            "groups": [
                {"code": "I", "name": {"vi": "Tự chấm"}, "kind": "regular", "max_points": 60,
                 "children": [ind("I.1", 30), ind("I.2", 30)]},
                {"code": "II", "name": {"vi": "Điều tra xã hội học"}, "kind": "regular", "max_points": 40,
                 "na_allowed": True, "rescale": True, "children": [ind("II.1", 40)]},
                {"code": "B", "name": {"vi": "Điểm thưởng"}, "kind": "bonus", "max_points": 10,
                 "children": [{"code": "B.1", "name": {"vi": "Cờ thi đua"}, "max_points": 10,
                               "rule": {"kind": "bonus", "per_item": 5}}]}]}


# values -> (total, regular) by hand
CASES = [
    ({"I.1": 30, "I.2": 24, "II": NA, "II.1": NA}, 90.0, 90.0),            # 54 × 100 / 60 = 90
    ({"I.1": 30, "I.2": 30, "II": NA, "II.1": NA, "B.1": 1}, 105.0, 100.0),  # 60 → 100, + 5 bonus
    ({"I.1": 30, "I.2": 24, "II.1": 20}, 74.0, 74.0),                       # surveyed: no rescaling
    ({"I.1": 10, "I.2": 10, "II": NA, "II.1": NA}, 33.33, 33.33),           # 20 × 100 / 60 = 33.333…
]


def _entered(values: dict) -> dict:
    """What the officer typed: the criterion's N/A mark (it spreads to II.1 in the engine)."""
    return {k: v for k, v in values.items() if not (k == "II.1" and "II" in values)}


@pytest.mark.parametrize("values, total, regular", CASES)
def test_per_entry_engine_rescales_and_says_so(values, total, regular):
    fw = parse_framework(doc())
    es = score_entry(fw, _entered(values))
    assert (round(es.total, 2), round(es.regular_total, 2)) == (total, regular)
    if "II" in values:
        assert es.indicators["II.1"].points == 0 and es.indicators["II.1"].status == "not_assessed"
        assert es.rescaled["parts"] == ["II"] and es.rescaled["removed_max"] == 40
        assert es.to_explanation()["rescaled"]["scale"] == 100
    else:
        assert es.rescaled is None


def test_campaign_path_equals_the_per_entry_engine():
    fw = parse_framework(doc())
    comp = compile_rules(fw)
    entries = [c[0] for c in CASES]
    vals, na = values_matrix(fw, comp, entries)  # stored rows: II.1 is N/A (full points in the sums)
    pts = own_sums(comp, points_matrix(comp, vals, na))
    n = len(entries)
    inp = CampaignInputs(fw=fw, compiled=comp, settings={}, unit_ids=tuple(range(n)), entry_ids=tuple(range(n)),
                         submitted=(True,) * n, levels=(2,) * n, parents=(None,) * n, populations=(None,) * n,
                         clusters=(None,) * n, unit_codes=tuple(map(str, range(n))), self_totals=(None,) * n,
                         first_submitted=(None,) * n, points=pts, judged=np.zeros_like(pts),
                         condition_values={i: e for i, e in enumerate(entries)})
    rows = compute_campaign(inp).rows
    assert [r["total"] for r in rows] == [c[1] for c in CASES]
    for r, values in zip(rows, entries, strict=True):
        es = score_entry(fw, _entered(values))
        assert r["explanation"]["total_exact"] == es.total
        assert r["explanation"]["rescaled"] == es.rescaled
        assert r["group_scores"]["II"] == 0.0 if "II" in values else r["group_scores"]["II"] == 20.0


def test_round_trip_and_validation():
    d = doc()
    once = dump_framework(parse_framework(d))
    assert once == dump_framework(parse_framework(once)) and once["groups"][1]["rescale"] is True
    bad = doc()
    del bad["groups"][1]["na_allowed"]
    with pytest.raises(FrameworkError) as exc:
        parse_framework(bad)
    assert "II: rescale needs na_allowed: true (the part a unit may mark not assessed)" in exc.value.errors
    bad = doc()
    bad["groups"][1]["children"][0].update(na_allowed=True, rescale=True)
    with pytest.raises(FrameworkError) as exc:
        parse_framework(bad)
    assert "II.1: rescale inside II, which rescales already" in exc.value.errors


def test_a_part_not_assessed_has_no_floor():
    """Band 'tot' needs 80 points and every group at 70 %: the unit without a survey (90 rescaled, I at 90 %)
    reaches it — the survey's 0 is not held against a floor; the surveyed 74 does not reach 80."""
    from scoring.band_reasons import explain
    from scoring.band_specs import engine_bands

    bands = [{"code": "tot", "min_total": 80, "floor_pct": 70}, {"code": "dat", "min_total": 50}]
    fw = parse_framework(doc())
    comp = compile_rules(fw)
    entries = [c[0] for c in CASES]
    vals, na = values_matrix(fw, comp, entries)
    pts = own_sums(comp, points_matrix(comp, vals, na))
    n = len(entries)
    inp = CampaignInputs(fw=fw, compiled=comp, settings={"bands": bands}, unit_ids=tuple(range(n)),
                         entry_ids=tuple(range(n)), submitted=(True,) * n, levels=(2,) * n, parents=(None,) * n,
                         populations=(None,) * n, clusters=(None,) * n, unit_codes=tuple(map(str, range(n))),
                         self_totals=(None,) * n, first_submitted=(None,) * n, points=pts, judged=np.zeros_like(pts),
                         condition_values=dict(enumerate(entries)))
    rows = compute_campaign(inp).rows
    assert [r["band"] for r in rows] == ["tot", "tot", "dat", None]  # 90, 105, 74, 33.33
    assert rows[0]["band_note"] == {"not_assessed": ["II"]}
    es = score_entry(fw, _entered(entries[0]))
    assert explain(es.total, es.group_pcts(), engine_bands(bands), {}).band == "tot"
