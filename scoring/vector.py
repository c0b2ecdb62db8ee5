"""Vectorised scoring of a whole campaign: units × indicators matrices with numpy.

Same semantics and the same rounding/summation order as :func:`scoring.entry.score_entry`
(without overrides), so results agree with the per-entry path.

Matrix conventions:

* ``values[i, j]`` is unit i's numeric value for indicator j (``CompiledRules.codes``
  order); NaN = missing.
* ``yes_no`` columns hold 1 (yes) / 0 (no); anything else is invalid → 0 points.
* ``judged`` and ``manual`` columns hold *points* (the caller maps a level code or
  judges' aggregate to points, e.g. via :func:`values_matrix`); they are clamped.
* ``na_mask[i, j]`` marks "not applicable": full points where the indicator
  allows it (0 for bonus/penalty), 0 where it does not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .framework import Framework, Node, Rule
from .rules import clamp_points, is_missing, is_na, na_points, to_bool, to_number


@dataclass(frozen=True)
class CompiledNode:
    code: str
    kind: str
    cap: float
    children: tuple[tuple[str, Any], ...]  # ("i", indicator index) or ("n", node code)


@dataclass(frozen=True)
class CompiledRules:
    codes: tuple[str, ...]
    rules: tuple[Rule, ...]
    max_points: np.ndarray
    na_points: np.ndarray
    na_allowed: np.ndarray
    nodes: tuple[CompiledNode, ...]  # post-order: children before parents
    groups: tuple[tuple[str, str], ...]  # top-level (code, kind)
    scale: float
    bonus_cap_total: float

    def index(self, code: str) -> int:
        return self.codes.index(code)


def compile_rules(fw: Framework) -> CompiledRules:
    """Flatten a framework into arrays and a post-order node list for :func:`totals`."""
    inds = fw.indicators()
    idx = {n.code: i for i, n in enumerate(inds)}
    nodes: list[CompiledNode] = []

    def visit(n: Node) -> None:
        refs = []
        for c in n.children:
            if c.is_indicator:
                refs.append(("i", idx[c.code]))
            else:
                visit(c)
                refs.append(("n", c.code))
        nodes.append(CompiledNode(n.code, n.kind, n.effective_cap, tuple(refs)))

    for g in fw.groups:
        if g.is_indicator:  # validate_framework forbids rule-less leaves; groups always have children
            raise ValueError(f"{g.code}: a group must have children")
        visit(g)
    return CompiledRules(
        codes=tuple(n.code for n in inds),
        rules=tuple(n.rule for n in inds),
        max_points=np.array([n.max_points for n in inds], dtype=float),
        na_points=np.array([clamp_points(n.rule.kind, na_points(n.rule.kind, n.kind, n.max_points), n.max_points)
                            for n in inds], dtype=float),
        na_allowed=np.array([n.na_allowed for n in inds], dtype=bool),
        nodes=tuple(nodes),
        groups=tuple((g.code, g.kind) for g in fw.groups),
        scale=fw.scale,
        bonus_cap_total=fw.bonus_cap_total,
    )


def _clamp_round(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Vector twin of :func:`scoring.rules.clamp_round`."""
    return np.clip(np.round(np.clip(x, lo, hi), 4), lo, hi)


def _column(rule: Rule, v: np.ndarray, mp: float) -> np.ndarray:
    """Unclamped points for one indicator column; NaN where the value is missing."""
    k = rule.kind
    with np.errstate(invalid="ignore"):
        if k == "target":
            ok = v >= rule.target if rule.dir == "higher" else v <= rule.target
            return np.where(ok, mp, 0.0)
        if k == "linear":
            return mp * np.clip((v - rule.floor) / (rule.target - rule.floor), 0.0, 1.0)
        if k == "banded":
            pts = np.zeros_like(v)
            for b in rule.bands:
                pts = np.where(v >= b.from_, b.points, pts)
            return pts
        if k == "yes_no":
            yes = rule.yes_points if rule.yes_points is not None else mp
            no = rule.no_points if rule.no_points is not None else 0.0
            return np.where(v == 1, yes, np.where(v == 0, no, 0.0))
        if k in ("count", "bonus", "penalty"):
            cap = mp if k != "count" or rule.cap is None else min(rule.cap, mp)
            pts = np.where(v < 0, 0.0, np.minimum(v * rule.per_item, cap))
            return -pts if k == "penalty" else pts
        if k in ("judged", "manual"):
            return v.copy()
    raise ValueError(f"unknown rule kind {k!r}")


def points_matrix(compiled: CompiledRules, values: np.ndarray, na_mask: np.ndarray | None = None) -> np.ndarray:
    """Points per unit × indicator, clamped and rounded to 4 decimals (loops over indicators only)."""
    values = np.asarray(values, dtype=float)
    n_units, n_ind = values.shape
    if n_ind != len(compiled.codes):
        raise ValueError(f"values has {n_ind} columns, framework has {len(compiled.codes)} indicators")
    na = np.zeros_like(values, dtype=bool) if na_mask is None else np.asarray(na_mask, dtype=bool)
    out = np.zeros_like(values)
    for j, rule in enumerate(compiled.rules):
        mp = float(compiled.max_points[j])
        v = values[:, j]
        raw = _column(rule, v, mp)
        lo, hi = (-mp, 0.0) if rule.kind == "penalty" else (0.0, mp)
        pts = _clamp_round(raw, lo, hi)
        pts = np.where(np.isnan(v), 0.0, pts)
        na_val = compiled.na_points[j] if compiled.na_allowed[j] else 0.0
        out[:, j] = np.where(na[:, j], na_val, pts)
    return out


def totals(compiled: CompiledRules, points: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Entry totals and every non-leaf node's capped points, per unit (as score_entry)."""
    points = np.asarray(points, dtype=float)
    n = points.shape[0]
    node_pts: dict[str, np.ndarray] = {}
    for node in compiled.nodes:
        acc = np.zeros(n)
        for typ, ref in node.children:
            acc = acc + (points[:, ref] if typ == "i" else node_pts[ref])
        raw = np.round(acc, 4)
        lo, hi = (-node.cap, 0.0) if node.kind == "penalty" else (0.0, node.cap)
        node_pts[node.code] = _clamp_round(raw, lo, hi)
    sums = {k: np.zeros(n) for k in ("regular", "bonus", "penalty")}
    for code, kind in compiled.groups:
        sums[kind] = sums[kind] + node_pts[code]
    regular = _clamp_round(np.round(sums["regular"], 4), -np.inf, compiled.scale)
    raw_total = np.round(regular + np.round(sums["bonus"], 4) + np.round(sums["penalty"], 4), 4)
    total = _clamp_round(raw_total, 0.0, compiled.scale + compiled.bonus_cap_total)
    return total, node_pts


def values_matrix(fw: Framework, compiled: CompiledRules, entries: Sequence[dict],
                  judged: Sequence[dict] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Convert raw per-unit value dicts into ``(values, na_mask)`` for :func:`points_matrix`.

    Judged indicators get their level's points (or the judges' aggregate when given;
    only judged/manual indicators can take judges' points in the vector path);
    unparseable values become NaN (missing) — run ``check_values`` first to report them.
    """
    n, m = len(entries), len(compiled.codes)
    vals = np.full((n, m), np.nan)
    na = np.zeros((n, m), dtype=bool)
    for i, entry in enumerate(entries):
        jd = judged[i] if judged else {}
        for j, (code, rule) in enumerate(zip(compiled.codes, compiled.rules)):
            if code in jd:
                if rule.kind not in ("judged", "manual"):
                    raise ValueError(f"{code}: judges' points only fit judged/manual columns")
                vals[i, j] = float(jd[code])
                continue
            v = entry.get(code)
            if is_na(v):
                na[i, j] = True
            elif is_missing(v):
                continue
            else:
                try:
                    if rule.kind == "yes_no":
                        vals[i, j] = 1.0 if to_bool(v) else 0.0
                    elif rule.kind == "judged":
                        p = rule.level_points(str(v).strip())
                        vals[i, j] = np.nan if p is None else p
                    else:
                        vals[i, j] = to_number(v)
                except (ValueError, TypeError):
                    pass
    return vals, na
