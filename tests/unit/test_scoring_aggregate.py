"""Judges' aggregation, z-score normalisation and judge statistics (hand-computed)."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.aggregate import JudgeScore, aggregate, disagreement, judge_stats, zscore_normalise


def test_mean_median_trimmed():
    assert aggregate([6, 8, 10]) == 8                       # 24 / 3
    assert aggregate([3, 6, 8, 10], "median") == 7           # (6 + 8) / 2
    assert aggregate([3, 6, 8, 10], "trimmed_mean") == 7     # drop 3 and 10 -> (6 + 8) / 2
    assert aggregate([6, 9], "trimmed_mean") == 7.5          # < 3 judges -> plain mean
    assert aggregate([3, 6, 8, 10], "trimmed_mean", trim_min_judges=5) == 6.75   # 27 / 4
    assert aggregate([1, 2], "mean") == 1.5
    with pytest.raises(ValueError):
        aggregate([])
    with pytest.raises(ValueError):
        aggregate([1], "mode")


def test_disagreement():
    assert disagreement([6, 9], 2)          # 3 > 2
    assert not disagreement([6, 8], 2)      # 2 is not > 2
    assert not disagreement([], 1)


def S(j, i, p, m=10):
    return JudgeScore(j, i, p, m)


def test_zscore_two_judges():
    # A: [6, 8] (mean .7, sd .1 as fractions) ; B: [8, 10] (mean .9, sd .1)
    # pooled fractions [.6, .8, .8, 1.0]: mean .8, sd sqrt((.04 + 0 + 0 + .04) / 4) = sqrt(.02) = .141421
    # A's 6 -> z = −1 -> .8 − .141421 = .658579 -> 6.5858 ; A's 8 -> z = +1 -> 9.4142 ; B likewise
    out = zscore_normalise([S("A", "x", 6), S("A", "y", 8), S("B", "x", 8), S("B", "y", 10)])
    assert [s.points for s in out] == [6.585786438, 9.414213562, 6.585786438, 9.414213562]  # .8 ∓ .1414213562
    assert [(s.judge_id, s.item_id) for s in out] == [("A", "x"), ("A", "y"), ("B", "x"), ("B", "y")]


def test_zscore_single_score_gets_mean_shift():
    # pooled fractions [.6, .8, .4]: mean .6, sd sqrt((0 + .04 + .04) / 3) = .163299
    # C has one score: .4 − .4 + .6 = .6 -> 6
    # A (mean .7, sd .1): 6 -> .6 − .163299 = .436701 -> 4.3670 ; 8 -> .763299 -> 7.6330
    out = zscore_normalise([S("A", "x", 6), S("A", "y", 8), S("C", "x", 4)])
    assert [round(s.points, 4) for s in out] == [4.367, 7.633, 6.0]
    assert out[0].points != 4.367  # kept at full precision, not rounded to 4 decimals


def test_zscore_clamps_and_sd_zero():
    # E: [2, 10] (mean .6, sd .4) ; F: [9, 9] (sd 0)
    # pooled [.2, 1, .9, .9]: mean .75, var (.3025 + .0625 + .0225 + .0225) / 4 = .1025, sd .320156
    # E's 10: z = 1 -> 1.070156 -> clamped to 10 ; E's 2: .75 − .320156 = .429844 -> 4.2984
    # F: mean shift .9 − .9 + .75 = .75 -> 7.5
    out = zscore_normalise([S("E", "x", 2), S("E", "y", 10), S("F", "x", 9), S("F", "y", 9)])
    assert [round(s.points, 4) for s in out] == [4.2984, 10, 7.5, 7.5]


def test_zscore_mixed_max_points():
    # the same judge scoring out of 10 and out of 20 is compared on fractions
    # A: 5/10 = .5, 10/20 = .5 -> sd 0 -> shift ; B: 8/10 = .8, 16/20 = .8 -> sd 0
    # pooled mean .65 -> A: .5 − .5 + .65 = .65 -> 6.5 and 13 ; B: .65 -> 6.5 and 13
    out = zscore_normalise([S("A", "x", 5, 10), S("A", "y", 10, 20), S("B", "x", 8, 10), S("B", "y", 16, 20)])
    assert [s.points for s in out] == [6.5, 13, 6.5, 13]
    assert zscore_normalise([]) == []


def test_judge_stats():
    # item means: x (6 + 8) / 2 = 7, y (8 + 10) / 2 = 9
    # A shift = ((6 − 7) + (8 − 9)) / 2 = −1 ; B = +1 ; A mean 7, population sd 1
    st_ = judge_stats([S("A", "x", 6), S("A", "y", 8), S("B", "x", 8), S("B", "y", 10)])
    assert (st_["A"].mean, st_["A"].sd, st_["A"].shift_vs_panel, st_["A"].n) == (7, 1, -1, 2)
    assert (st_["B"].mean, st_["B"].shift_vs_panel) == (9, 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 5), st.floats(0, 10)), min_size=1, max_size=20))
def test_zscore_stays_in_range(rows):
    out = zscore_normalise([S(j, i, p) for j, i, p in rows])
    assert len(out) == len(rows) and all(0 <= s.points <= 10 for s in out)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=1, max_size=9), st.sampled_from(["mean", "median", "trimmed_mean"]))
def test_aggregate_between_min_and_max(pts, method):
    a = aggregate(pts, method)
    assert min(pts) - 1e-4 <= a <= max(pts) + 1e-4


@pytest.mark.parametrize("ids", [[7, 3, 7, 11, 3, 3], [2 ** 40, 5, 2 ** 40], [0], [4, -1, 4]])
def test_judge_keys_by_table_are_numpys_unique(ids):
    """Database ids are counted over a table (no sort of every mark); others go through np.unique."""
    from scoring.aggregate import _judge_keys, _positions

    judges = np.array(ids * 50, dtype=np.int64)
    got, expected = _judge_keys(judges), np.unique(judges, return_inverse=True, return_counts=True)
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()
    assert _positions(expected[0], judges).tolist() == np.searchsorted(expected[0], judges).tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.sampled_from([10.0, 20.0, 0.0]),
                          st.sampled_from([0.0, -0.0, 0.5, 2.5, 3.0, 7.25, 10.0])), min_size=1, max_size=40))
def test_array_zscores_are_the_scalar_rules_bit_for_bit(rows):
    """``zscore_stats`` + ``zscore_apply`` (every mark of a campaign at once; the panel's distinct
    values merged from the judges', each with its count) give what ``zscore_normalise`` gives."""
    from scoring.aggregate import zscore_apply, zscore_stats

    judges = np.array([j for j, _, _ in rows], dtype=np.int64)
    mp = np.array([m for _, m, _ in rows])
    pts = np.array([min(p, m) for _, m, p in rows])
    expected = zscore_normalise([S(int(j), k, float(p), float(m))
                                 for k, (j, m, p) in enumerate(zip(judges, mp, pts, strict=True))])
    stats = zscore_stats(judges, pts, mp)
    got = zscore_apply(stats, judges, pts, mp)
    assert [np.float64(x).view(np.int64) for x in got] == [np.float64(s.points).view(np.int64) for s in expected]
