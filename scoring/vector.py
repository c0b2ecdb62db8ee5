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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .framework import (
    BandedRule,
    BonusRule,
    CountRule,
    Framework,
    JudgedRule,
    LinearRule,
    Node,
    PenaltyRule,
    Rule,
    TargetRule,
    YesNoRule,
)
from .rules import DECIMALS, SHOWN_DECIMALS, clamp_points, is_missing, is_na, na_points, to_bool, to_number
from .unit_params import UnitContext
from .values import resolve, rule_for


@dataclass(frozen=True)
class CompiledNode:
    code: str
    kind: str
    cap: float
    children: tuple[tuple[str, Any], ...]  # ("i", indicator index) or ("n", node code)
    stacking: str | None = None  # "max": only the largest bonus item counts (issue 16; indicator children only)


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
        refs: list[tuple[str, Any]] = []
        for c in n.children:
            if c.is_indicator:
                refs.append(("i", idx[c.code]))
            else:
                visit(c)
                refs.append(("n", c.code))
        nodes.append(CompiledNode(n.code, n.kind, n.effective_cap, tuple(refs), n.stacking))

    for g in fw.groups:
        if g.is_indicator:  # validate_framework forbids rule-less leaves; groups always have children
            raise ValueError(f"{g.code}: a group must have children")
        visit(g)
    return CompiledRules(
        codes=tuple(n.code for n in inds),
        rules=tuple(n.scoring_rule for n in inds),
        max_points=np.array([n.max_points for n in inds], dtype=float),
        na_points=np.array([clamp_points(n.scoring_rule.kind, na_points(n.scoring_rule.kind, n.kind, n.max_points),
                                         n.max_points)
                            for n in inds], dtype=float),
        na_allowed=np.array([n.na_allowed or n.na_inherited for n in inds], dtype=bool),
        nodes=tuple(nodes),
        groups=tuple((g.code, g.kind) for g in fw.groups),
        scale=fw.scale,
        bonus_cap_total=fw.bonus_cap_total,
    )


def clamp_round(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Vector twin of :func:`scoring.rules.clamp_round`."""
    return np.clip(np.round(np.clip(x, lo, hi), DECIMALS), lo, hi)


def quantise(x: np.ndarray) -> np.ndarray:
    """Vector twin of :func:`scoring.rules.round_points` (the 1e-9 grid)."""
    return np.round(x, DECIMALS)


def shown(x: np.ndarray, decimals: int = SHOWN_DECIMALS) -> np.ndarray:
    """Vector twin of :func:`scoring.rules.shown`: half away from zero on the 1e-9 grid."""
    n = np.rint(np.asarray(x, dtype=float) * 10.0 ** DECIMALS)
    unit = 10.0 ** (DECIMALS - decimals)
    q = np.floor((np.abs(n) + unit / 2) / unit)
    return np.where(q == 0, 0.0, np.copysign(q / 10.0 ** decimals, n))


def _column(rule: Rule, v: np.ndarray, mp: float) -> np.ndarray:
    """Unclamped points for one indicator column; NaN where the value is missing."""
    with np.errstate(invalid="ignore"):
        if isinstance(rule, TargetRule):
            ok = v >= rule.target if rule.dir == "higher" else v <= rule.target
            return np.where(ok, mp, 0.0)
        if isinstance(rule, LinearRule):
            return mp * np.clip((v - rule.floor) / (rule.target - rule.floor), 0.0, 1.0)
        if isinstance(rule, BandedRule):
            pts = np.zeros_like(v)
            for b in rule.bands:
                pts = np.where(v >= b.from_, b.points, pts)
            return pts
        if isinstance(rule, YesNoRule):
            yes = rule.yes_points if rule.yes_points is not None else mp
            no = rule.no_points if rule.no_points is not None else 0.0
            return np.where(v == 1, yes, np.where(v == 0, no, 0.0))
        if isinstance(rule, (CountRule, BonusRule, PenaltyRule)):
            cap = min(rule.cap, mp) if isinstance(rule, CountRule) and rule.cap is not None else mp
            pts = np.where(v < 0, 0.0, np.minimum(v * rule.per_item, cap))
            return -pts if isinstance(rule, PenaltyRule) else pts
        if rule.kind == "info":
            return np.zeros_like(v)
        return v.copy()  # judged / manual columns hold points already


def points_matrix(compiled: CompiledRules, values: np.ndarray, na_mask: np.ndarray | None = None,
                  units: Sequence[UnitContext | None] | None = None, fw: Framework | None = None) -> np.ndarray:
    """Points per unit × indicator, clamped and quantised to the 1e-9 grid (loops over indicators only).

    ``units`` (one :class:`UnitContext` per row, with ``fw``) gives unit-dependent targets/floors:
    such a column is scored once per distinct rule among the rows.
    """
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
        if units is not None and fw is not None and isinstance(rule, (TargetRule, LinearRule)) and rule.tables:
            node = fw.node(compiled.codes[j])
            per_row = [rule_for(node, u, fw)[0] for u in units]
            for r in dict.fromkeys(per_row):
                rows = np.array([x == r for x in per_row])
                raw = np.where(rows, _column(r, v, mp), raw)
        lo, hi = (-mp, 0.0) if rule.kind == "penalty" else (0.0, mp)
        pts = clamp_round(raw, lo, hi)
        pts = np.where(np.isnan(v), 0.0, pts)
        na_val = compiled.na_points[j] if compiled.na_allowed[j] else 0.0
        out[:, j] = np.where(na[:, j], na_val, pts)
    return out


def leaf_parents(compiled: CompiledRules) -> tuple[str, ...]:
    """Codes of the nodes that hold indicators directly (post-order): the ledger's columns."""
    return tuple(n.code for n in compiled.nodes if any(t == "i" for t, _r in n.children))


def own_sums(compiled: CompiledRules, points: np.ndarray) -> np.ndarray:
    """Per unit, each leaf parent's sum of its own indicators' points (units × leaf parents)."""
    points = np.asarray(points, dtype=float)
    cols = []
    for node in compiled.nodes:
        refs = [ref for typ, ref in node.children if typ == "i"]
        if refs:
            if node.stacking == "max":
                cols.append(quantise(points[:, refs].max(axis=1)))
            else:
                cols.append(quantise(points[:, refs].sum(axis=1)))
    return np.column_stack(cols) if cols else np.zeros((points.shape[0], 0))


@dataclass(frozen=True)
class TreeTotals:
    """Per unit: the total, every node's points (capped) and raw sum, and the parts of the total."""

    total: np.ndarray
    node_points: dict[str, np.ndarray]
    node_raw: dict[str, np.ndarray]
    regular: np.ndarray
    regular_raw: np.ndarray
    bonus: np.ndarray
    penalty: np.ndarray
    raw_total: np.ndarray


def tree_totals(compiled: CompiledRules, sums: np.ndarray) -> TreeTotals:
    """THE campaign totals: walk the framework tree (caps, scale, bonus/penalty) for all units.

    ``sums`` holds, per unit, each leaf parent's own indicators' points (columns in
    :func:`leaf_parents` order). Same semantics as :func:`scoring.entry.score_entry`; on the
    1e-9 grid the order of summation does not matter, so both agree bit for bit.
    """
    sums = np.asarray(sums, dtype=float)
    n = sums.shape[0]
    k_of = {code: k for k, code in enumerate(leaf_parents(compiled))}
    node_pts: dict[str, np.ndarray] = {}
    node_raw: dict[str, np.ndarray] = {}
    for node in compiled.nodes:
        acc = sums[:, k_of[node.code]].copy() if node.code in k_of else np.zeros(n)
        for typ, ref in node.children:
            if typ == "n":
                acc = acc + node_pts[ref]
        raw = quantise(acc)
        lo, hi = (-node.cap, 0.0) if node.kind == "penalty" else (0.0, node.cap)
        node_raw[node.code] = raw
        node_pts[node.code] = clamp_round(raw, lo, hi)
    by_kind = {k: np.zeros(n) for k in ("regular", "bonus", "penalty")}
    for code, kind in compiled.groups:
        by_kind[kind] = by_kind[kind] + node_pts[code]
    regular_raw = quantise(by_kind["regular"])
    regular = clamp_round(regular_raw, -np.inf, compiled.scale)
    bonus, penalty = quantise(by_kind["bonus"]), quantise(by_kind["penalty"])
    raw_total = quantise(regular + bonus + penalty)
    total = clamp_round(raw_total, 0.0, compiled.scale + compiled.bonus_cap_total)
    return TreeTotals(total, node_pts, node_raw, regular, regular_raw, bonus, penalty, raw_total)


def totals(compiled: CompiledRules, points: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Entry totals and every non-leaf node's capped points, per unit (as score_entry)."""
    t = tree_totals(compiled, own_sums(compiled, points))
    return t.total, t.node_points


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
    for i, given in enumerate(entries):
        entry = resolve(fw, dict(given)).values  # criterion N/A spread, computed indicators computed
        jd = judged[i] if judged else {}
        for j, (code, rule) in enumerate(zip(compiled.codes, compiled.rules, strict=True)):
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
                    elif isinstance(rule, JudgedRule):
                        p = rule.level_points(str(v).strip())
                        vals[i, j] = np.nan if p is None else p
                    else:
                        vals[i, j] = to_number(v)
                except (ValueError, TypeError):
                    pass
    return vals, na
