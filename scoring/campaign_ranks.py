"""Ranks, bands and awards of :func:`scoring.campaign.compute_campaign` over whole columns (numpy).

At 100,000 units a call of :func:`scoring.ranking.first_band` or one ``Ranked`` object per unit cost
as much as the totals themselves (issue 18). Here the same rules are applied to arrays: the bands
(floors on group percentage columns) and the award proposals of
:func:`scoring.ranking.propose_awards`, whose rule (whole tie groups in rank order within the quota)
is a prefix of each cluster's top-band units. tests/unit/test_campaign_vector_paths.py holds them
to the per-unit functions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .ranking import Band, quota_size


def group_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer code per row, equal where every column is equal (for :func:`scoring.ranking.rank_arrays`)."""
    n = columns[0].shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if all(c.dtype.kind in "iub" for c in columns):  # (np.unique(axis=0) on the pairs is 30 times slower)
        code = np.zeros(n, dtype=np.int64)
        for c in columns:
            inv = np.unique(c, return_inverse=True)[1].reshape(-1)
            code = code * (int(inv.max()) + 1) + inv
        return np.unique(code, return_inverse=True)[1].reshape(-1).astype(np.int64)
    codes: dict[Any, int] = {}
    return np.fromiter((codes.setdefault(k, len(codes)) for k in zip(*(c.tolist() for c in columns), strict=True)),
                       dtype=np.int64, count=n)


def tie_matrix(names: Sequence[str], group_shown: Mapping[str, np.ndarray], penalty: np.ndarray,
               first_submitted: Sequence[float | None], sel: np.ndarray) -> np.ndarray:
    """Tie-break values of the rows ``sel`` (columns in ``names`` order; higher is better), at shown precision."""
    n = sel.size
    cols = []
    for name in names:
        if name.startswith("group:") and name.split(":", 1)[1] in group_shown:
            cols.append(group_shown[name.split(":", 1)[1]][sel])
        elif name == "fewer_penalty":
            cols.append(penalty[sel])
        elif name == "earlier_submission":
            fs = np.asarray(first_submitted, dtype=object).reshape(-1)[sel]
            none = np.fromiter((v is None for v in fs), dtype=bool, count=n)
            cols.append(np.where(none, -np.inf, -np.where(none, 0.0, fs).astype(float)))
        else:
            cols.append(np.zeros(n))
    return np.column_stack(cols) if cols else np.zeros((n, 0))


def group_percentage_columns(fw: Any, group_shown: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`scoring.band_reasons.group_percentages` as columns: each top-level regular group's shown points
    as a % of its maximum, rounded to 4 decimals as Python's ``round`` does (numpy's ``round`` differs only
    next to a half-way digit: those few are rounded by ``round`` itself)."""
    out: dict[str, np.ndarray] = {}
    for g in fw.groups:
        if g.kind != "regular" or not g.max_points or g.max_points <= 0 or g.code not in group_shown:
            continue
        y = group_shown[g.code] / float(g.max_points) * 100.0
        pct = np.round(y, 4)
        t = np.abs(y * 1e4)
        near_half = np.nonzero(np.abs(t - np.floor(t) - 0.5) < 1e-6)[0]
        pct[near_half] = [round(v, 4) for v in y[near_half].tolist()]
        out[g.code] = pct
    return out


def bands_by_arrays(allowed: Sequence[Band], totals: np.ndarray, criteria: np.ndarray, index_of: Mapping[int, int],
                    pcts: Mapping[str, np.ndarray], group_floors: Mapping[str, float]) -> np.ndarray:
    """:func:`scoring.ranking.first_band` for many units: the index (``index_of``: ``id(band)`` → index) of
    the first allowed band each unit reaches, −1 for none. ``criteria``: the count of criteria met, −1 where
    not counted (a roll-up district); ``pcts``: each group's percentage column (empty without floors)."""
    out = np.full(totals.shape[0], -1, dtype=np.int64)
    for b in reversed(allowed):  # the first allowed band that fits is written last
        ok = ~(totals < b.min_total)
        for g, pct in pcts.items():
            floor = b.floor_of(g, group_floors)
            if floor is not None:
                ok &= ~(pct < floor)
        if b.min_criteria_met is not None:
            ok &= (criteria < 0) | (criteria >= b.min_criteria_met)
        out[ok] = index_of[id(b)]
    return out


def award_proposals(quota_pct: float, top_per_cluster: int, top_band: str, eligible: np.ndarray, cluster: np.ndarray,
                    rank: np.ndarray, cluster_ids: Sequence[Any]) -> dict[int, tuple[str, str]]:
    """:func:`scoring.ranking.propose_awards` for every cluster at once: row → (kind, reason).

    Per ranked row in a cluster: ``eligible`` (its band is the top band and no condition withholds
    the award), ``cluster`` (a code per level and cluster), ``rank`` (its rank in the cluster) and
    ``cluster_ids`` (the cluster as named in the reason). Rows out of any cluster have cluster −1.
    """
    in_cl = cluster >= 0
    if not in_cl.any():
        return {}
    sizes = np.bincount(cluster[in_cl])
    rows = np.nonzero(in_cl & eligible)[0]
    if rows.size == 0:
        return {}
    order = np.lexsort((rank[rows], cluster[rows]))
    rows = rows[order]
    c, r = cluster[rows], rank[rows]
    pos = np.arange(rows.size)
    first_of_cluster = np.maximum.accumulate(np.where(np.r_[True, c[1:] != c[:-1]], pos, 0))
    last_of_tie = np.r_[(c[1:] != c[:-1]) | (r[1:] != r[:-1]), True]
    end = np.minimum.accumulate(np.where(last_of_tie, pos, rows.size)[::-1])[::-1]  # the end of each one's tie group
    through = end - first_of_cluster + 1  # units taken up to the end of one's tie group
    limits = np.array([quota_size(quota_pct, int(s)) for s in sizes], dtype=np.int64)
    taken = through <= limits[c]
    out: dict[int, tuple[str, str]] = {}
    tails: dict[int, str] = {}
    for i, ci, ri in zip(rows[taken].tolist(), c[taken].tolist(), r[taken].tolist(), strict=True):
        tail = tails.get(ci)
        if tail is None:
            tail = tails[ci] = (f" of {int(sizes[ci])} in cluster {cluster_ids[i]}, band {top_band}, "
                                f"quota {int(limits[ci])} ({quota_pct:g}%)")
        out[i] = ("cluster_leader" if ri <= top_per_cluster else "top_band", f"rank {ri}{tail}")
    return out


__all__ = ["award_proposals", "bands_by_arrays", "group_codes", "group_percentage_columns", "tie_matrix"]
