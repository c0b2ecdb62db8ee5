"""Conditions (điều kiện) that withhold or cap a band or an award, issue 16.

A failed condition never changes the score; it is the shown reason. Expected bands and awards
are worked out by hand from the small table in tests/conditions_helpers.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from scoring.band_reasons import explain
from scoring.band_specs import engine_bands
from scoring.campaign import CampaignInputs, compute_campaign
from scoring.condition_eval import evaluate
from scoring.conditions import effects
from scoring.entry import score_entry
from scoring.framework import FrameworkError, dump_framework, parse_framework
from scoring.rules import NA
from scoring.vector import compile_rules, own_sums, points_matrix, values_matrix
from tests.conditions_helpers import BANDS, FULL, doc


def fw():
    return parse_framework(doc())


def test_round_trip_is_identical():
    d = doc()
    once = dump_framework(parse_framework(d))
    assert once == dump_framework(parse_framework(once))
    assert once["conditions"] == d["conditions"]
    assert once["bands"] == d["bands"]


@pytest.mark.parametrize("change, message", [
    (lambda d: d["conditions"][0]["test"].update(indicator="9.9"), "condition DK1: test refers to unknown indicator '9.9'"),
    (lambda d: d["conditions"][0]["test"].update(op=">="), "condition DK1: 2.2 is a yes/no indicator: use == or != (got >=)"),
    (lambda d: d["conditions"][0]["test"].update(value="perhaps"),
     "condition DK1: test on yes/no indicator 2.2 needs value yes or no (got 'perhaps')"),
    (lambda d: d["conditions"][1].pop("cap_band"), "condition DK2: effect cap needs 'cap_band' (the highest band allowed)"),
    (lambda d: d["conditions"][1].update(cap_band="vang"), "condition DK2: cap_band 'vang' is not one of the framework's bands"),
    (lambda d: d["conditions"][1]["test"].update(value="chín mươi"),
     "condition DK2: test on numeric indicator 2.3 needs a number (got 'chín mươi')"),
    (lambda d: d["conditions"][2].update(effect="hide"),
     "condition DK3: effect must be one of withhold, cap, no_award (got 'hide')"),
    (lambda d: d["conditions"][2].update(code="DK1"), "condition DK1: duplicate code"),
])
def test_invalid_conditions_are_refused_with_a_message_naming_the_condition(change, message):
    d = doc()
    change(d)
    with pytest.raises(FrameworkError) as exc:
        parse_framework(d)
    assert message in exc.value.errors


def test_evaluate_met_failed_missing_and_not_applicable():
    f = fw()
    by = {r.code: r for r in evaluate(f, FULL)}
    assert all(r.met for r in by.values())
    by = {r.code: r for r in evaluate(f, {**FULL, "2.2": "no", "2.3": None})}
    assert not by["DK1"].met and by["DK1"].failed[0][:3] == ("2.2", "==", "yes")
    assert not by["DK2"].met and by["DK2"].missing == ("2.3",)  # no value: not met, and says why
    by = {r.code: r for r in evaluate(f, {**FULL, "2.2": NA})}
    assert by["DK1"].met  # not applicable to this unit
    by = {r.code: r for r in evaluate(f, {**FULL, "1.1": 40})}  # one of DK3's two tests fails
    assert not by["DK3"].met and [x[0] for x in by["DK3"].failed] == ["1.1"]


UNITS = {
    # code: (values, band, award) worked out by hand; every total is 100 except E and F
    "A": (FULL, "xuat_sac", True),
    "B": ({**FULL, "2.2": "no"}, None, False),          # DK1 withholds: no band, no award, score 100 kept
    "C": ({**FULL, "2.3": 80}, "dat", False),            # DK2 caps at "dat"
    "D": ({**FULL, "2.3": None}, "dat", False),          # DK2 not met when 2.3 has no value
    "E": ({**FULL, "2.4": "yes", "2.1": 4}, "xuat_sac", False),  # DK3: band kept (90), no award
    "F": ({**FULL, "1.1": 70}, "tot", False),  # 21 + 20 + 50 = 91 ≥ 90, but I = 41/50 = 82 % < its 90 % floor
}


def inputs(f, units: dict, settings: dict) -> CampaignInputs:
    comp = compile_rules(f)
    entries = [u[0] for u in units.values()]
    vals, na = values_matrix(f, comp, entries)
    pts = own_sums(comp, points_matrix(comp, vals, na))
    n = len(entries)
    return CampaignInputs(
        fw=f, compiled=comp, settings=settings, unit_ids=tuple(range(1, n + 1)),
        entry_ids=tuple(100 + i for i in range(n)), submitted=(True,) * n, levels=(3,) * n, parents=(None,) * n,
        populations=(None,) * n, clusters=(1,) * n, unit_codes=tuple(units), self_totals=(None,) * n,
        first_submitted=(None,) * n, points=pts, judged=np.zeros_like(pts),
        condition_values={i: e for i, e in enumerate(entries)})


def test_campaign_bands_and_awards_follow_the_conditions_and_keep_the_score():
    f = fw()
    settings = {"bands": BANDS, "award_quota_pct": 100, "top_per_cluster": 6}
    rows = compute_campaign(inputs(f, UNITS, settings)).rows
    got = {code: (r["total"], r["band"], r["award"] is not None) for code, r in zip(UNITS, rows, strict=True)}
    assert got == {"A": (100.0, "xuat_sac", True), "B": (100.0, None, False), "C": (100.0, "dat", False),
                   "D": (100.0, "dat", False), "E": (90.0, "xuat_sac", False), "F": (91.0, "tot", False)}
    b = rows[1]
    assert b["band_note"]["conditions"][0]["code"] == "DK1"
    assert [c["code"] for c in b["explanation"]["conditions"] if not c["met"]] == ["DK1"]


def test_per_entry_engine_gives_the_same_band_as_the_campaign():
    f = fw()
    settings = {"bands": BANDS, "award_quota_pct": 100}
    rows = compute_campaign(inputs(f, UNITS, settings)).rows
    floors = {g.code: g.floor_pct for g in f.groups if g.floor_pct is not None}
    for (code, (values, band, _award)), row in zip(UNITS.items(), rows, strict=True):
        es = score_entry(f, values)
        reason = explain(es.total, es.group_pcts(), engine_bands(BANDS), floors, es.criteria[:2], es.conditions)
        assert reason.band == row["band"] == band, code
        assert es.to_explanation()["conditions"] == row["explanation"]["conditions"]


def test_effects_combine_and_cap_to_the_lowest_band():
    f = fw()
    res = evaluate(f, {**FULL, "2.3": 10, "2.4": "yes"})
    eff = effects(res)
    assert eff.cap_bands == ("dat",) and eff.no_award and not eff.withhold and not eff.award_allowed
    reason = explain(100.0, {"I": 100.0, "II": 100.0}, engine_bands(BANDS), {}, None, res)
    assert reason.band == "dat"
    assert [m.code for m in reason.missed if m.blocked_by_condition] == ["xuat_sac", "tot"]
