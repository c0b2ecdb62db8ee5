"""Conditions and criteria met measured on one unit (see :mod:`scoring.conditions` for the rules).

Used by the per-entry engine (:func:`scoring.entry.score_entry`) and the campaign computation
(:func:`scoring.campaign.compute_campaign`) alike, so both give the same results.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import _NUMERIC, _NUMERIC_RULES, _OPS, ConditionResult, _bool_word
from .framework import Framework
from .rules import is_missing, is_na, shown, to_bool, to_number


@dataclass(frozen=True)
class _Test:
    code: str
    op: str
    expected: Any
    kind: str  # bool | num | text
    guards: tuple[str, ...]  # the indicator and its ancestors: an N/A mark on any makes the test met
    raw: Any  # the expected value as written (for the explanation)


# id(framework) -> (framework, plan, interned results): a campaign evaluates the same few tests on
# thousands of units; results are shared objects (their dict form is made once).
_PLANS: dict[int, tuple[Framework, list, dict]] = {}


def _plan(fw: Framework) -> tuple[list, dict]:
    hit = _PLANS.get(id(fw))
    if hit is not None and hit[0] is fw:
        return hit[1], hit[2]
    parents: dict[str, tuple[str, ...]] = {}

    def visit(n, path: tuple[str, ...]) -> None:
        parents[n.code] = path
        for c in n.children:
            visit(c, path + (n.code,))

    for g in fw.groups:
        visit(g, ())
    nodes = {n.code: n for n in fw.indicators()}
    plan = []
    for c in fw.conditions:
        tests = []
        for t in c.tests:
            node = nodes[t.indicator]
            vt, rk = node.value_type, node.scoring_rule.kind
            expected: Any
            if vt == "yes_no" or (vt is None and rk == "yes_no"):
                kind, expected = "bool", bool(_bool_word(t.value))
            elif vt in _NUMERIC or (vt is None and rk in _NUMERIC_RULES):
                kind, expected = "num", float(t.value)
            else:
                kind, expected = "text", str(t.value).strip()
            tests.append(_Test(t.indicator, t.op, expected, kind, parents[t.indicator] + (t.indicator,), t.value))
        plan.append((c, tests))
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[id(fw)] = (fw, plan, {})
    return plan, _PLANS[id(fw)][2]


def _test(t: _Test, values: Mapping[str, Any]) -> tuple[bool, bool, Any]:
    """(met, missing, actual) of one test."""
    if any(is_na(values.get(g)) for g in t.guards):
        return True, False, "NA"
    v = values.get(t.code)
    if is_missing(v):
        return False, True, None
    try:
        if t.kind == "bool":
            a = to_bool(v)
            return bool(_OPS[t.op](a, t.expected)), False, a
        if t.kind == "num":
            x = to_number(v)
            return bool(_OPS[t.op](x, t.expected)), False, x
    except (ValueError, TypeError):
        return False, False, v
    return bool(_OPS[t.op](str(v).strip(), t.expected)), False, str(v).strip()


def evaluate(fw: Framework, values: Mapping[str, Any]) -> tuple[ConditionResult, ...]:
    """Each of the framework's conditions measured on one unit's raw values (indicator code -> value)."""
    if not getattr(fw, "conditions", ()):
        return ()
    plan, interned = _plan(fw)
    relevant = interned.get("relevant")
    if relevant is None:
        relevant = interned["relevant"] = tuple(dict.fromkeys(g for _c, tests in plan for t in tests for g in t.guards))
    try:  # the same values give the same results (many units share their yes/no answers)
        vkey = ("values",) + tuple(values.get(c) for c in relevant)
        hit = interned.get(vkey)
    except TypeError:
        vkey, hit = None, None
    if hit is not None:
        return hit
    out = []
    for k, (c, tests) in enumerate(plan):
        missing: list[str] = []
        failed: list[tuple[str, str, Any, Any]] = []
        for t in tests:
            ok, miss, actual = _test(t, values)
            if miss:
                missing.append(t.code)
            if not ok:
                failed.append((t.code, t.op, t.raw, actual))
        key: tuple | None = (k, tuple(missing), tuple(failed))
        try:
            res = interned.get(key)
        except TypeError:  # an unhashable actual value
            res, key = None, None
        if res is None:
            res = ConditionResult(c.code, dict(c.name), c.effect, c.cap_band, not failed, tuple(missing), tuple(failed))
            if key is not None and len(interned) < 10_000:
                interned[key] = res
        out.append(res)
    result = tuple(out)
    if vkey is not None and len(interned) < 20_000:
        interned[vkey] = result
    return result


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
