"""The array paths of the campaign computation (issue 18: 100,000 units) against the per-unit logic
they replace: each fast path must give the scalar path's result bit for bit, or rows and their
signatures would change (and every stored row be rewritten)."""
from __future__ import annotations

import math
import random
from types import SimpleNamespace

import numpy as np
import pytest

from scoring.band_reasons import group_percentages
from scoring.campaign import _weighted
from scoring.campaign_ranks import award_proposals, bands_by_arrays, group_codes, group_percentage_columns
from scoring.campaign_rollups import _by_arrays, _per_district, exact_sums, parent_rows
from scoring.framework import parse_framework
from scoring.ranking import Band, Ranked, allowed_bands, first_band, propose_awards, rank_arrays, rank_order
from scoring.rules import round_points
from scoring.signatures import list_text, object_hash, row_signatures, text_hash
from scoring.vector import compile_rules
from tests.unit.test_results_constructs_random import DOC


def _slices(rng: random.Random, n_groups: int, longest: int) -> np.ndarray:
    sizes = [rng.randint(1, longest) for _ in range(n_groups)]
    return np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)


@pytest.mark.parametrize("seed", range(12))
def test_exact_sums_are_fsum(seed):
    rng = random.Random(seed)
    starts = _slices(rng, 60, 200)
    size = int(starts[-1]) + rng.randint(1, 200)
    makers = [lambda: round(rng.uniform(0, 1000), 2), lambda: rng.uniform(-1e6, 1e6), lambda: rng.choice([0.1, 0.2, 0.3]),
              lambda: rng.choice([1e8, -1e8, 1e-5, 3.0, 0.01]), lambda: rng.uniform(-1, 1) * 2.0 ** rng.randint(-60, 29),
              lambda: round(rng.uniform(0, 100), 2) * (rng.randint(1, 300_000) / 4_567_891)]
    values = np.array([makers[seed % len(makers)]() for _ in range(size)], dtype=float)
    got = exact_sums(values, starts)
    ends = list(starts[1:]) + [size]
    want = [math.fsum(values[a:b].tolist()) for a, b in zip(starts, ends, strict=True)]
    assert got is not None and got.tolist() == want


def test_exact_sums_decline_what_they_cannot_do_exactly():
    starts = np.array([0], dtype=np.int64)
    assert exact_sums(np.array([-0.0, -0.0]), starts) is None
    assert exact_sums(np.array([1.0, -0.0, -1.0]), starts).tolist() == [math.fsum([1.0, -0.0, -1.0])]
    assert exact_sums(np.array([2.0 ** 31, 1.0]), starts) is None
    assert exact_sums(np.array([1e-30, 1.0]), starts) is None  # bits below 2^-124
    assert exact_sums(np.array([math.inf]), starts) is None
    assert exact_sums(np.ones(1025), starts) is None
    assert exact_sums(np.ones(1024), starts).tolist() == [1024.0]


@pytest.mark.parametrize("rule", [{"kind": "mean"}, {"kind": "combined", "own_weight": 0.3},
                                  {"kind": "combined", "own_weight": 0.45, "communes_weight": 0.55,
                                   "communes": {"kind": "mean"}}, {"kind": "weighted_mean"},
                                  {"kind": "combined", "communes": {"kind": "weighted_mean"}}, {"kind": "share_meeting"},
                                  {"kind": "share_meeting", "scale": 10}, {"kind": "combined", "own_weight": 0.2,
                                                                           "communes": {"kind": "share_meeting", "scale": 30}}])
def test_district_rollups_by_arrays_equal_the_per_district_rule(rule):
    rng = random.Random(7)
    starts = _slices(rng, 300, 40)
    size = int(starts[-1]) + 5
    ends = list(starts[1:].tolist()) + [size]
    tot = np.array([round(rng.uniform(0, 100), 2) for _ in range(size)])
    grp = np.array([round(rng.uniform(-10, 30), 2) for _ in range(size)])
    has_own = np.array([rng.random() < 0.7 for _ in starts])
    own = np.array([rng.uniform(0, 100) for _ in starts])
    g_own = np.array([rng.uniform(-10, 30) for _ in starts])
    pops: list = [rng.choice([None, 0, 1000, rng.randint(1, 300_000), 12345.5]) for _ in range(size)]
    for a, b in list(zip(starts.tolist(), ends, strict=True))[:20]:  # districts with no known or only zero populations
        pops[a:b] = [rng.choice([None, 0]) for _ in range(b - a)]
    meets = [rng.random() < 0.5 for _ in range(size)]
    fast = _by_arrays(rule, starts, has_own, own, tot, {"G": (g_own, grp)}, meets, pops)
    slow = _per_district(rule, starts, ends, has_own, own, tot.tolist(), pops, meets, {"G": (g_own, grp.tolist())})
    assert fast is not None and fast == slow
    assert _by_arrays({"kind": "combined", "communes": {"kind": "combined"}}, starts, has_own, own, tot, {}, meets, pops) is None


@pytest.mark.parametrize("seed", range(8))
def test_bands_by_arrays_are_first_band(seed):
    rng = random.Random(seed)
    floors = seed % 2 == 1
    bands = [Band("xs", 90.0, floor_pct=60.0 if floors else None, min_criteria_met=rng.choice([None, 2])),
             Band("tot", 75.5, floors={"II": 33.3333} if floors else {}), Band("dat", 50.0, min_criteria_met=1), Band("kem", 0.0)]
    rng.shuffle(bands)
    allowed = allowed_bands(bands, rng.choice([(), ("tot",), ("dat",)]))
    n = 800
    totals = np.array([rng.choice([90.0, 75.5, 75.49, 50.0, 49.99, rng.uniform(0, 100)]) for _ in range(n)])
    criteria = np.array([rng.choice([-1, 0, 1, 2, 3]) for _ in range(n)])
    groups = SimpleNamespace(groups=[SimpleNamespace(code="I", kind="regular", max_points=160.0),
                                     SimpleNamespace(code="II", kind="regular", max_points=30.0),
                                     SimpleNamespace(code="III", kind="regular", max_points=0.0),
                                     SimpleNamespace(code="B", kind="bonus", max_points=10.0)])
    # shown points: 38.4 of 160 is the floor's 24 %; 0.13 of 160 is 0.08125 %, which Python rounds to 0.0813, numpy to 0.0812
    shown = {"I": np.array([rng.choice([38.4, 38.39, 0.13, 0.17, 0.0, round(rng.uniform(0, 160), 2)]) for _ in range(n)]),
             "II": np.array([rng.choice([10.0, 9.99, 10.01, round(rng.uniform(0, 30), 2)]) for _ in range(n)]),
             "III": np.zeros(n), "B": np.full(n, 5.0)}
    group_floors = {"I": 24.0} if floors else {}
    pcts = group_percentage_columns(groups, shown) if floors else {}
    index_of = {id(b): k for k, b in enumerate(bands)}
    got = bands_by_arrays(allowed, totals, criteria, index_of, pcts, group_floors)
    meta = [(g.code, g.kind, g.max_points) for g in groups.groups]
    for i, (t, c, k) in enumerate(zip(totals.tolist(), criteria.tolist(), got.tolist(), strict=True)):
        row_pcts = group_percentages({g: float(v[i]) for g, v in shown.items()}, meta) if floors else {}
        if floors:
            assert {g: float(v[i]) for g, v in pcts.items()} == row_pcts
        assert (bands[k].code if k >= 0 else None) == first_band(allowed, t, row_pcts, group_floors, None if c < 0 else c)


@pytest.mark.parametrize("seed", range(6))
def test_award_proposals_by_arrays_are_propose_awards(seed):
    rng = random.Random(seed)
    n = 400
    cluster = np.array([rng.choice([-1, 0, 1, 2, 3]) for _ in range(n)])
    rank = np.zeros(n, dtype=np.int64)
    for c in range(4):  # competition ranks with ties, per cluster
        rows = np.nonzero(cluster == c)[0]
        scores = sorted((rng.randint(0, 30) for _ in rows), reverse=True)
        rk = [1 + scores.index(s) for s in scores]
        order = rng.sample(list(rows), len(rows))
        rank[order] = rk
    eligible = np.array([rng.random() < 0.5 for _ in range(n)])
    names = [f"K{c}" for c in range(4)]
    cluster_ids = [names[c] if c >= 0 else None for c in cluster.tolist()]
    quota, top = rng.choice([5.0, 20.0, 35.0, 100.0]), rng.choice([1, 2, 3])
    got = award_proposals(quota, top, "xs", eligible, cluster, rank, cluster_ids)
    want: dict[int, tuple[str, str]] = {}
    for c in range(4):
        members = [Ranked(i, int(rank[i]), 0.0) for i in np.nonzero(cluster == c)[0].tolist()]
        bands = {i: "xs" for i in range(n) if eligible[i]}
        for a in propose_awards({names[c]: members}, bands, "xs", quota, top):
            want[a.unit_id] = (a.kind, a.reason)
    assert got == want and want


def test_list_text_is_what_object_hash_writes():
    award = ("top_band", 'rank 2 of 9 in cluster Hà "Nội"\\, band xs\n')
    detail = {"I.1": {"raw": [1.0, math.nan], "z": [0.1, -math.inf]}}
    key = [{"kind": "mean"}, None, 88.5, "A\x1fB", 50.0, {"I": 1.25}]
    for parts in [[None] * 5 + [("cluster_leader", "rank 1 of 10 in cluster 3, band xs, quota 2 (20%)"), None, None],
                  [["I", "TOTAL"], None, None, None, None, award, None, None],
                  [[], detail, {"values": {"I.1": 3}, "reasons": {"I.1": "hồ sơ"}}, key, ["I", 2], ("x", None), [1, "a"],
                   {"k": (1, 2)}]]:
        assert text_hash(list_text(parts)) == object_hash(parts)


def _weighted_scalar(compiled, gs, weights):
    """The per-unit rule the array version replaced (kept here as the reference)."""
    part = {"regular": 0.0, "bonus": 0.0, "penalty": 0.0}
    for code, kind in compiled.groups:
        part[kind] += gs[code] * float(weights.get(code, 1.0))
    regular = min(round_points(part["regular"]), compiled.scale)
    raw = round_points(regular + part["bonus"] + part["penalty"])
    return min(max(raw, 0.0), compiled.scale + compiled.bonus_cap_total)


def test_weighted_totals_by_arrays_equal_the_scalar_rule():
    comp = compile_rules(parse_framework(DOC))
    rng = random.Random(3)
    n = 400
    picks = [0.0, -0.0, 1e-10, -1e-10]  # (−1e-10 in the bonus group: a raw total of −0.0, which the rule keeps)
    cols = {code: np.array([rng.choice([*picks, rng.uniform(-5, 60)]) for _ in range(n)]) for code, _k in comp.groups}
    weights = {"I": 1.7, "II": 0.0, "III": 2.5}
    got = _weighted(comp, cols, weights, n)
    want = [_weighted_scalar(comp, {c: float(v[i]) for c, v in cols.items()}, weights) for i in range(n)]
    assert [repr(x) for x in got.tolist()] == [repr(x) for x in want]  # (−0.0 kept where the rule keeps it)


def test_object_columns_hash_as_each_value_as_a_float():
    column = (None, 3, True, 2.5, None, 10 ** 6, False)
    as_floats = np.array([math.nan if v is None else float(v) for v in column])
    assert row_signatures(7, [column], {}, seed="s").tolist() == row_signatures(7, [as_floats], {}, seed="s").tolist()
    assert row_signatures(2, [(None, None)], {}, seed="s").tolist() == row_signatures(2, [[math.nan] * 2], {}, seed="s").tolist()


def test_parent_rows_as_a_dict_of_unit_ids():
    ids = (10, 11, 12, 11, 13)
    parents = (None, 10, 11, 99, 11)
    row_of = {u: i for i, u in enumerate(ids)}  # a repeated id: the last row
    assert parent_rows(ids, parents).tolist() == [row_of.get(p, -1) if p is not None else -1 for p in parents]


def test_group_codes_partition_rows_by_equal_keys():
    rng = random.Random(1)
    a = np.array([rng.randint(0, 3) for _ in range(200)])
    b = np.array([rng.randint(0, 5) for _ in range(200)])
    codes = group_codes(a, b).tolist()
    for i in range(200):
        for j in range(200):
            assert (codes[i] == codes[j]) == ((a[i], b[i]) == (a[j], b[j]))
    mixed = group_codes(np.array([2, 2, 3], dtype=object), np.array(["x", "y", "x"], dtype=object)).tolist()
    assert mixed[0] != mixed[1] != mixed[2] != mixed[0]


@pytest.mark.parametrize("seed", range(4))
def test_cluster_ranks_from_the_levels_order_equal_their_own_sort(seed):
    """compute_campaign ranks the clustered rows in the order it sorted all rows in (by level), stably
    sorted by cluster: the same ranks, ties and deciding tie-breaks as sorting them anew."""
    rng = random.Random(seed)
    n = 600
    scores = np.array([rng.choice([50.0, 60.5, 70.0, rng.randint(0, 100) / 2]) for _ in range(n)])
    tb = np.array([[rng.choice([1.0, 2.0]), rng.choice([-0.0, 0.0, -1.5]), rng.choice([-np.inf, -1.0])] for _ in range(n)])
    level = np.array([rng.choice([0, 1]) for _ in range(n)])
    order = rank_order(scores, tb, level)
    k_in = np.array(sorted(rng.sample(range(n), 400)), dtype=np.int64)
    codes = group_codes(level[k_in], np.array([rng.randint(0, 3) for _ in k_in]))
    at = np.full(n, -1, dtype=np.int64)
    at[k_in] = np.arange(k_in.size)
    sub = at[order]
    sub = sub[sub >= 0]
    fast = rank_arrays(scores[k_in], tb[k_in], codes, order=sub[np.argsort(codes[sub], kind="stable")])
    plain = rank_arrays(scores[k_in], tb[k_in], codes)
    assert all(a.tolist() == b.tolist() for a, b in zip(fast, plain, strict=True))
