"""Conditions and criteria met measured on one unit (see :mod:`scoring.conditions` for the rules).

Used by the per-entry engine (:func:`scoring.entry.score_entry`) and the campaign computation
(:func:`scoring.campaign.compute_campaign`) alike, so both give the same results.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import _NUMERIC, _NUMERIC_RULES, _OPS, ConditionResult, ConditionTest, _bool_word
from .framework import Framework
from .rules import is_missing, is_na, shown, to_bool, to_number


def _na_codes(fw: Framework, values: Mapping[str, Any]) -> set[str]:
    """Indicators not applicable for this unit: marked N/A themselves or under a node marked N/A."""
    out: set[str] = set()

    def visit(n, inherited: bool) -> None:
        na = inherited or is_na(values.get(n.code))
        if n.is_indicator:
            if na:
                out.add(n.code)
            return
        for c in n.children:
            visit(c, na)

    for g in fw.groups:
        visit(g, False)
    return out


def _test(fw: Framework, t: ConditionTest, values: Mapping[str, Any], na: set[str]) -> tuple[bool, bool, Any]:
    """(met, missing, actual) of one test."""
    if t.indicator in na:
        return True, False, "NA"
    v = values.get(t.indicator)
    if is_missing(v):
        return False, True, None
    node = fw.node(t.indicator)
    vt, rk = node.value_type, node.scoring_rule.kind
    try:
        if vt == "yes_no" or (vt is None and rk == "yes_no"):
            a = to_bool(v)
            return bool(_OPS[t.op](a, bool(_bool_word(t.value)))), False, a
        if vt in _NUMERIC or (vt is None and rk in _NUMERIC_RULES):
            x = to_number(v)
            return bool(_OPS[t.op](x, float(t.value))), False, x
    except (ValueError, TypeError):
        return False, False, v
    return bool(_OPS[t.op](str(v).strip(), str(t.value).strip())), False, str(v).strip()


def evaluate(fw: Framework, values: Mapping[str, Any]) -> tuple[ConditionResult, ...]:
    """Each of the framework's conditions measured on one unit's raw values (indicator code -> value)."""
    conds = getattr(fw, "conditions", ())
    if not conds:
        return ()
    na = _na_codes(fw, values)
    out = []
    for c in conds:
        missing: list[str] = []
        failed: list[tuple[str, str, Any, Any]] = []
        for t in c.tests:
            ok, miss, actual = _test(fw, t, values, na)
            if miss:
                missing.append(t.indicator)
            if not ok:
                failed.append((t.indicator, t.op, t.value, actual))
        out.append(ConditionResult(c.code, dict(c.name), c.effect, c.cap_band, not failed, tuple(missing),
                                   tuple(failed)))
    return tuple(out)


# --------------------------------------------------------------------------- criteria met

def criteria_nodes(fw: Framework) -> list:
    """The nodes counted by ``min_criteria_met``: those marked ``criterion: true``, else the top-level regular groups."""
    marked = [n for n in fw.walk() if getattr(n, "criterion", False)]
    return marked or [g for g in fw.groups if g.kind == "regular"]


def criterion_met(points: float, max_points: float, met_pct: float | None) -> bool:
    if max_points <= 0:
        return True
    return round(points / max_points * 100.0, 4) >= (100.0 if met_pct is None else met_pct)


def criteria_met(fw: Framework, node_points: Mapping[str, float]) -> tuple[int, int, tuple[str, ...]]:
    """(met, of, codes not met) from each criterion's SHOWN points (``node_points``: code -> points)."""
    nodes = criteria_nodes(fw)
    unmet = tuple(n.code for n in nodes
                  if not criterion_met(shown(float(node_points.get(n.code, 0.0))), n.max_points,
                                       getattr(n, "met_pct", None)))
    return len(nodes) - len(unmet), len(nodes), unmet



__all__ = ["criteria_met", "criteria_nodes", "criterion_met", "evaluate"]
