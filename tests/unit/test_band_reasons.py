"""scoring.band_reasons: the reason always names classify's band, and every shortfall is real."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.band_reasons import FloorMiss, explain, group_percentages
from scoring.ranking import Band, classify

BANDS = [Band("xuat_sac", 855, 85), Band("tot", 760, 80), Band("hoan_thanh", 665, 70), Band("khong", 0, None)]


def test_total_above_the_top_minimum_but_one_group_under_its_floor():
    # Huyện Thạch Thất as seen on the demo board: 882,65 ≥ 855 but group III at 61 % of its maximum.
    reason = explain(882.65, {"I": 90.0, "II": 88.0, "III": 61.0}, BANDS)
    assert reason.band == "khong"
    first = reason.missed[0]
    assert (first.code, first.total_ok, first.failed_floors) == ("xuat_sac", True, (FloorMiss("III", 61.0, 85.0),))
    assert [m.code for m in reason.missed] == ["xuat_sac", "tot", "hoan_thanh"]
    assert [m.code for m in reason.floor_blocked] == ["xuat_sac", "tot", "hoan_thanh"]
    assert reason.reached is not None and reason.reached.code == "khong"


def test_group_floor_replaces_the_bands_floor():
    # Group II's own floor of 50 % replaces 85/80/70: 60 % passes it, group I at 82 % fails only the 85 % band.
    reason = explain(900, {"I": 82.0, "II": 60.0}, BANDS, {"II": 50.0})
    assert reason.band == "tot"
    assert reason.missed[0].failed_floors == (FloorMiss("I", 82.0, 85.0),)
    assert reason.reached.failed_floors == ()


def test_below_the_minimum_is_the_only_shortfall_when_floors_hold():
    reason = explain(700, {"I": 95.0}, BANDS)
    assert reason.band == "hoan_thanh"
    assert [(m.code, m.total_ok, m.failed_floors) for m in reason.missed] == [
        ("xuat_sac", False, ()), ("tot", False, ())]
    assert reason.floor_blocked == ()


def test_no_band_at_all():
    reason = explain(10, {"I": 5.0}, [Band("a", 50, None)])
    assert reason.band is None and reason.reached is None
    assert [m.code for m in reason.missed] == ["a"]


def test_group_percentages_only_for_regular_groups_with_a_maximum():
    pcts = group_percentages({"I": 30.0, "II": 0.5, "B": 5.0, "Z": 1.0},
                             [("I", "regular", 40), ("II", "regular", 3), ("B", "bonus", 10), ("Z", "regular", 0)])
    assert pcts == {"I": 75.0, "II": 16.6667}


bands_st = st.lists(
    st.builds(Band, st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 100).map(float),
              st.one_of(st.none(), st.integers(0, 100).map(float))),
    min_size=0, max_size=5, unique_by=lambda b: b.code)
pcts_st = st.dictionaries(st.sampled_from(["I", "II", "III", "IV"]), st.integers(0, 1000).map(lambda x: x / 10))
floors_st = st.dictionaries(st.sampled_from(["I", "II", "III", "IV"]), st.integers(0, 100).map(float))


@settings(max_examples=400, deadline=None)
@given(total=st.integers(0, 1200).map(lambda x: x / 10), pcts=pcts_st, bands=bands_st, floors=floors_st)
def test_explain_agrees_with_classify_and_every_missed_band_really_fails(total, pcts, bands, floors):
    reason = explain(total, pcts, bands, floors)
    assert reason.band == classify(total, pcts, bands, floors)
    by_code = {b.code: b for b in bands}
    for miss in reason.missed:
        band = by_code[miss.code]
        assert not miss.reached
        assert miss.total_ok == (total >= band.min_total)
        for f in miss.failed_floors:
            assert f.pct == pcts[f.group] and f.pct < f.floor
            assert f.floor == floors.get(f.group, band.floor_pct)
        # a band would be reached with only the reported failures removed
        if miss.total_ok:
            assert band.floor_pct is not None and miss.failed_floors
    if reason.band is None:
        assert reason.reached is None and len(reason.missed) == len(bands)
    else:
        assert reason.reached.code == reason.band and reason.reached.reached
        assert all(b.min_total >= by_code[reason.band].min_total for b in (by_code[m.code] for m in reason.missed))


@settings(max_examples=200, deadline=None)
@given(points=st.dictionaries(st.sampled_from(["I", "II", "B", "P"]), st.integers(-50, 500).map(lambda x: x / 4)),
       maxima=st.tuples(*[st.sampled_from([0, 3, 40, 150]) for _ in range(4)]))
def test_group_percentages_are_the_engines(points, maxima):
    """The published row's percentages equal what scoring.campaign.group_pcts fed classify."""
    from types import SimpleNamespace

    from scoring.campaign import group_pcts

    kinds = {"I": "regular", "II": "regular", "B": "bonus", "P": "penalty"}
    groups = [SimpleNamespace(code=c, kind=kinds[c], max_points=float(m)) for c, m in zip(kinds, maxima, strict=True)]
    ours = group_percentages(points, [(g.code, g.kind, g.max_points) for g in groups])
    assert ours == group_pcts(points, SimpleNamespace(groups=groups))


def test_a_zero_floor_is_no_floor_but_a_groups_own_floor_under_it_still_is():
    # A band whose floor is 0 % asks nothing of the groups: "every group meets its floor" is not why it was reached.
    bands = [Band("xs", 90, 85), Band("ht", 50, 0)]
    assert explain(60, {"I": 40.0, "II": 70.0}, bands).reached.has_floors is False
    # ... unless a group's own floor (30 %) replaces the 0 % (classify: the band has a floor_pct), or the band's own.
    assert explain(60, {"I": 40.0, "II": 70.0}, bands, {"I": 30.0}).reached.has_floors is True
    assert explain(60, {"I": 40.0}, [Band("ht", 50, 0, {"I": 20.0})]).reached.has_floors is True
    assert explain(60, {"I": 40.0}, [Band("ht", 50, None, {"I": 0.0})]).reached.has_floors is False
    assert explain(60, {"I": 40.0}, [Band("ht", 50, 70)]).reached is None  # a real floor still blocks
