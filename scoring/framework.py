"""Framework documents (bảng chấm điểm): validation, parsing and dumping.

The document shape is described in ``docs/framework-format.md``. Parsing yields
frozen dataclasses so a framework can be shared between threads and cached.

Decisions where the format doc is silent (kept here so callers can rely on them):

* ``max_points`` is required on every node; a missing value is an error.
* Every non-leaf node (group, criterion, sub-criterion) is clamped to its
  ``cap`` (default ``max_points``), not only top-level groups.
* A leaf must carry a ``rule`` and a node with a ``rule`` must not have children.
* ``kind`` is set on groups only; a child that repeats a different kind is an error.
* ``bonus`` rules are only allowed in bonus groups, ``penalty`` rules only in
  penalty groups, and a penalty group may only hold ``penalty`` rules (so every
  point in it is a deduction). Bonus groups may use any non-penalty rule.
* Codes are unique across the whole framework; ``TOTAL`` is reserved for overrides.
* Normalised form (what :func:`dump_framework` emits): null keys, ``false``
  booleans and empty lists/dicts are dropped, integral floats become ints, and
  ``kind`` is written on groups only. ``dump(parse(d)) == d`` for documents
  already in that form, and ``parse(dump(parse(d))) == parse(d)`` always.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .band_specs import normalise as normalise_band
from .conditions import Condition, dump_conditions, parse_conditions
from .expressions import Compute, parse_expr
from .framework_check import (  # noqa: F401 - re-exported: part of the framework API
    CHECK_OPS,
    COMPATIBLE_RULES,
    DIRECTIONS,
    FORMAT_ID,
    KINDS,
    RESERVED_CODES,
    RULE_KINDS,
    VALUE_TYPES,
    validate_framework,
)
from .rule_types import (  # noqa: F401 - re-exported: the rule types are part of a parsed framework
    Band,
    BandedRule,
    BonusRule,
    CountRule,
    JudgedRule,
    Level,
    LinearRule,
    ManualRule,
    PenaltyRule,
    Rule,
    TargetRule,
    YesNoRule,
    make_rule,
)
from .unit_params import ParamTable, Region, dump_table  # computed / unit-dependent values (issue 16, P)


class FrameworkError(ValueError):
    """Raised by :func:`parse_framework` for an invalid document; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Choice:
    code: str
    label: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """Cross-field rule: ``this op other`` must hold when both values are present."""

    op: str
    other: str
    message: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Node:
    """A group, criterion or indicator (a node with a ``rule``)."""

    code: str
    name: dict
    kind: str
    max_points: float
    cap: float | None = None
    children: tuple[Node, ...] = ()
    rule: Rule | None = None
    value_type: str | None = None
    unit: str | dict | None = None  # text, or {vi, en} (docs/framework-format.md)
    min: float | None = None
    max: float | None = None
    choices: tuple[Choice, ...] = ()
    required: bool = False
    na_allowed: bool = False
    evidence: dict = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    guidance: dict = field(default_factory=dict)
    floor_pct: float | None = None
    criterion: bool = False  # counted by a band's min_criteria_met (scoring.conditions, issue 16, Q)
    met_pct: float | None = None  # a criterion is met at this % of its max_points (default 100)
    rescale: bool = False  # N/A on this node: its indicators score 0 and the regular part is rescaled
    stacking: str | None = None  # bonus group: sum (default) | max (only the largest item counts)
    compute: Compute | None = None  # a computed indicator's expression (scoring.expressions)
    na_inherited: bool = False  # an ancestor has na_allowed: N/A reaches this node through it (not dumped)

    @property
    def is_indicator(self) -> bool:
        return self.rule is not None and not self.children

    @property
    def scoring_rule(self) -> Rule:
        """The rule of an indicator (validation guarantees every leaf has one)."""
        if self.rule is None:
            raise ValueError(f"{self.code}: node has no rule")
        return self.rule

    @property
    def effective_cap(self) -> float:
        """Clamp bound of a non-leaf node: ``cap`` or, by default, ``max_points``."""
        return self.cap if self.cap is not None else self.max_points

    def walk(self) -> Iterator[Node]:
        """Pre-order traversal including self."""
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class Framework:
    code: str
    name: dict
    scale: float
    groups: tuple[Node, ...]
    description: dict = field(default_factory=dict)
    source: str | None = None
    assumptions: tuple[str | dict, ...] = ()  # plain text or {vi, en}
    format: str = FORMAT_ID
    conditions: tuple[Condition, ...] = ()  # điều kiện: cap or withhold bands/awards (scoring.conditions)
    bands: tuple[dict, ...] = ()  # declared bands, normalised (scoring.band_specs); a new campaign's bands
    regions: tuple[Region, ...] = ()  # for rule parameters `by: region` (scoring.unit_params)

    def walk(self) -> Iterator[Node]:
        for g in self.groups:
            yield from g.walk()

    def indicators(self) -> list[Node]:
        """Leaf nodes with a rule, in document (pre-)order."""
        return [n for n in self.walk() if n.is_indicator]

    def node(self, code: str) -> Node:
        """Node by code; ``KeyError`` if absent."""
        for n in self.walk():
            if n.code == code:
                return n
        raise KeyError(code)

    def group_of(self, code: str) -> Node:
        """Top-level group that contains ``code`` (a group is its own group)."""
        for g in self.groups:
            if any(n.code == code for n in g.walk()):
                return g
        raise KeyError(code)

    @property
    def bonus_cap_total(self) -> float:
        """Σ caps of bonus groups: the part of the total allowed above ``scale``."""
        return sum(g.effective_cap for g in self.groups if g.kind == "bonus")


# --------------------------------------------------------------------------- parsing

def _f(x: Any) -> float | None:
    return None if x is None else float(x)


def _param(r: dict, key: str) -> tuple[float, tuple[ParamTable, ...]]:
    """A numeric rule parameter, or a unit-dependent table (its default is the plain value)."""
    v = r[key]
    if isinstance(v, dict):
        table = tuple((str(k), float(x)) for k, x in (v.get("table") or {}).items())
        return float(v["default"]), (ParamTable(key, v["by"], table, float(v["default"])),)
    return float(v), ()


def _parse_rule(r: dict) -> Rule:
    kind = r["kind"]
    if kind == "target":
        target, tables = _param(r, "target")
        return TargetRule(target, r.get("direction"), tables=tables)
    if kind == "linear":
        floor, t1 = _param(r, "floor")
        target, t2 = _param(r, "target")
        return LinearRule(floor, target, r.get("direction"), tables=t1 + t2)
    if kind == "banded":
        return BandedRule(tuple(Band(float(b["from"]), float(b["points"])) for b in r.get("bands") or ()))
    if kind == "yes_no":
        return YesNoRule(_f(r.get("yes_points")), _f(r.get("no_points")))
    if kind == "count":
        return CountRule(float(r["per_item"]), _f(r.get("cap")))
    if kind == "bonus":
        return BonusRule(float(r["per_item"]))
    if kind == "penalty":
        return PenaltyRule(float(r["per_item"]))
    if kind == "judged":
        return JudgedRule(tuple(Level(str(lv["code"]), float(lv["points"]), dict(lv.get("descriptor") or {}))
                                for lv in r.get("levels") or ()))
    if kind == "info":
        return make_rule("info")
    return ManualRule()


def _parse_compute(c: dict | None) -> Compute | None:
    if c is None:
        return None
    return Compute(str(c["expr"]), parse_expr(str(c["expr"])), _f(c.get("if_zero")))


def _parse_node(n: dict, kind: str, na_inherited: bool = False) -> Node:
    return Node(
        code=n["code"],
        name=dict(n.get("name") or {}),
        kind=kind,
        max_points=float(n["max_points"]),
        cap=_f(n.get("cap")),
        children=tuple(_parse_node(c, kind, na_inherited or bool(n.get("na_allowed")))
                       for c in n.get("children") or ()),
        rule=_parse_rule(n["rule"]) if n.get("rule") is not None else None,
        value_type=n.get("value_type"),
        unit=n.get("unit"),
        min=_f(n.get("min")),
        max=_f(n.get("max")),
        choices=tuple(Choice(str(c["code"]), dict(c.get("label") or {})) for c in n.get("choices") or ()),
        required=bool(n.get("required", False)),
        na_allowed=bool(n.get("na_allowed", False)),
        evidence=dict(n.get("evidence") or {}),
        checks=tuple(Check(c["op"], c["other"], dict(c.get("message") or {})) for c in n.get("checks") or ()),
        guidance=dict(n.get("guidance") or {}),
        floor_pct=_f(n.get("floor_pct")),
        criterion=bool(n.get("criterion", False)),
        met_pct=_f(n.get("met_pct")),
        rescale=bool(n.get("rescale", False)),
        stacking=n.get("stacking"),
        compute=_parse_compute(n.get("compute")),
        na_inherited=na_inherited,
    )


def parse_framework(doc: dict) -> Framework:
    """Validate and parse a framework document; raises :class:`FrameworkError` listing all problems."""
    errors = validate_framework(doc)
    if errors:
        raise FrameworkError(errors)
    return Framework(
        code=doc["code"],
        name=dict(doc["name"]),
        scale=float(doc["scale"]),
        groups=tuple(_parse_node(g, g.get("kind", "regular")) for g in doc["groups"]),
        description=dict(doc.get("description") or {}),
        source=doc.get("source"),
        assumptions=tuple(dict(a) if isinstance(a, dict) else a for a in doc.get("assumptions") or ()),
        format=doc["format"],
        conditions=parse_conditions(doc.get("conditions")),
        bands=tuple(normalise_band(b) for b in doc.get("bands") or ()),
        regions=tuple(Region(str(code), dict(r.get("name") or {}), tuple(str(p) for p in r.get("provinces") or ()))
                      for code, r in (doc.get("regions") or {}).items()),
    )


# --------------------------------------------------------------------------- dumping

def _n(x: float | None) -> int | float | None:
    """Integral floats as ints so JSON/YAML exports look like the hand-written source."""
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v is not False and v != [] and v != {}}


def _dump_rule(r: Rule) -> dict:
    out: dict[str, Any] = {"kind": r.kind}
    if isinstance(r, TargetRule):
        out.update(target=_n(r.target), direction=r.direction)
        out.update({t.param: dump_table(t) for t in r.tables})  # unit-dependent target (P)
    elif isinstance(r, LinearRule):
        out.update(target=_n(r.target), floor=_n(r.floor), direction=r.direction)
        out.update({t.param: dump_table(t) for t in r.tables})  # unit-dependent floor/target (P)
    elif isinstance(r, BandedRule):
        out["bands"] = [{"from": _n(b.from_), "points": _n(b.points)} for b in r.bands]
    elif isinstance(r, YesNoRule):
        out.update(yes_points=_n(r.yes_points), no_points=_n(r.no_points))
    elif isinstance(r, (CountRule, BonusRule, PenaltyRule)):
        out["per_item"] = _n(r.per_item)
        if isinstance(r, CountRule):
            out["cap"] = _n(r.cap)
    elif isinstance(r, JudgedRule):
        out["levels"] = [_clean({"code": lv.code, "points": _n(lv.points), "descriptor": dict(lv.descriptor)})
                         for lv in r.levels]
    return _clean(out)


def _dump_node(n: Node, is_group: bool) -> dict:
    return _clean({
        "code": n.code,
        "name": dict(n.name),
        "kind": n.kind if is_group else None,
        "max_points": _n(n.max_points),
        "cap": _n(n.cap),
        "floor_pct": _n(n.floor_pct),
        "criterion": n.criterion,
        "met_pct": _n(n.met_pct),
        "rescale": n.rescale,
        "stacking": n.stacking,
        "guidance": dict(n.guidance),
        "value_type": n.value_type,
        "unit": n.unit,
        "min": _n(n.min),
        "max": _n(n.max),
        "choices": [_clean({"code": c.code, "label": dict(c.label)}) for c in n.choices],
        "required": n.required,
        "na_allowed": n.na_allowed,
        "evidence": dict(n.evidence),
        "compute": (_clean({"expr": n.compute.expr, "if_zero": _n(n.compute.if_zero)})
                    if n.compute is not None else None),
        "rule": _dump_rule(n.rule) if n.rule is not None else None,
        "checks": [_clean({"op": c.op, "other": c.other, "message": dict(c.message)}) for c in n.checks],
        "children": [_dump_node(c, False) for c in n.children],
    })


def dump_framework(fw: Framework) -> dict:
    """Normalised document for ``fw`` (see module docstring); JSON/YAML serialisable."""
    return _clean({
        "format": fw.format,
        "code": fw.code,
        "name": dict(fw.name),
        "description": dict(fw.description),
        "scale": _n(fw.scale),
        "source": fw.source,
        "assumptions": list(fw.assumptions),
        "regions": {r.code: _clean({"name": dict(r.name), "provinces": list(r.provinces)}) for r in fw.regions},
        "groups": [_dump_node(g, True) for g in fw.groups],
        "bands": [dict(b) for b in fw.bands],
        "conditions": dump_conditions(fw.conditions),
    })
