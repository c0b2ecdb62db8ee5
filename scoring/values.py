"""An entry's effective values: computed indicators, criterion-level N/A and unit-dependent rule parameters.

Both engines (:func:`scoring.entry.score_entry` and :func:`scoring.vector.values_matrix` /
:func:`scoring.vector.points_matrix`) read values through this module, so a computed value, a
criterion marked N/A or a per-unit target is decided by one function.

* **Criterion-level N/A**: a non-leaf node with ``na_allowed: true`` whose code maps to
  :data:`scoring.rules.NA` in the values makes every indicator below it N/A (full points, 0 for
  bonus/penalty), whatever the indicator's own value or ``na_allowed``.
* **Computed indicators** (``compute:``): the value is the expression over the entry's other
  indicators (:mod:`scoring.expressions`), in dependency order; a value given for a computed
  indicator is ignored. An operand that is missing, N/A or not a number makes it missing;
  a division by zero makes it ``if_zero`` or, without one, missing.
* **Unit-dependent parameters**: :func:`rule_for` gives the indicator's rule with the unit's
  target/floor (:mod:`scoring.unit_params`) and a note of what applied.
"""
from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass, field

from .expressions import Outcome, evaluate
from .framework import Framework, LinearRule, Node, Rule, TargetRule
from .rules import NA, is_missing, is_na, round_points, to_number
from .unit_params import ParamNote, UnitContext, lookup

__all__ = ["Resolved", "UnitContext", "na_parts", "resolve", "rule_for", "computed_order"]


@dataclass
class Resolved:
    """Effective values plus how they came about (for the explanation and the officer's form)."""

    values: dict[str, object]
    computed: dict[str, Outcome] = field(default_factory=dict)  # computed code -> outcome (value before if_zero)
    na_from: dict[str, str] = field(default_factory=dict)  # indicator code -> the N/A criterion above it


def na_parts(fw: Framework, values: dict[str, object]) -> set[str]:
    """Codes of the non-leaf nodes marked not applicable (and allowed to be)."""
    out: set[str] = set()
    for n in fw.walk():
        if not n.is_indicator and n.na_allowed and is_na(values.get(n.code)):
            out.add(n.code)
    return out


def computed_order(fw: Framework) -> list[Node]:
    """Computed indicators, each after the computed indicators it reads (validation forbids cycles)."""
    comp = {n.code: n for n in fw.indicators() if n.compute is not None}
    order: list[Node] = []
    seen: set[str] = set()

    def visit(n: Node) -> None:
        if n.code in seen:
            return
        seen.add(n.code)
        assert n.compute is not None
        for r in n.compute.operands:
            if r in comp:
                visit(comp[r])
        order.append(n)

    for n in comp.values():
        visit(n)
    return order


# Per parsed framework (by identity, dropped with it): its N/A-able criteria with their indicators,
# and its computed indicators in order. A framework without either resolves at no cost.
_META: dict[int, tuple[weakref.ref, dict[str, tuple[str, ...]], list[Node]]] = {}


def _meta(fw: Framework) -> tuple[dict[str, tuple[str, ...]], list[Node]]:
    hit = _META.get(id(fw))
    if hit is not None and hit[0]() is fw:
        return hit[1], hit[2]
    parts = {n.code: tuple(x.code for x in n.walk() if x.is_indicator)
             for n in fw.walk() if not n.is_indicator and n.na_allowed}
    order = computed_order(fw)
    key = id(fw)
    _META[key] = (weakref.ref(fw, lambda _r: _META.pop(key, None)), parts, order)
    return parts, order


def resolve(fw: Framework, values: dict[str, object]) -> Resolved:
    """The entry's effective indicator values (criterion N/A spread, computed values filled in).

    ``values`` itself is returned (not copied) when the framework has neither construct.
    """
    all_parts, order = _meta(fw)
    if not all_parts and not order:
        return Resolved(values)
    out = dict(values)
    res = Resolved(out)
    parts = {c for c in all_parts if is_na(values.get(c))}
    if parts:
        for g in fw.groups:
            for n in g.walk():
                if n.code in parts:
                    for leaf in n.walk():
                        if leaf.is_indicator and leaf.code not in res.na_from:
                            res.na_from[leaf.code] = n.code
                            out[leaf.code] = NA
    if not order:
        return res

    def operand(code: str) -> float | str | None:
        v = out.get(code)
        if is_na(v):
            return "not_applicable"
        if is_missing(v):
            return None
        try:
            return to_number(v)
        except (ValueError, TypeError):
            return "not_a_number"

    for n in order:
        if n.code in res.na_from:
            continue
        assert n.compute is not None
        o = evaluate(n.compute.tree, operand)
        res.computed[n.code] = o
        value = o.value
        if value is None and o.reason == "division_by_zero" and n.compute.if_zero is not None:
            value = n.compute.if_zero
        out[n.code] = None if value is None else round_points(value)
    return res


def rule_for(node: Node, unit: UnitContext | None, fw: Framework) -> tuple[Rule, list[ParamNote]]:
    """The indicator's rule with the unit's target/floor, and which table values applied."""
    rule = node.scoring_rule
    if not isinstance(rule, (TargetRule, LinearRule)) or not rule.tables:
        return rule, []
    notes = [lookup(t, unit, fw.regions) for t in rule.tables]
    changes = {nt.param: nt.value for nt in notes}
    if isinstance(rule, TargetRule):
        return dataclasses.replace(rule, target=changes.get("target", rule.target)), notes
    return dataclasses.replace(rule, floor=changes.get("floor", rule.floor),
                               target=changes.get("target", rule.target)), notes


def with_rule(node: Node, rule: Rule) -> Node:
    """``node`` scored by ``rule`` (a unit's specialised rule); the node itself when unchanged."""
    return node if rule is node.rule else dataclasses.replace(node, rule=rule)
