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

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeGuard

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

FORMAT_ID = "thidua-framework/1"
KINDS = ("regular", "bonus", "penalty")
VALUE_TYPES = ("number", "percentage", "yes_no", "choice", "count", "date", "text", "file_only")
RULE_KINDS = ("target", "linear", "banded", "yes_no", "count", "judged", "bonus", "penalty", "manual")
DIRECTIONS = ("higher", "lower")
CHECK_OPS = ("<", "<=", ">", ">=", "==", "!=")
RESERVED_CODES = ("TOTAL",)
_SLUG = re.compile(r"^[a-z0-9-]+$")

_NUMERIC_TYPES = ("number", "percentage", "count")
# value_type -> rule kinds it can feed; None (unspecified value_type) accepts any rule.
COMPATIBLE_RULES: dict[str, tuple[str, ...]] = {
    "number": ("target", "linear", "banded", "count", "bonus", "penalty", "manual"),
    "percentage": ("target", "linear", "banded", "manual"),
    "count": ("target", "linear", "banded", "count", "bonus", "penalty", "manual"),
    "yes_no": ("yes_no",),
    "choice": ("judged",),
    "date": ("judged",),
    "text": ("judged",),
    "file_only": ("judged",),
}


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
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple[Choice, ...] = ()
    required: bool = False
    na_allowed: bool = False
    evidence: dict = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    guidance: dict = field(default_factory=dict)
    floor_pct: float | None = None

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
    assumptions: tuple[str, ...] = ()
    format: str = FORMAT_ID

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


# --------------------------------------------------------------------------- validation

def _is_num(x: Any) -> TypeGuard[float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _validate_rule(code: str, rule: Any, kind: str, max_points: Any, value_type: Any, errors: list[str]) -> None:
    if not isinstance(rule, dict):
        errors.append(f"{code}: rule must be a mapping")
        return
    rk = rule.get("kind")
    if rk not in RULE_KINDS:
        errors.append(f"{code}: unknown rule kind {rk!r}")
        return
    mp = max_points if _is_num(max_points) else None

    def need_num(key: str) -> float | None:
        v = rule.get(key)
        if not _is_num(v):
            errors.append(f"{code}: rule {rk} needs a numeric '{key}'")
            return None
        return float(v)

    if rk in ("target", "linear"):
        d = rule.get("direction", "higher")
        if d not in DIRECTIONS:
            errors.append(f"{code}: rule {rk} direction must be 'higher' or 'lower', got {d!r}")
        t = need_num("target")
        if rk == "linear":
            f = need_num("floor")
            if t is not None and f is not None:
                if f == t:
                    errors.append(f"{code}: linear rule floor equals target ({f:g})")
                elif d == "higher" and f > t:
                    errors.append(f"{code}: linear rule with direction higher needs floor < target")
                elif d == "lower" and f < t:
                    errors.append(f"{code}: linear rule with direction lower needs floor > target")
    elif rk == "banded":
        bands = rule.get("bands")
        if not isinstance(bands, list) or not bands:
            errors.append(f"{code}: banded rule needs a non-empty 'bands' list")
        else:
            prev = None
            for i, b in enumerate(bands):
                if not isinstance(b, dict) or not _is_num(b.get("from")) or not _is_num(b.get("points")):
                    errors.append(f"{code}: band {i} needs numeric 'from' and 'points'")
                    prev = None
                    continue
                if prev is not None and b["from"] <= prev:
                    errors.append(f"{code}: banded rule bands are not strictly ascending by 'from'")
                prev = b["from"]
                if b["points"] < 0 or (mp is not None and b["points"] > mp):
                    errors.append(f"{code}: band {i} points {b['points']} outside [0, max_points]")
    elif rk == "yes_no":
        for key in ("yes_points", "no_points"):
            if key in rule:
                v = rule[key]
                if not _is_num(v) or v < 0 or (mp is not None and v > mp):
                    errors.append(f"{code}: yes_no rule '{key}' must be a number in [0, max_points]")
    elif rk in ("count", "bonus", "penalty"):
        p = rule.get("per_item")
        if not _is_num(p) or p <= 0:
            errors.append(f"{code}: {rk} rule needs 'per_item' > 0")
        if rk == "count" and "cap" in rule and (not _is_num(rule["cap"]) or rule["cap"] < 0):
            errors.append(f"{code}: count rule 'cap' must be a number >= 0")
    elif rk == "judged":
        levels = rule.get("levels")
        if not isinstance(levels, list) or not levels:
            errors.append(f"{code}: judged rule needs a non-empty 'levels' list")
        else:
            seen: set = set()
            for i, lv in enumerate(levels):
                if not isinstance(lv, dict) or not lv.get("code") or not _is_num(lv.get("points")):
                    errors.append(f"{code}: level {i} needs 'code' and numeric 'points'")
                    continue
                if lv["code"] in seen:
                    errors.append(f"{code}: duplicate level code {lv['code']!r}")
                seen.add(lv["code"])
                if lv["points"] < 0 or (mp is not None and lv["points"] > mp):
                    errors.append(f"{code}: level {lv['code']!r} points {lv['points']} outside [0, max_points]")

    if rk == "bonus" and kind != "bonus":
        errors.append(f"{code}: bonus rule outside a bonus group")
    if rk == "penalty" and kind != "penalty":
        errors.append(f"{code}: penalty rule outside a penalty group")
    if kind == "penalty" and rk != "penalty":
        errors.append(f"{code}: a penalty group may only contain penalty rules (got {rk})")
    if value_type in COMPATIBLE_RULES and rk not in COMPATIBLE_RULES[value_type]:
        errors.append(f"{code}: value_type {value_type} is incompatible with rule {rk}")


def validate_framework(doc: dict) -> list[str]:
    """Every structural problem of ``doc`` as a human-readable string (empty = valid)."""
    errors: list[str] = []
    if not isinstance(doc, dict):
        return ["framework: document must be a mapping"]
    if doc.get("format") != FORMAT_ID:
        errors.append(f"framework: 'format' must be {FORMAT_ID!r}")
    code = doc.get("code")
    if not isinstance(code, str) or not _SLUG.match(code):
        errors.append("framework: 'code' must be a slug of [a-z0-9-]")
    if not isinstance(doc.get("name"), dict) or not doc.get("name"):
        errors.append("framework: 'name' must be a mapping of language -> text")
    scale = doc.get("scale")
    if not _is_num(scale) or scale <= 0:
        errors.append("framework: 'scale' must be a positive number")
    groups = doc.get("groups")
    if not isinstance(groups, list) or not groups:
        errors.append("framework: 'groups' must be a non-empty list")
        return errors

    seen: dict[str, int] = {}
    checks: list[tuple[str, Any]] = []

    def visit(n: Any, path: str, kind: str | None, is_group: bool) -> None:
        if not isinstance(n, dict):
            errors.append(f"{path}: node must be a mapping")
            return
        c = n.get("code")
        if not isinstance(c, str) or not c.strip():
            errors.append(f"{path}: missing code")
            c = path
        else:
            if c in seen:
                errors.append(f"{c}: duplicate code")
            seen[c] = seen.get(c, 0) + 1
            if c in RESERVED_CODES:
                errors.append(f"{c}: code is reserved")
        if not isinstance(n.get("name"), dict):
            errors.append(f"{c}: 'name' must be a mapping of language -> text")
        if is_group:
            kind = n.get("kind", "regular")
            if kind not in KINDS:
                errors.append(f"{c}: unknown group kind {kind!r}")
                kind = "regular"
        elif "kind" in n and n["kind"] != kind:
            errors.append(f"{c}: kind {n['kind']!r} differs from its group's kind {kind!r}")
        mp = n.get("max_points")
        if mp is None:
            errors.append(f"{c}: missing max_points")
        elif not _is_num(mp):
            errors.append(f"{c}: max_points must be a number")
        elif mp < 0:
            errors.append(f"{c}: negative max_points")
        if "cap" in n and n["cap"] is not None and (not _is_num(n["cap"]) or n["cap"] < 0):
            errors.append(f"{c}: cap must be a number >= 0")
        fp = n.get("floor_pct")
        if fp is not None and (not _is_num(fp) or not 0 <= fp <= 100):
            errors.append(f"{c}: floor_pct must be within 0..100")
        vt = n.get("value_type")
        if vt is not None and vt not in VALUE_TYPES:
            errors.append(f"{c}: unknown value_type {vt!r}")
        if vt == "choice":
            ch = n.get("choices")
            if not isinstance(ch, list) or not ch:
                errors.append(f"{c}: value_type choice needs a non-empty choices list")
            else:
                codes = [x.get("code") if isinstance(x, dict) else None for x in ch]
                if any(not x for x in codes):
                    errors.append(f"{c}: every choice needs a code")
                if len(set(codes)) != len(codes):
                    errors.append(f"{c}: duplicate choice codes")
        lo, hi = n.get("min"), n.get("max")
        for key, v in (("min", lo), ("max", hi)):
            if v is not None and not _is_num(v):
                errors.append(f"{c}: '{key}' must be a number")
        if _is_num(lo) and _is_num(hi) and lo > hi:
            errors.append(f"{c}: min > max")
        children = n.get("children") or []
        if not isinstance(children, list):
            errors.append(f"{c}: children must be a list")
            children = []
        rule = n.get("rule")
        if rule is not None and children:
            errors.append(f"{c}: a node cannot have both a rule and children")
        if rule is None and not children:
            errors.append(f"{c}: leaf node without a rule")
        if rule is not None:
            _validate_rule(c, rule, kind or "regular", mp, vt, errors)
        for ck in n.get("checks") or []:
            checks.append((c, ck))
        for i, ch in enumerate(children):
            visit(ch, f"{c}/{i}", kind, False)

    for i, g in enumerate(groups):
        visit(g, f"groups/{i}", None, True)

    indicator_codes = set(seen)
    for c, ck in checks:
        if not isinstance(ck, dict):
            errors.append(f"{c}: check must be a mapping")
            continue
        if ck.get("op") not in CHECK_OPS:
            errors.append(f"{c}: check has unknown op {ck.get('op')!r}")
        if ck.get("other") not in indicator_codes:
            errors.append(f"{c}: check refers to unknown code {ck.get('other')!r}")
    return errors


# --------------------------------------------------------------------------- parsing

def _f(x: Any) -> float | None:
    return None if x is None else float(x)


def _parse_rule(r: dict) -> Rule:
    kind = r["kind"]
    if kind == "target":
        return TargetRule(float(r["target"]), r.get("direction"))
    if kind == "linear":
        return LinearRule(float(r["floor"]), float(r["target"]), r.get("direction"))
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
    return ManualRule()


def _parse_node(n: dict, kind: str) -> Node:
    return Node(
        code=n["code"],
        name=dict(n.get("name") or {}),
        kind=kind,
        max_points=float(n["max_points"]),
        cap=_f(n.get("cap")),
        children=tuple(_parse_node(c, kind) for c in n.get("children") or ()),
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
        assumptions=tuple(doc.get("assumptions") or ()),
        format=doc["format"],
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
    elif isinstance(r, LinearRule):
        out.update(target=_n(r.target), floor=_n(r.floor), direction=r.direction)
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
        "guidance": dict(n.guidance),
        "value_type": n.value_type,
        "unit": n.unit,
        "min": _n(n.min),
        "max": _n(n.max),
        "choices": [_clean({"code": c.code, "label": dict(c.label)}) for c in n.choices],
        "required": n.required,
        "na_allowed": n.na_allowed,
        "evidence": dict(n.evidence),
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
        "groups": [_dump_node(g, True) for g in fw.groups],
    })
