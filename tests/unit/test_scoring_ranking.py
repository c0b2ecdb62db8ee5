"""Competition ranking with tie-breaks, band classification with floors, award proposals."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.ranking import Band, Ranked, classify, propose_awards, quota_size, rank
from scoring.ranking import RankItem as R


def brief(ranked):
    return [(r.unit_id, r.rank, r.tied, r.decided_by) for r in ranked]


def test_competition_ranking_1224():
    out = rank([R("d", 70), R("b", 90), R("a", 95), R("c", 90)])
    assert brief(out) == [("a", 1, False, None), ("b", 2, True, None), ("c", 2, True, None), ("d", 4, False, None)]


def test_tie_break_chain():
    # b and c tie on score 90; fewer penalty points (negated) does not separate them (−3 vs −3),
    # earlier submission (negated day) does: c day 10 beats b day 12
    items = [R("a", 95, (0, 0)), R("b", 90, (-3, -12)), R("c", 90, (-3, -10)), R("d", 90, (-5, -1))]
    out = rank(items, ["fewer_penalties", "earlier_submission"])
    assert brief(out) == [
        ("a", 1, False, None),
        ("c", 2, False, "earlier_submission"),
        ("b", 3, False, "earlier_submission"),
        ("d", 4, False, "fewer_penalties"),
    ]


def test_remaining_ties_share_rank():
    items = [R("x", 80, (1,)), R("y", 80, (1,)), R("z", 80, (2,)), R("w", 70, (9,))]
    out = rank(items, ["tb"])
    assert [(r.unit_id, r.rank, r.tied) for r in out] == [("z", 1, False), ("x", 2, True), ("y", 2, True),
                                                          ("w", 4, False)]
    assert out[0].decided_by == "tb" and out[1].decided_by == "tb"   # x was put below z by tb
    assert out[2].decided_by is None                                 # y's equal-score neighbour is identical x


def test_unnamed_tie_break():
    out = rank([R("a", 1, (2,)), R("b", 1, (1,))])
    assert out[0].decided_by == "tiebreak[0]"


@st.composite
def items(draw):
    n = draw(st.integers(0, 12))
    return [R(f"u{i:02d}", draw(st.integers(0, 5)), (draw(st.integers(0, 2)), draw(st.integers(0, 2))))
            for i in range(n)]


@settings(max_examples=100, deadline=None)
@given(items())
def test_ranking_properties(its):
    out = rank(its, ["t1", "t2"])
    assert sorted(r.unit_id for r in out) == sorted(i.unit_id for i in its)
    by = {r.unit_id: r for r in out}
    key = {i.unit_id: (i.score, i.tiebreak) for i in its}
    for a in its:
        ra = by[a.unit_id]
        # rank = 1 + number of strictly better units (competition ranking)
        assert ra.rank == 1 + sum(1 for b in its if key[b.unit_id] > key[a.unit_id])
        assert ra.tied == any(key[b.unit_id] == key[a.unit_id] for b in its if b is not a)
        for b in its:
            if a.score > b.score:
                assert ra.rank < by[b.unit_id].rank
    assert [(r.rank, r.unit_id) for r in out] == sorted((r.rank, r.unit_id) for r in out)


BANDS = [Band("xs", 90, 85), Band("tot", 80, 80), Band("ht", 70, 70)]


def test_classify_with_floors():
    assert classify(95, {"I": 90, "II": 95}, BANDS) == "xs"
    # 95 overall but group II at 84% < 85 -> falls to "tot" (floor 80 met)
    assert classify(95, {"I": 100, "II": 84}, BANDS) == "tot"
    # 95 but II at 75% -> only "ht" (floor 70)
    assert classify(95, {"I": 100, "II": 75}, BANDS) == "ht"
    assert classify(95, {"I": 100, "II": 60}, BANDS) is None
    assert classify(85, {"I": 100}, BANDS) == "tot"
    assert classify(69.9, {}, BANDS) is None
    assert classify(90, {"I": 85}, BANDS) == "xs"                   # boundaries inclusive
    assert classify(90, {"I": 10}, [Band("any", 50, None)]) == "any"
    # a group's own floor_pct replaces the band floor for that group
    assert classify(95, {"I": 100, "II": 60}, BANDS, group_floors={"II": 50}) == "xs"


def ranked(*rows):
    return [Ranked(u, r, s, t) for u, r, s, t in rows]


def test_quota_size():
    assert quota_size(20, 10) == 2      # floor(20% of 10)
    assert quota_size(20, 7) == 1       # floor(1.4)
    assert quota_size(20, 3) == 1       # floor(0.6) = 0 -> at least 1
    assert quota_size(0, 10) == 0


def test_awards_quota_and_leader():
    # cluster of 10: quota floor(20% * 10) = 2 ; a, b, c all in the top band
    cl = ranked(("a", 1, 99, False), ("b", 2, 95, False), ("c", 3, 92, False)) + \
        ranked(*[(f"z{i}", 4 + i, 50 - i, False) for i in range(7)])
    bands = {"a": "xs", "b": "xs", "c": "xs"}
    out = propose_awards({"K1": cl}, bands, "xs", 20)
    assert [(a.unit_id, a.kind) for a in out] == [("a", "cluster_leader"), ("b", "top_band")]
    assert all(a.cluster == "K1" for a in out)


def test_awards_leader_must_be_in_top_band():
    cl = ranked(("a", 1, 99, False), ("b", 2, 95, False), ("c", 3, 92, False), ("d", 4, 90, False),
                ("e", 5, 80, False))
    out = propose_awards({"K": cl}, {"a": "tot", "b": "xs"}, "xs", 20)
    # quota floor(20% * 5) = 1 ; a is rank 1 but only "tot" -> b proposed as top_band, not leader
    assert [(a.unit_id, a.kind) for a in out] == [("b", "top_band")]


def test_awards_boundary_tie_excluded():
    # cluster of 10, quota 2 ; a leads, b and c tie at rank 2 -> taking both would make 3 > 2 -> both excluded
    cl = ranked(("a", 1, 99, False), ("b", 2, 95, True), ("c", 2, 95, True)) + \
        ranked(*[(f"z{i}", 4 + i, 50 - i, False) for i in range(7)])
    out = propose_awards({"K": cl}, {"a": "xs", "b": "xs", "c": "xs"}, "xs", 20)
    assert [a.unit_id for a in out] == ["a"]
    # a tie for the lead with quota 1 -> nobody is proposed rather than exceeding the quota
    cl2 = ranked(("a", 1, 99, True), ("b", 1, 99, True), ("c", 3, 90, False), ("d", 4, 80, False),
                 ("e", 5, 70, False))
    assert propose_awards({"K": cl2}, {"a": "xs", "b": "xs", "c": "xs"}, "xs", 20) == []


def test_awards_top_per_cluster_and_multiple_clusters():
    k1 = ranked(*[(f"a{i}", i + 1, 100 - i, False) for i in range(10)])
    k2 = ranked(("b0", 1, 91, False), ("b1", 2, 80, False))
    bands = {f"a{i}": "xs" for i in range(10)} | {"b0": "xs"}
    out = propose_awards({"K1": k1, "K2": k2}, bands, "xs", 30, top_per_cluster=2)
    # K1 quota floor(30% * 10) = 3 -> a0, a1 leaders (rank <= 2), a2 top_band ; K2 quota max(1, 0) = 1 -> b0
    assert [(a.unit_id, a.cluster, a.kind) for a in out] == [
        ("a0", "K1", "cluster_leader"), ("a1", "K1", "cluster_leader"), ("a2", "K1", "top_band"),
        ("b0", "K2", "cluster_leader")]
