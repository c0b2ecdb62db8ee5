"""Ranking within a cluster, classification bands and award proposals.

Decisions where the brief is silent:

* Scores and tie-break values are compared exactly; pass rounded scores
  (entry totals already are, to 4 decimals).
* ``decided_by`` is the deepest tie-break needed to separate a unit from its
  equal-score neighbours (None if no other unit has its score). A unit still
  tied with someone else may also have ``decided_by`` set if a tie-break put
  its tied group below another equal-score unit.
* Missing tie-break names fall back to ``"tiebreak[i]"``.
* ``classify``: ``group_floors`` (from a group's ``floor_pct``) replaces the
  band's floor for that group whenever the band has a floor.
* ``propose_awards``: the quota is a hard limit per cluster. Units are taken in
  rank order as whole tie groups; a tie group that would exceed the quota is
  excluded (with everyone after it) rather than breaking the quota. Among the
  proposed, those with rank ≤ ``top_per_cluster`` are ``cluster_leader``, the
  rest ``top_band``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Sequence


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
    code: str
    min_total: float
    floor_pct: float | None = None


@dataclass(frozen=True)
class Award:
    unit_id: Hashable
    cluster: Hashable
    kind: str  # cluster_leader | top_band
    reason: str


def _first_diff(a: tuple, b: tuple) -> int | None:
    for i, (x, y) in enumerate(zip(a, b)):
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


def classify(total: float, group_pcts: dict[str, float], bands: Sequence[Band],
             group_floors: dict[str, float] | None = None) -> str | None:
    """Highest band whose ``min_total`` ≤ total and whose floor every group pct meets."""
    group_floors = group_floors or {}
    for b in sorted(bands, key=lambda b: b.min_total, reverse=True):
        if total < b.min_total:
            continue
        if b.floor_pct is None or all(pct >= group_floors.get(g, b.floor_pct) for g, pct in group_pcts.items()):
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
