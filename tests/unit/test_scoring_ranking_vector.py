"""scoring.ranking.rank_arrays gives exactly what scoring.ranking.rank gives, group by group."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.ranking import RankItem, rank, rank_arrays, tie_break_name

NAMES = ["group:I", "fewer_penalty"]


def _reference(scores, tbs, groups, names):
    out = {}
    for g in set(groups):
        items = [RankItem(i, scores[i], tbs[i]) for i in range(len(scores)) if groups[i] == g]
        for r in rank(items, names):
            out[r.unit_id] = (r.rank, r.tied, r.decided_by)
    return out


def _vector(scores, tbs, groups, names, k):
    rk, tied, deep = rank_arrays(scores, [list(t) for t in tbs] if k else None, groups)
    return {i: (int(rk[i]), bool(tied[i]), tie_break_name(names, int(deep[i]))) for i in range(len(scores))}


@st.composite
def cases(draw):
    n = draw(st.integers(0, 40))
    k = draw(st.integers(0, 3))
    # few distinct values so ties (on score and on tie-breaks) are frequent; include −0.0 / 0.0 and ±inf
    val = st.sampled_from([0.0, -0.0, 1.5, 2.0, 70.25, -3.0, -math.inf, math.inf])
    scores = [draw(st.sampled_from([0.0, 10.0, 10.5, 99.9999, 100.0])) for _ in range(n)]
    tbs = [tuple(draw(val) for _ in range(k)) for _ in range(n)]
    groups = [draw(st.integers(0, 2)) for _ in range(n)]
    return scores, tbs, groups, k


@settings(max_examples=300, deadline=None)
@given(cases())
def test_rank_arrays_equals_rank(case):
    scores, tbs, groups, k = case
    names = NAMES[:1]  # a name shorter than the chain exercises the "tiebreak[i]" fallback
    assert _vector(scores, tbs, groups, names, k) == _reference(scores, tbs, groups, names)


def test_hand_example_1224_with_tie_break():
    # group 0: a 95, b 90 (tb 1), c 90 (tb 2), d 90 (tb 2), e 70 → ranks a1, c2, d2, b4, e5
    scores = [95.0, 90.0, 90.0, 90.0, 70.0, 50.0]
    tbs = [[0.0], [1.0], [2.0], [2.0], [0.0], [0.0]]
    groups = [0, 0, 0, 0, 0, 1]
    rk, tied, deep = rank_arrays(scores, tbs, groups)
    assert rk.tolist() == [1, 4, 2, 2, 5, 1]
    assert tied.tolist() == [False, False, True, True, False, False]
    # b was put below c/d by tie-break 0; d's only equal-score neighbours are c (identical) and b
    assert deep.tolist() == [-1, 0, -1, 0, -1, -1]
    assert [tie_break_name(["tb"], int(d)) for d in deep] == [None, "tb", None, "tb", None, None]


def test_empty_and_single():
    rk, tied, deep = rank_arrays([], None, None)
    assert rk.tolist() == [] and tied.tolist() == [] and deep.tolist() == []
    rk, tied, deep = rank_arrays([3.0], None, None)
    assert rk.tolist() == [1] and tied.tolist() == [False] and deep.tolist() == [-1]
