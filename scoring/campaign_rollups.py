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
from .vector import quantise
from .vector import shown as shown_array


def none_mask(values: Sequence[Any]) -> np.ndarray:
    """Where ``values`` holds None (bool array)."""
    return np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def parent_rows(unit_ids: Sequence[int], parents: Sequence[int | None]) -> np.ndarray:
    """Each row's parent's row (−1 when the parent is not among the rows); with a repeated unit id
    the last row wins, as a ``{unit id: row}`` dict would."""
    ids = np.asarray(unit_ids)
    ids = ids.astype(np.int64) if ids.dtype.kind in "iu" else np.asarray([int(u) for u in unit_ids], dtype=np.int64)
    ids = ids.reshape(-1)
    par_f = np.array(parents, dtype=float).reshape(-1)  # (None → NaN, in C)
    none = np.isnan(par_f)
    if none.all() or np.abs(par_f[~none]).max() < 2.0 ** 53:  # unit ids are exact as floats
        par = np.where(none, 0.0, par_f).astype(np.int64)
    else:
        none = none_mask(parents)
        par = np.asarray([0 if p is None else p for p in parents], dtype=np.int64).reshape(-1)
    if ids.size == 0:
        return np.full(par.size, -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.searchsorted(sorted_ids, par, side="right") - 1  # the last of equal ids
    found = (pos >= 0) & ~none
    found &= sorted_ids[np.maximum(pos, 0)] == par
    return np.where(found, order[np.maximum(pos, 0)], -1)


def district_rollups(inp: Any, exact: np.ndarray, own: np.ndarray, ranked: np.ndarray, groups: list[str],
                     group_exact: Mapping[str, np.ndarray], shown_total: np.ndarray,
                     shown_groups: Mapping[str, np.ndarray]) -> dict[int, dict]:
    """Districts' roll-up by district row: total, per-group figures, ``explain()`` (the explanation with
    one component per commune, built only for the rows written), ``key`` (what that explanation is
    made of, for the row's signature: everything but the communes' figures, which :func:`kids_hash`
    covers) and ``kids`` (the communes' rows). ``own``: the exact totals of the rows with an entry;
    ``shown_*``: ``exact`` and ``group_exact`` as shown (the caller's, computed once)."""
    rule = inp.settings.get("rollup")
    if not rule:
        return {}
    bands_cfg = inp.settings.get("bands") or []
    threshold = rule.get("threshold", rule.get("min_total"))
    if threshold is None and bands_cfg:
        threshold = min(float(b["min_total"]) for b in bands_cfg)
    levels = np.asarray(inp.levels)
    levels = levels if levels.dtype.kind in "iuf" else np.asarray(inp.levels, dtype=object)
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
    kid_counts = ranked[kids_flat]
    tot_a = np.where(kid_counts, shown_total[kids_flat], 0.0)
    grp_a = {g: np.where(kid_counts, shown_groups[g][kids_flat], 0.0) for g in groups}
    kid_tot = tot_a.tolist()
    kid_list = kids_flat.tolist()
    kid_pops = list(map(inp.populations.__getitem__, kid_list))
    kid_codes = list(map(inp.unit_codes.__getitem__, kid_list))
    kid_ranked = kid_counts.tolist()
    thr = None if threshold is None else float(threshold)
    meets = (kid_counts & (tot_a >= thr)).tolist() if thr is not None else [False] * kids_flat.size
    districts = of[starts]
    has_own = ranked[districts]  # a draft's own part is not counted
    figures = _by_arrays(rule, starts, has_own, own[districts], tot_a,
                         {g: (group_exact[g][districts], grp_a[g]) for g in groups}, meets, kid_pops)
    if figures is None:  # other rules: each district's communes through the scalar rule
        figures = _per_district(rule, starts, ends, has_own, own[districts], kid_tot, kid_pops, meets,
                                {g: (group_exact[g][districts], grp_a[g].tolist()) for g in groups})
    totals, by_group_of = figures
    shown_totals = shown_array(np.asarray(totals, dtype=float)).tolist()
    own_shown = shown_array(np.where(has_own, own[districts], 0.0)).tolist()
    shown_groups = {g: shown_array(np.asarray(v, dtype=float)).tolist() for g, v in by_group_of.items()}
    rule_d = dict(rule)
    out: dict[int, dict] = {}
    for k, (d, a, b) in enumerate(zip(districts.tolist(), starts.tolist(), ends, strict=True)):
        own_d = float(own[d]) if has_own[k] else None
        by_group = {g: v[k] for g, v in by_group_of.items()}
        codes = kid_codes[a:b]
        key = [rule_d, None if own_d is None else own_shown[k], shown_totals[k], "\x1f".join(codes), thr,
               {g: v[k] for g, v in shown_groups.items()}]
        communes = (codes, kid_tot[a:b], kid_pops[a:b], kid_ranked[a:b], meets[a:b])
        out[d] = {"total": totals[k], "groups": by_group, "key": key, "kids": kid_list[a:b],
                  "explain": _explainer(rule, own_d, communes, thr, by_group)}
    return out


Figures = tuple[list[float], dict[str, list[float]]]  # per district: the total, and each group's figure


def _per_district(rule: dict, starts: np.ndarray, ends: list[int], has_own: np.ndarray, own: np.ndarray,
                  kid_tot: list[float], kid_pops: list, meets: list[bool],
                  groups: Mapping[str, tuple[np.ndarray, list[float]]]) -> Figures:
    """Each district's total and group figures by :func:`scoring.rollup.rollup_figure` (any rule)."""
    totals: list[float] = []
    by_group: dict[str, list[float]] = {}
    for k, (a, b) in enumerate(zip(starts.tolist(), ends, strict=True)):
        own_d = float(own[k]) if has_own[k] else None
        pops = kid_pops[a:b]
        total = rollup_figure(rule, own_d, kid_tot[a:b], pops)
        if total is None:  # share_meeting: counts the communes meeting the standard
            total = rollup(rule, own_d, [_MET if m else _NOT for m in meets[a:b]], detail=False).total
        totals.append(total)
        for g, (g_own, g_kids) in groups.items():
            fig = rollup_figure(rule, float(g_own[k]) if own_d is not None else None, g_kids[a:b], pops)
            if fig is not None:
                by_group.setdefault(g, []).append(fig)
    return totals, by_group


def _by_arrays(rule: dict, starts: np.ndarray, has_own: np.ndarray, own: np.ndarray, tot: np.ndarray,
               groups: Mapping[str, tuple[np.ndarray, np.ndarray]], meets: list[bool], pops: list) -> Figures | None:
    """Every rule of :func:`scoring.rollup.rollup_figure` (and share_meeting's total) by arrays, as it computes
    them: sums exactly rounded as ``math.fsum``'s (:func:`exact_sums`), then the same roundings; None for
    an unknown or nested rule (the scalar path raises its error) or figures :func:`exact_sums` does not cover."""
    kind = rule.get("kind")
    inner = (rule.get("communes") or {"kind": "mean"}) if kind == "combined" else rule
    if kind not in ("mean", "weighted_mean", "share_meeting", "combined") \
            or inner.get("kind") not in ("mean", "weighted_mean", "share_meeting"):
        return None
    sizes = np.diff(np.r_[starts, tot.size])
    weights = _population_weights(pops, starts, sizes) if inner["kind"] == "weighted_mean" else None
    if inner["kind"] == "weighted_mean" and weights is None:
        return None

    def combined(part: np.ndarray, own_part: np.ndarray) -> np.ndarray:
        if kind != "combined":
            return part
        ow, cw = float(rule.get("own_weight", 0.5)), float(rule.get("communes_weight", 0.5))
        return quantise(ow * np.where(has_own, own_part, 0.0) + cw * part)

    if inner["kind"] == "share_meeting":  # the communes meeting the standard; no per-group figure
        met = np.add.reduceat(np.asarray(meets, dtype=np.int64), starts)
        return combined(quantise(met / sizes * float(inner.get("scale", 100))), own).tolist(), {}

    def figure(own_part: np.ndarray, kids: np.ndarray) -> np.ndarray | None:
        sums = exact_sums(kids if weights is None else kids * weights, starts)
        if sums is None:
            return None
        return combined(quantise(sums / sizes if weights is None else sums), own_part)

    total = figure(own, tot)
    by_group = {g: figure(g_own, g_kids) for g, (g_own, g_kids) in groups.items()}
    if total is None or any(v is None for v in by_group.values()):
        return None
    return total.tolist(), {g: v.tolist() for g, v in by_group.items() if v is not None}


def _population_weights(pops: list, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray | None:
    """Each commune's weight in its district, as :func:`scoring.rollup._population_weights` gives it."""
    none = np.fromiter((p is None for p in pops), dtype=bool, count=len(pops))
    values = np.array([0.0 if p is None else p for p in pops], dtype=float)
    if np.isnan(values).any():
        return None
    of = np.repeat(np.arange(starts.size), sizes)
    known = np.add.reduceat((~none).astype(np.int64), starts)
    known_sum = exact_sums(values, starts)
    if known_sum is None:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(known > 0, known_sum / known, 1.0)  # a missing population: the mean of the known ones
    values = np.where(none, fill[of], values)
    wsum = exact_sums(values, starts)
    if wsum is None:
        return None
    equal = wsum <= 0  # no population at all: equal weights
    values = np.where(equal[of], 1.0, values)
    wsum = np.where(equal, sizes.astype(float), wsum)
    return values / wsum[of]


def exact_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray | None:
    """``math.fsum`` of each slice ``values[starts[k]:starts[k + 1]]`` (the last to the end), bit for bit;
    None when a value falls outside what the integer split below covers (|v| ≥ 2³⁰, 0 < |v| < 2⁻⁷²,
    not finite), a slice holds only −0.0 or is longer than 1,024 values.

    Each value is split exactly into multiples of 2⁻²⁰, 2⁻⁷² and 2⁻¹²⁴ held as int64, whose sums are
    exact; the exact sum is then rounded once, as fsum: by one float addition when the last part is
    zero everywhere (2-decimal figures), else by Python's correctly rounded integer division.
    """
    v = np.asarray(values, dtype=float)
    sizes = np.diff(np.r_[starts, v.size])
    if v.size == 0 or sizes.size == 0 or sizes.min() < 1 or sizes.max() > 1024:
        return None
    if not np.isfinite(v).all() or np.abs(v).max() >= 2.0 ** 30:
        return None
    negative_zero = np.signbit(v) & (v == 0)
    if negative_zero.any():  # it adds nothing, but a slice of −0.0 alone is fsum's own case
        if (np.add.reduceat(negative_zero.astype(np.int64), starts) == sizes).any():
            return None
        v = np.where(negative_zero, 0.0, v)
    hi = np.rint(v * 2.0 ** 20)
    rest = v - hi * 2.0 ** -20  # exact: |rest| ≤ 2⁻²¹, on v's own bits
    mid = np.rint(rest * 2.0 ** 72)
    lo = (rest - mid * 2.0 ** -72) * 2.0 ** 124  # exact likewise; an integer when |v| ≥ 2⁻⁷²
    if not (np.rint(lo) == lo).all():
        return None
    big = np.add.reduceat(hi.astype(np.int64), starts)  # |hi| < 2⁵⁰, |mid|, |lo| ≤ 2⁵¹: no overflow over 1,024 values
    middle = np.add.reduceat(mid.astype(np.int64), starts)
    if not lo.any():
        carry = middle >> 52
        big, middle = big + carry, middle - (carry << 52)  # 0 ≤ middle < 2⁵²
        if not (np.abs(big) >= 2 ** 53).any():
            return big.astype(float) * 2.0 ** -20 + middle.astype(float) * 2.0 ** -72  # exact parts, one rounding
    small = np.add.reduceat(lo.astype(np.int64), starts).tolist()
    return np.array([((b << 104) + (m << 52) + s) / (1 << 124)
                     for b, m, s in zip(big.tolist(), middle.tolist(), small, strict=True)], dtype=float)


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
