"""Score one unit's entry (self-score, appraisal or council final) against a framework.

Totals follow ``docs/framework-format.md``:
group = Σ children clamped to its cap (every non-leaf node, default cap =
max_points; penalty nodes to ``[-cap, 0]``); regular part = Σ regular groups
capped at ``scale``; total = regular + Σ bonus groups + Σ penalty groups,
clamped to ``[0, scale + Σ bonus caps]``.

Decisions where the doc is silent:

* ``penalty_total`` is signed (≤ 0), like penalty indicator points, so
  ``total = regular_total + bonus_total + penalty_total`` before the final clamp.
* Precedence per indicator: council override > judges' aggregate > rule.
  Overrides and judges' points are clamped to the node's range as well.
* A group override replaces that node's points (its parents sum the override);
  ``"TOTAL"`` replaces the final total. All overrides are clamped to the range
  the replaced figure could take.
* ``caps_applied`` lists node codes whose raw sum was clamped, plus ``"SCALE"``
  when the regular part exceeded ``scale`` and ``"TOTAL"`` when the final clamp bit.
* Every sum is kept on the 1e-9 grid (see :func:`scoring.rules.round_points`); figures are
  rounded once, to two decimals, where shown and ranked (:func:`scoring.rules.shown`).
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import operator
from dataclasses import dataclass, field
from typing import Any

from .condition_eval import criteria_met
from .condition_eval import evaluate as evaluate_conditions
from .conditions import ConditionResult, results_explanation
from .framework import Framework, JudgedRule, Node, _dump_rule
from .rescale import leaves_under, parts_marked, removed_max, rescaled
from .rescale import note as rescale_note
from .rules import NA, clamp_points, clamp_round, indicator_points, is_missing, is_na, round_points, to_bool, to_number
from .values import Resolved, UnitContext, resolve, rule_for, with_rule

NUMERIC_RULES = ("target", "linear", "banded", "count", "bonus", "penalty", "manual", "info")


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    value: Any
    points: float
    max_points: float
    status: str
    rule_kind: str
    source: str  # rule | judges | override | na
    detail: str = ""
    basis: dict = field(default_factory=dict)  # formula / computed value, N/A criterion, unit's threshold (P)


@dataclass(frozen=True)
class GroupScore:
    code: str
    kind: str
    raw: float
    points: float
    cap: float
    capped: bool
    max_points: float
    source: str = "rule"  # rule | override


@dataclass
class EntryScore:
    framework_code: str
    scale: float
    total: float
    regular_total: float
    bonus_total: float
    penalty_total: float
    groups: dict[str, GroupScore]
    indicators: dict[str, IndicatorScore]
    caps_applied: list[str] = field(default_factory=list)
    overrides: dict[str, float] = field(default_factory=dict)
    top_groups: tuple[str, ...] = ()
    conditions: tuple[ConditionResult, ...] = ()  # each declared condition on these values (issue 16, Q)
    criteria: tuple[int, int, tuple[str, ...]] | None = None  # (met, of, codes not met) for min_criteria_met
    rescaled: dict | None = None  # parts not assessed and the regular part put back on the scale (issue 16)

    def group_pcts(self, kinds: tuple[str, ...] = ("regular",)) -> dict[str, float]:
        """points / max_points × 100 of each top-level group of ``kinds`` (for band floors)."""
        out = {}
        skip = self.rescaled["parts"] if self.rescaled else ()  # a part not assessed has no floor (issue 16)
        for code in self.top_groups:
            g = self.groups[code]
            if g.kind in kinds and g.max_points > 0 and code not in skip:
                out[code] = round_points(g.points / g.max_points * 100.0)
        return out

    def to_explanation(self) -> dict:
        """JSON-able, machine-readable breakdown of how the total was reached."""
        return {
            "framework": self.framework_code,
            "scale": self.scale,
            "total": self.total,
            "regular_total": self.regular_total,
            "bonus_total": self.bonus_total,
            "penalty_total": self.penalty_total,
            "caps_applied": list(self.caps_applied),
            "overrides": dict(self.overrides),
            **results_explanation(self.conditions, self.criteria),
            "rescaled": self.rescaled,
            "groups": [
                {"code": g.code, "kind": g.kind, "raw": g.raw, "points": g.points, "cap": g.cap,
                 "capped": g.capped, "max_points": g.max_points, "source": g.source}
                for g in self.groups.values()
            ],
            "indicators": [
                {"code": i.code, "value": _jsonable(i.value), "rule": self._rules.get(i.code),
                 "points": i.points, "max_points": i.max_points, "status": i.status,
                 "source": i.source, "detail": i.detail, **({"basis": i.basis} if i.basis else {})}
                for i in self.indicators.values()
            ],
        }

    _rules: dict = field(default_factory=dict, repr=False)


def _jsonable(v: Any) -> Any:
    if is_na(v):
        return "NA"
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return str(v)


def _sum(xs) -> float:
    total = 0.0
    for x in xs:
        total = total + x
    return round_points(total)


def _node_range(node: Node, bound: float) -> tuple[float, float]:
    return (-bound, 0.0) if node.kind == "penalty" else (0.0, bound)


def score_entry(fw: Framework, values: dict[str, object], judged: dict[str, float] | None = None,
                overrides: dict[str, float] | None = None, unit: UnitContext | None = None) -> EntryScore:
    """Score ``values`` (indicator code -> raw value) with optional judges' points and council overrides.

    ``values`` may map a criterion's code to NA (criterion-level N/A); computed indicators are
    computed here (:func:`scoring.values.resolve`); ``unit`` picks unit-dependent targets/floors.
    """
    resolved = resolve(fw, values)
    parts = parts_marked(fw, values)  # declared parts not assessed: 0 points, total rescaled (issue 16, Q)
    not_assessed = leaves_under(fw, parts)
    values = resolved.values
    judged = judged or {}
    overrides = overrides or {}
    indicators: dict[str, IndicatorScore] = {}
    groups: dict[str, GroupScore] = {}
    caps: list[str] = []
    rules: dict[str, dict] = {}

    def score_leaf(n: Node) -> float:
        value = values.get(n.code)
        rule = n.scoring_rule
        rules[n.code] = _dump_rule(rule)
        if n.code in overrides:
            pts = clamp_points(rule.kind, float(overrides[n.code]), n.max_points)
            s = IndicatorScore(n.code, value, pts, n.max_points, "scored", rule.kind, "override",
                               f"council override {overrides[n.code]:g}")
        elif n.code in judged:
            pts = clamp_points(rule.kind, float(judged[n.code]), n.max_points)
            s = IndicatorScore(n.code, value, pts, n.max_points, "scored", rule.kind, "judges",
                               f"judges' aggregate {judged[n.code]:g}")
        else:
            unit_rule, notes = rule_for(n, unit, fw)
            r = indicator_points(with_rule(n, unit_rule), value)
            src = "na" if r.status == "not_applicable" else "rule"
            s = IndicatorScore(n.code, value, r.points, n.max_points, r.status, rule.kind, src, r.detail,
                               basis=value_basis(n, resolved, notes))
        if n.code in resolved.computed or n.code in resolved.na_from:
            s = dataclasses.replace(s, basis=s.basis or value_basis(n, resolved, []))
        if n.code in not_assessed and s.source == "na":
            s = dataclasses.replace(s, points=0.0, status="not_assessed",
                                    detail=f"part {not_assessed[n.code]} not assessed: 0, total rescaled")
        indicators[n.code] = s
        return s.points

    def score_node(n: Node) -> float:
        if n.is_indicator:
            return score_leaf(n)
        kids = [score_node(c) for c in n.children]
        raw = round_points(max(kids, default=0.0)) if n.stacking == "max" else _sum(kids)  # max: awards do not add up
        cap = n.effective_cap
        lo, hi = _node_range(n, cap)
        pts = clamp_round(raw, lo, hi)
        capped = pts != raw
        if capped:
            caps.append(n.code)
        src = "rule"
        if n.code in overrides:
            pts = clamp_round(float(overrides[n.code]), lo, hi)
            src = "override"
        groups[n.code] = GroupScore(n.code, n.kind, raw, pts, cap, capped, n.max_points, src)
        return pts

    by_kind: dict[str, list[float]] = {"regular": [], "bonus": [], "penalty": []}
    for g in fw.groups:
        by_kind[g.kind].append(score_node(g))

    regular_sum = _sum(by_kind["regular"])
    before_rescale = regular_sum
    regular_sum = rescaled(regular_sum, fw.scale, removed_max(fw, parts))
    regular_total = clamp_round(regular_sum, -float('inf'), fw.scale)
    if regular_total != regular_sum:
        caps.append("SCALE")
    bonus_total = _sum(by_kind["bonus"])
    penalty_total = _sum(by_kind["penalty"])
    upper = fw.scale + fw.bonus_cap_total
    raw_total = _sum([regular_total, bonus_total, penalty_total])
    total = clamp_round(raw_total, 0.0, upper)
    if total != raw_total:
        caps.append("TOTAL")
    if "TOTAL" in overrides:
        total = clamp_round(float(overrides["TOTAL"]), 0.0, upper)

    return EntryScore(
        framework_code=fw.code, scale=fw.scale, total=total, regular_total=regular_total,
        bonus_total=bonus_total, penalty_total=penalty_total, groups=groups, indicators=indicators,
        caps_applied=caps, overrides={k: float(v) for k, v in overrides.items()},
        top_groups=tuple(g.code for g in fw.groups), _rules=rules,
        conditions=evaluate_conditions(fw, values),
        rescaled=rescale_note(fw, parts, before_rescale, regular_sum),
        criteria=criteria_met(fw, {c: g.points for c, g in groups.items()}),
    )


def value_basis(n: Node, resolved: Resolved, notes: list) -> dict:
    """How an indicator's value and rule came about: its formula and computed value, the N/A criterion
    above it, the unit's threshold (empty for a plain typed value)."""
    out: dict[str, Any] = {}
    if n.code in resolved.na_from:
        out["na_part"] = resolved.na_from[n.code]
    elif n.compute is not None and n.code in resolved.computed:
        o = resolved.computed[n.code]
        out["formula"] = n.compute.expr
        out["operands"] = list(n.compute.operands)
        out["computed"] = resolved.values.get(n.code)
        if o.value is None:
            out["reason"], out["reason_code"] = o.reason, o.code
            if o.reason == "division_by_zero" and n.compute.if_zero is not None:
                out["if_zero"] = n.compute.if_zero
    if notes:
        out["thresholds"] = [{"param": nt.param, "by": nt.by, "key": nt.key, "value": nt.value} for nt in notes]
    return out


# --------------------------------------------------------------------------- value checks

@dataclass(frozen=True)
class ValueIssue:
    """A translatable problem with a value: ``key`` is a message key, ``params`` its arguments."""

    code: str
    key: str  # required | not_a_number | ambiguous_number | out_of_range | not_an_integer |
    #           not_in_choices | unknown_level | not_yes_no | not_a_date | na_not_allowed |
    #           check_failed | unknown_indicator
    params: dict = field(default_factory=dict)


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "==": operator.eq, "!=": operator.ne}


def _comparable(n: Node, v: Any) -> Any:
    """Value in a comparable form for cross-field checks, or None if not comparable."""
    if is_missing(v) or is_na(v):
        return None
    try:
        if n.value_type == "date":
            return v if isinstance(v, _dt.date) else _dt.date.fromisoformat(str(v).strip())
        if n.value_type == "yes_no":
            return to_bool(v)
        if n.value_type in ("number", "percentage", "count") or n.scoring_rule.kind in NUMERIC_RULES:
            return to_number(v)
    except (ValueError, TypeError):
        return None
    return v


def _issues_for(n: Node, v: Any) -> list[ValueIssue]:
    c, out = n.code, []
    if is_na(v):
        if not n.na_allowed:
            out.append(ValueIssue(c, "na_not_allowed"))
        return out
    if is_missing(v):
        if n.required:
            out.append(ValueIssue(c, "required"))
        return out
    rule = n.scoring_rule
    vt, rk = n.value_type, rule.kind
    if vt in ("number", "percentage", "count") or (vt is None and rk in NUMERIC_RULES):
        try:
            x = to_number(v)
        except ValueError as exc:
            key = "ambiguous_number" if "ambiguous" in str(exc) else "not_a_number"
            return [ValueIssue(c, key, {"value": str(v)})]
        lo, hi = n.min, n.max
        if vt == "percentage":
            lo = 0.0 if lo is None else max(lo, 0.0)
            hi = 100.0 if hi is None else min(hi, 100.0)
        if vt == "count" or rk in ("count", "bonus", "penalty"):
            lo = 0.0 if lo is None else max(lo, 0.0)
            if vt == "count" and x != int(x):
                out.append(ValueIssue(c, "not_an_integer", {"value": x}))
        if rk == "manual":
            lo = 0.0 if lo is None else max(lo, 0.0)
            hi = n.max_points if hi is None else min(hi, n.max_points)
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            out.append(ValueIssue(c, "out_of_range", {"value": x, "min": lo, "max": hi}))
    elif vt == "yes_no":
        try:
            to_bool(v)
        except ValueError:
            out.append(ValueIssue(c, "not_yes_no", {"value": str(v)}))
    elif vt == "date" and not isinstance(v, _dt.date):
        try:
            _dt.date.fromisoformat(str(v).strip())
        except ValueError:
            out.append(ValueIssue(c, "not_a_date", {"value": str(v)}))
    if vt == "choice" and str(v) not in {ch.code for ch in n.choices}:
        out.append(ValueIssue(c, "not_in_choices", {"value": str(v), "choices": [ch.code for ch in n.choices]}))
    if isinstance(rule, JudgedRule) and vt in (None, "choice") and rule.level_points(str(v).strip()) is None:
        out.append(ValueIssue(c, "unknown_level", {"value": str(v), "levels": [lv.code for lv in rule.levels]}))
    return out


def check_values(fw: Framework, values: dict[str, object]) -> dict[str, list[ValueIssue]]:
    """Type, range, required, choice and cross-field problems, keyed by indicator code.

    Only codes with problems appear. Cross-field checks run only when both values
    are present, applicable and well-formed (their own issues are reported instead).
    """
    issues: dict[str, list[ValueIssue]] = {}
    nodes = {n.code: n for n in fw.indicators()}
    parts = {n.code: n for n in fw.walk() if not n.is_indicator}
    for code in values:
        if code in parts and is_na(values[code]) and not parts[code].na_allowed:
            issues.setdefault(code, []).append(ValueIssue(code, "na_not_allowed"))
        elif code not in nodes and code not in parts:
            issues.setdefault(code, []).append(ValueIssue(code, "unknown_indicator"))
    resolved = resolve(fw, values)  # criterion N/A spread, computed values filled in
    values = resolved.values
    for n in nodes.values():
        if n.code in resolved.na_from:
            continue
        found = _computed_issues(n, resolved) if n.compute is not None else _issues_for(n, values.get(n.code))
        if found:
            issues.setdefault(n.code, []).extend(found)
    for n in nodes.values():
        if n.code in issues:
            continue
        for ck in n.checks:
            other = nodes.get(ck.other)
            if other is None or other.code in issues:
                continue
            a, b = _comparable(n, values.get(n.code)), _comparable(other, values.get(other.code))
            if a is None or b is None:
                continue
            try:
                ok = _OPS[ck.op](a, b)
            except TypeError:
                ok = False
            if not ok:
                issues.setdefault(n.code, []).append(ValueIssue(
                    n.code, "check_failed",
                    {"op": ck.op, "other": ck.other, "value": _jsonable(a), "other_value": _jsonable(b),
                     "message": dict(ck.message)}))
    return issues


def _computed_issues(n: Node, resolved: Resolved) -> list[ValueIssue]:
    """A computed indicator: its value's range, or why it cannot be computed (a division by zero always;
    a missing operand when the indicator is required; an operand that is not a number has its own issue)."""
    v = resolved.values.get(n.code)
    if v is not None:  # a manual rule's computed points are clamped to its maximum, not refused
        clamp_only = n.scoring_rule.kind == "manual" and n.min is None and n.max is None
        return [i for i in _issues_for(n, v) if i.key != "required" and not (clamp_only and i.key == "out_of_range")]
    o = resolved.computed.get(n.code)
    if o is None or o.reason == "not_a_number" or (o.reason != "division_by_zero" and not n.required):
        return []
    return [ValueIssue(n.code, "not_computable", {"reason": o.reason, "operand": o.code})]


__all__ = ["score_entry", "check_values", "EntryScore", "GroupScore", "IndicatorScore", "ValueIssue", "NA"]
