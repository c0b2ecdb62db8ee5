"""Ranking within a cluster, classification bands and award proposals.

Decisions where the brief is silent:

* Scores and tie-break values are compared exactly; pass rounded scores
  (entry totals already are, to 4 decimals).
* ``decided_by`` is the deepest tie-break needed to separate a unit from its
  equal-score neighbours (None if no other unit has its score). A unit still
  tied with someone else may also have ``decided_by`` set if a tie-break put
  its tied group below another equal-score unit.
* Missing tie-break names fall back to ``"tiebreak[i]"``.
* ``classify``: a band's own ``floors`` entry for a group wins; else ``group_floors``
  (from a group's ``floor_pct``) replaces the band's floor for that group whenever
  the band has a ``floor_pct``. ``min_criteria_met`` is checked when the caller
  counts criteria; failed conditions withhold every band or cap it (``allowed_bands``).
* ``propose_awards``: the quota is a hard limit per cluster. Units are taken in
  rank order as whole tie groups; a tie group that would exceed the quota is
  excluded (with everyone after it) rather than breaking the quota. Among the
  proposed, those with rank ≤ ``top_per_cluster`` are ``cluster_leader``, the
  rest ``top_band``.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RankItem:
    unit_id: Hashable
    score: float
    tiebreak: tuple = ()


@dataclass(frozen=True)
class Ranked:
    unit_id: Hashable
    rank: int
    score: float
    tied: bool = False
    decided_by: str | None = None


@dataclass(frozen=True)
class Band:
    """A band (xếp loại): its minimum total, its floor for every top-level regular group
    (``floor_pct``), its own floors for some groups (``floors``, replacing every other floor of
    those groups) and how many criteria must be met (``min_criteria_met``)."""

    code: str
    min_total: float
    floor_pct: float | None = None
    floors: Mapping[str, float] = field(default_factory=dict)
    min_criteria_met: int | None = None

    def floor_of(self, group: str, group_floors: Mapping[str, float]) -> float | None:
        """The floor ``group`` must meet for this band: the band's own floor for it, else (when the
        band has a ``floor_pct``) the group's own ``floor_pct``, else the band's ``floor_pct``."""
        if group in self.floors:
            return float(self.floors[group])
        if self.floor_pct is None:
            return None
        return float(group_floors.get(group, self.floor_pct))

    @property
    def has_floors(self) -> bool:
        return self.floor_pct is not None or bool(self.floors)


@dataclass(frozen=True)
class Award:
    unit_id: Hashable
    cluster: Hashable
    kind: str  # cluster_leader | top_band
    reason: str


def _first_diff(a: tuple, b: tuple) -> int | None:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):  # tie-break tuples may differ in length
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def rank(items: Sequence[RankItem], tie_break_names: Sequence[str] = ()) -> list[Ranked]:
    """Standard competition ranking (1, 2, 2, 4) by score then tie-breaks (higher is better)."""
    def key(it: RankItem):
        return (-it.score, tuple(-t for t in it.tiebreak))

    order = sorted(items, key=lambda it: (key(it), it.unit_id))

    def name(i: int) -> str:
        return tie_break_names[i] if i < len(tie_break_names) else f"tiebreak[{i}]"

    out: list[Ranked] = []
    n = len(order)
    rk = 1
    for idx, it in enumerate(order):
        if idx > 0 and key(order[idx - 1]) != key(it):
            rk = idx + 1
        tied = (idx > 0 and key(order[idx - 1]) == key(it)) or (idx + 1 < n and key(order[idx + 1]) == key(it))
        deepest = None
        for j in (idx - 1, idx + 1):
            if 0 <= j < n and order[j].score == it.score:
                d = _first_diff(tuple(it.tiebreak), tuple(order[j].tiebreak))
                if d is not None and (deepest is None or d > deepest):
                    deepest = d
        out.append(Ranked(it.unit_id, rk, it.score, tied, None if deepest is None else name(deepest)))
    return out


def allowed_bands(bands: Sequence[Band], cap_bands: Sequence[str] = (), withheld: bool = False) -> list[Band]:
    """The bands a unit may still get after its failed conditions (highest first): none when
    withheld; with caps, only bands at or below the lowest cap band (an unknown cap band: none)."""
    ordered = sorted(bands, key=lambda b: b.min_total, reverse=True)
    if withheld:
        return []
    if cap_bands:
        mins = {b.code: b.min_total for b in bands}
        if any(c not in mins for c in cap_bands):
            return []
        limit = min(mins[c] for c in cap_bands)
        return [b for b in ordered if b.min_total <= limit]
    return ordered


def band_ok(b: Band, total: float, group_pcts: Mapping[str, float], group_floors: Mapping[str, float],
            criteria_met: int | None = None) -> bool:
    """Whether the unit reaches band ``b``: its minimum total, every floor, its count of criteria met.

    ``criteria_met`` None (a roll-up district) does not check ``min_criteria_met``.
    """
    if total < b.min_total:
        return False
    for g, pct in group_pcts.items():
        floor = b.floor_of(g, group_floors)
        if floor is not None and pct < floor:
            return False
    return b.min_criteria_met is None or criteria_met is None or criteria_met >= b.min_criteria_met


def classify(total: float, group_pcts: dict[str, float], bands: Sequence[Band],
             group_floors: dict[str, float] | None = None, criteria_met: int | None = None,
             cap_bands: Sequence[str] = (), withheld: bool = False) -> str | None:
    """Highest band (among those the failed conditions allow) the unit reaches (:func:`band_ok`)."""
    return first_band(allowed_bands(bands, cap_bands, withheld), total, group_pcts, group_floors or {}, criteria_met)


def first_band(allowed: Sequence[Band], total: float, group_pcts: Mapping[str, float],
               group_floors: Mapping[str, float], criteria_met: int | None = None) -> str | None:
    """The first of ``allowed`` (:func:`allowed_bands`, highest first) the unit reaches; for many
    units under the same conditions, :func:`allowed_bands` once and this per unit."""
    for b in allowed:
        if band_ok(b, total, group_pcts, group_floors, criteria_met):
            return b.code
    return None


def quota_size(quota_pct: float, cluster_size: int) -> int:
    """floor(quota% × size), at least 1 when the quota is positive and the cluster non-empty."""
    if quota_pct <= 0 or cluster_size <= 0:
        return 0
    return max(1, math.floor(quota_pct * cluster_size / 100 + 1e-9))


def propose_awards(ranked_by_cluster: dict[Hashable, list[Ranked]], bands: dict[Hashable, str],
                   top_band: str, quota_pct: float, top_per_cluster: int = 1) -> list[Award]:
    """Propose top-band units per cluster in rank order, within the quota (ties at the edge excluded)."""
    awards: list[Award] = []
    for cluster, ranked in ranked_by_cluster.items():
        limit = quota_size(quota_pct, len(ranked))
        eligible = sorted((r for r in ranked if bands.get(r.unit_id) == top_band), key=lambda r: r.rank)
        groups: list[list[Ranked]] = []
        for r in eligible:
            if groups and groups[-1][0].rank == r.rank:
                groups[-1].append(r)
            else:
                groups.append([r])
        taken = 0
        for grp in groups:
            if taken + len(grp) > limit:
                break
            taken += len(grp)
            for r in grp:
                leader = r.rank <= top_per_cluster
                awards.append(Award(
                    r.unit_id, cluster, "cluster_leader" if leader else "top_band",
                    f"rank {r.rank} of {len(ranked)} in cluster {cluster}, band {top_band}, "
                    f"quota {limit} ({quota_pct:g}%)"))
    return awards


def rank_order(scores, tiebreaks, groups):
    """The order :func:`rank_arrays` sorts the units in: by group, score and tie-breaks (higher first), row.

    Ranking a subset within finer groups (each inside one of these groups) needs no new sort of the
    scores: that subset's rows in this order, stably sorted by the finer group, are its order.
    """
    import numpy as np

    k = tiebreaks.shape[1]
    keys = [-tiebreaks[:, c] for c in range(k - 1, -1, -1)] + [-scores, groups]
    return np.lexsort(keys)  # primary key last: group, −score, −tie-breaks…; stable, so then the row


def rank_arrays(scores, tiebreaks=None, groups=None, order=None):
    """Vectorised :func:`rank` for many units at once (numpy), ranking within each group.

    ``scores``: (n,) floats; ``tiebreaks``: (n, k) floats (higher is better) or None;
    ``groups``: (n,) integer group codes (None = one group). Unit identity is the row index,
    which is also the last sort key (as ``unit_id`` is in :func:`rank`).

    Returns ``(rank, tied, decided_by)`` arrays indexed like the input: competition rank
    within the group, whether another unit of the group has the same score and tie-breaks,
    and the index of the deepest tie-break that separated the unit from an equal-score
    neighbour (−1 for None) — exactly what :func:`rank` gives per group. ``order``: the units'
    :func:`rank_order`, when the caller has it already.
    """
    import numpy as np

    s_in = np.asarray(scores, dtype=float)
    n = s_in.shape[0]
    tb_in = np.zeros((n, 0)) if tiebreaks is None else np.asarray(tiebreaks, dtype=float)
    if tb_in.ndim != 2:
        tb_in = tb_in.reshape(n, -1) if n else np.zeros((0, 0))
    g_in = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    k = tb_in.shape[1]
    if order is None:
        order = rank_order(s_in, tb_in, g_in)
    s, tb, g = s_in[order], tb_in[order], g_in[order]
    pos = np.arange(n)
    same_grp = g[1:] == g[:-1]
    same_score = same_grp & (s[1:] == s[:-1])
    tb_neq = tb[1:] != tb[:-1]
    any_neq = tb_neq.any(axis=1) if k else np.zeros(max(n - 1, 0), dtype=bool)
    same_key = same_score & ~any_neq
    grp_start = np.maximum.accumulate(np.where(np.r_[True, ~same_grp], pos, 0)) if n else pos
    key_start = np.maximum.accumulate(np.where(np.r_[True, ~same_key], pos, 0)) if n else pos
    rank_sorted = key_start - grp_start + 1
    tied_sorted = np.r_[same_key, False] | np.r_[False, same_key] if n else np.zeros(0, dtype=bool)
    first = np.where(any_neq, tb_neq.argmax(axis=1) if k else 0, -1)
    d_pair = np.where(same_score, first, -1)
    deep_sorted = np.maximum(np.r_[-1, d_pair], np.r_[d_pair, -1]) if n else np.zeros(0, dtype=np.int64)
    rank_out = np.empty(n, dtype=np.int64)
    tied_out = np.empty(n, dtype=bool)
    deep_out = np.empty(n, dtype=np.int64)
    rank_out[order], tied_out[order], deep_out[order] = rank_sorted, tied_sorted, deep_sorted
    return rank_out, tied_out, deep_out


def tie_break_name(names: Sequence[str], i: int) -> str | None:
    """The name :func:`rank` reports for tie-break index ``i`` (None for −1)."""
    if i < 0:
        return None
    return names[i] if i < len(names) else f"tiebreak[{i}]"
