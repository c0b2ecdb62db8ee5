"""Districts' roll-ups for :func:`scoring.campaign.compute_campaign`, grouped with numpy.

At 100,000 units the per-unit Python loops that found each district's communes and gathered their
figures cost more than the rest of the computation (issue 18). The communes are grouped once with a
sort; each district's figures are then list slices fed to the same :func:`scoring.rollup.rollup_figure`
and :func:`scoring.rollup.rollup` as before, so the figures are those of the per-district rules, bit for bit.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .rollup import CommuneResult, rollup, rollup_figure
from .rules import shown
from .signatures import row_signatures
from .vector import shown as shown_array


def none_mask(values: Sequence[Any]) -> np.ndarray:
    """Where ``values`` holds None (bool array)."""
    return np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def parent_rows(unit_ids: Sequence[int], parents: Sequence[int | None]) -> np.ndarray:
    """Each row's parent's row (−1 when the parent is not among the rows); with a repeated unit id
    the last row wins, as a ``{unit id: row}`` dict would."""
    ids = np.asarray([int(u) for u in unit_ids], dtype=np.int64).reshape(-1)
    none = none_mask(parents)
    par = np.asarray([0 if p is None else p for p in parents], dtype=np.int64).reshape(-1) if none.any() \
        else np.asarray(parents, dtype=np.int64).reshape(-1)
    if ids.size == 0:
        return np.full(par.size, -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.searchsorted(sorted_ids, par, side="right") - 1  # the last of equal ids
    found = (pos >= 0) & ~none
    found &= sorted_ids[np.maximum(pos, 0)] == par
    return np.where(found, order[np.maximum(pos, 0)], -1)


def district_rollups(inp: Any, exact: np.ndarray, own: np.ndarray, ranked: np.ndarray, groups: list[str],
                     group_exact: Mapping[str, np.ndarray]) -> dict[int, dict]:
    """Districts' roll-up by district row: total, per-group figures, ``explain()`` (the explanation with
    one component per commune, built only for the rows written), ``key`` (what that explanation is
    made of, for the row's signature: everything but the communes' figures, which :func:`kids_hash`
    covers) and ``kids`` (the communes' rows). ``own``: the exact totals of the rows with an entry."""
    rule = inp.settings.get("rollup")
    if not rule:
        return {}
    bands_cfg = inp.settings.get("bands") or []
    threshold = rule.get("threshold", rule.get("min_total"))
    if threshold is None and bands_cfg:
        threshold = min(float(b["min_total"]) for b in bands_cfg)
    levels = np.asarray(inp.levels, dtype=object)
    prow = parent_rows(inp.unit_ids, inp.parents)
    is_kid = (levels == 3) & (prow >= 0)
    is_kid[is_kid] = levels[prow[is_kid]] == 2
    kid_rows = np.nonzero(is_kid)[0]
    if kid_rows.size == 0:
        return {}
    of = prow[kid_rows]
    o = np.argsort(of, kind="stable")  # by district, communes in row order within it
    kids_flat, of = kid_rows[o], of[o]
    starts = np.flatnonzero(np.r_[True, of[1:] != of[:-1]])
    ends = np.r_[starts[1:], of.size].tolist()
    # Communes count with their shown figures; one that did not submit counts 0.
    tot = np.where(ranked, shown_array(exact), 0.0)
    kid_tot = tot[kids_flat].tolist()
    kid_grp = {g: np.where(ranked, shown_array(group_exact[g]), 0.0)[kids_flat].tolist() for g in groups}
    kid_pops = np.asarray(inp.populations, dtype=object)[kids_flat].tolist()
    kid_codes = np.asarray(inp.unit_codes, dtype=object)[kids_flat].tolist()
    kid_ranked = ranked[kids_flat].tolist()
    kid_list = kids_flat.tolist()
    thr = None if threshold is None else float(threshold)
    meets = [r and thr is not None and t >= thr for r, t in zip(kid_ranked, kid_tot, strict=True)]
    rule_d = dict(rule)
    out: dict[int, dict] = {}
    for d, a, b in zip(of[starts].tolist(), starts.tolist(), ends, strict=True):
        own_d = float(own[d]) if ranked[d] else None  # a draft's own part is not counted
        pops = kid_pops[a:b]
        total = rollup_figure(rule, own_d, kid_tot[a:b], pops)
        if total is None:  # share_meeting: counts the communes meeting the standard
            total = rollup(rule, own_d, [_MET if m else _NOT for m in meets[a:b]], detail=False).total
        by_group: dict[str, float] = {}
        for g in groups:
            fig = rollup_figure(rule, float(group_exact[g][d]) if own_d is not None else None, kid_grp[g][a:b], pops)
            if fig is not None:
                by_group[g] = fig
        codes = kid_codes[a:b]
        key = [rule_d, None if own_d is None else shown(own_d), shown(total), "\x1f".join(codes), thr,
               {g: shown(v) for g, v in by_group.items()}]
        communes = (codes, kid_tot[a:b], pops, kid_ranked[a:b], meets[a:b])
        out[d] = {"total": total, "groups": by_group, "key": key, "kids": kid_list[a:b],
                  "explain": _explainer(rule, own_d, communes, thr, by_group)}
    return out


# Stand-ins for share_meeting's total, which reads only whether each commune meets the standard.
_MET, _NOT = CommuneResult("", 0.0, None, True), CommuneResult("", 0.0, None, False)


def _explainer(rule: dict, own_d: float | None, communes: tuple[list, list, list, list, list], threshold: float | None,
               by_group: dict[str, float]) -> Callable[[], dict]:
    def explain() -> dict:
        codes, tots, pops, ranked, meets = communes
        rr = rollup(rule, own_d, [CommuneResult(*c) for c in zip(codes, tots, pops, meets, strict=True)])
        return {"rule": dict(rule), "method": rr.method, "own_total": None if own_d is None else shown(own_d),
                "total": shown(rr.total), "communes": len(codes),
                "not_submitted": [c for c, r in zip(codes, ranked, strict=True) if not r],
                "threshold": threshold, "components": rr.components,
                "groups": {g: shown(v) for g, v in by_group.items()}}
    return explain


def kids_hash(n: int, rollups: Mapping[int, dict], columns: list[Any]) -> np.ndarray:
    """Per district row: a hash of its communes' figures (``columns`` at each commune, in order); 0 elsewhere."""
    if not rollups:
        return np.zeros(n, dtype=np.int64)
    per_row = row_signatures(n, columns, {}, seed="commune")
    districts = list(rollups)
    kids = [rollups[d]["kids"] for d in districts]
    sizes = np.fromiter((len(k) for k in kids), dtype=np.int64, count=len(kids))
    flat = np.fromiter((k for ks in kids for k in ks), dtype=np.int64, count=int(sizes.sum()))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    position = np.arange(flat.size) - np.repeat(starts, sizes)  # a commune's place among its district's
    mixed = row_signatures(flat.size, [per_row[flat], position], {}, seed="kids").view(np.uint64)
    out = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        out[np.asarray(districts, dtype=np.int64)] = np.add.reduceat(mixed, starts, dtype=np.uint64)
    return out.view(np.int64)


__all__ = ["district_rollups", "kids_hash", "none_mask", "parent_rows"]
