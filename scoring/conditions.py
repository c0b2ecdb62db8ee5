"""Conditions (điều kiện, tiêu chí bắt buộc) and criteria met: what a band needs besides points.

A framework's top-level ``conditions`` list declares yes/no or numeric tests on indicators
("no official disciplined with a warning or worse", "≥ 90 % of residents satisfied"). A failed
condition never changes a score; its ``effect`` decides what the unit cannot have:

* ``withhold`` — no band and no award ("Không được công nhận");
* ``cap`` — a band at most ``cap_band`` (and so no award unless that is the top band);
* ``no_award`` — the band stands, no award.

Decisions (``docs/framework-format.md``, "Conditions"):

* A test on an indicator without a value is **not met** (``missing`` names the indicator).
* A test on an indicator marked "not applicable" (itself or a criterion above it) is **met**:
  the condition does not apply to the unit.
* ``==``/``!=`` on a yes/no indicator compare booleans (``yes``/``no``/``true``/``false``); the
  ordering operators need a numeric indicator; any other value type compares trimmed text.
* Several tests (``test: {all: [...]}``) must all hold.

Criteria met (for a band's ``min_criteria_met``): the criteria are the nodes marked
``criterion: true``, or the top-level regular groups when none is marked. A criterion is met
when its shown points are at least ``met_pct`` (default 100) % of its ``max_points``, compared as
``round(points / max_points × 100, 4) ≥ met_pct`` like group floors; a 0-point criterion is met.

This module is pure and imports no other scoring module (``framework`` imports it to parse and
dump); measuring conditions and criteria on a unit's values is :mod:`scoring.condition_eval`.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

EFFECTS = ("withhold", "cap", "no_award")
TEST_OPS = ("==", "!=", ">=", "<=", ">", "<")
_ORDERING = (">=", "<=", ">", "<")
_NUMERIC = ("number", "percentage", "count")
_NUMERIC_RULES = ("target", "linear", "banded", "count", "bonus", "penalty", "manual")
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
        "!=": operator.ne}
_YES = ("yes", "true", "có", "co", "1", "y", "x")
_NO = ("no", "false", "không", "khong", "0", "n")


@dataclass(frozen=True)
class ConditionTest:
    indicator: str
    op: str
    value: Any


@dataclass(frozen=True)
class Condition:
    code: str
    name: dict
    tests: tuple[ConditionTest, ...]
    effect: str = "withhold"
    cap_band: str | None = None
    several: bool = False  # written as ``test: {all: [...]}`` (kept for a byte-identical export)


@dataclass(frozen=True)
class ConditionResult:
    """One condition measured on a unit's values."""

    code: str
    name: dict
    effect: str
    cap_band: str | None
    met: bool
    missing: tuple[str, ...] = ()  # indicators without a value (the condition is then not met)
    failed: tuple[tuple[str, str, Any, Any], ...] = ()  # (indicator, op, expected, actual) of failed tests

    def to_dict(self) -> dict:
        """JSON form (made once per result: results are shared between units, see ``condition_eval``)."""
        cached = self.__dict__.get("_dict")
        if cached is None:
            cached = self._make_dict()
            object.__setattr__(self, "_dict", cached)
        return cached

    def _make_dict(self) -> dict:
        return {"code": self.code, "name": dict(self.name), "effect": self.effect, "cap_band": self.cap_band,
                "met": self.met, "missing": list(self.missing),
                "failed": [{"indicator": i, "op": o, "expected": _plain(e), "actual": _plain(a)}
                           for i, o, e, a in self.failed]}


def _plain(v: Any) -> Any:
    return v if v is None or isinstance(v, (bool, int, float, str)) else str(v)


# --------------------------------------------------------------------------- validation

def _is_num(x: Any) -> TypeGuard[float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _bool_word(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in _YES:
        return True
    if isinstance(v, str) and v.strip().lower() in _NO:
        return False
    return None


def _leaves(doc: dict) -> dict[str, dict]:
    """Indicator nodes (with a rule) of a raw document, by code."""
    out: dict[str, dict] = {}

    def visit(n: Any) -> None:
        if not isinstance(n, dict):
            return
        if n.get("rule") is not None and isinstance(n.get("code"), str):
            out[n["code"]] = n
        for c in n.get("children") or []:
            visit(c)

    for g in doc.get("groups") or []:
        visit(g)
    return out


def _test_list(t: Any) -> list | None:
    if isinstance(t, dict) and "all" in t:
        return t["all"] if isinstance(t["all"], list) and t["all"] else None
    return [t] if isinstance(t, dict) else None


def validate_conditions(doc: dict) -> list[str]:
    """Every problem of a document's ``conditions`` list (empty = valid)."""
    conds = doc.get("conditions")
    if conds is None:
        return []
    if not isinstance(conds, list):
        return ["conditions: must be a list"]
    errors: list[str] = []
    leaves = _leaves(doc)
    band_codes = {b.get("code") for b in doc.get("bands") or [] if isinstance(b, dict)}
    seen: set = set()
    for i, c in enumerate(conds):
        if not isinstance(c, dict):
            errors.append(f"conditions/{i}: a condition must be a mapping")
            continue
        code = c.get("code")
        if not isinstance(code, str) or not code.strip():
            errors.append(f"conditions/{i}: missing code")
            code = f"conditions/{i}"
        elif code in seen:
            errors.append(f"condition {code}: duplicate code")
        seen.add(code)
        if not isinstance(c.get("name"), dict) or not c.get("name"):
            errors.append(f"condition {code}: 'name' must be a mapping of language -> text")
        effect = c.get("effect", "withhold")
        if effect not in EFFECTS:
            errors.append(f"condition {code}: effect must be one of withhold, cap, no_award (got {effect!r})")
        if effect == "cap":
            cb = c.get("cap_band")
            if not isinstance(cb, str) or not cb:
                errors.append(f"condition {code}: effect cap needs 'cap_band' (the highest band allowed)")
            elif band_codes and cb not in band_codes:
                errors.append(f"condition {code}: cap_band {cb!r} is not one of the framework's bands")
        elif c.get("cap_band") is not None:
            errors.append(f"condition {code}: 'cap_band' is only for effect cap")
        tests = _test_list(c.get("test"))
        if tests is None:
            errors.append(f"condition {code}: 'test' must be {{indicator, op, value}} or {{all: [...]}}")
            continue
        for t in tests:
            errors.extend(_validate_test(code, t, leaves))
    return errors


def _validate_test(code: str, t: Any, leaves: dict[str, dict]) -> list[str]:
    if not isinstance(t, dict):
        return [f"condition {code}: each test must be a mapping {{indicator, op, value}}"]
    ind, op, value = t.get("indicator"), t.get("op"), t.get("value")
    if ind not in leaves:
        return [f"condition {code}: test refers to unknown indicator {ind!r}"]
    if op not in TEST_OPS:
        return [f"condition {code}: test on {ind} has unknown op {op!r} (use == != >= <= > <)"]
    node = leaves[ind]
    vt, rk = node.get("value_type"), (node.get("rule") or {}).get("kind")
    if vt == "yes_no" or (vt is None and rk == "yes_no"):
        if op in _ORDERING:
            return [f"condition {code}: {ind} is a yes/no indicator: use == or != (got {op})"]
        if _bool_word(value) is None:
            return [f"condition {code}: test on yes/no indicator {ind} needs value yes or no (got {value!r})"]
    elif vt in _NUMERIC or (vt is None and rk in _NUMERIC_RULES):
        if not _is_num(value):
            return [f"condition {code}: test on numeric indicator {ind} needs a number (got {value!r})"]
    else:
        if op in _ORDERING:
            return [f"condition {code}: {ind} is not numeric: use == or != (got {op})"]
        if value is None or isinstance(value, (dict, list)):
            return [f"condition {code}: test on {ind} needs a value"]
        choices = [ch.get("code") for ch in node.get("choices") or [] if isinstance(ch, dict)]
        if vt == "choice" and str(value) not in choices:
            return [f"condition {code}: {value!r} is not a choice of {ind} ({', '.join(map(str, choices))})"]
    return []


# --------------------------------------------------------------------------- parse / dump

def parse_conditions(raw: Iterable[dict] | None) -> tuple[Condition, ...]:
    out = []
    for c in raw or ():
        t = c["test"]
        several = isinstance(t, dict) and "all" in t
        tests = tuple(ConditionTest(str(x["indicator"]), str(x["op"]), x.get("value"))
                      for x in (t["all"] if several else [t]))
        out.append(Condition(str(c["code"]), dict(c.get("name") or {}), tests, c.get("effect", "withhold"),
                             c.get("cap_band"), several))
    return tuple(out)


def _num(x: Any) -> Any:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def dump_conditions(conds: Iterable[Condition]) -> list[dict]:
    out = []
    for c in conds:
        tests = [{"indicator": t.indicator, "op": t.op, "value": _num(t.value)} for t in c.tests]
        d: dict[str, Any] = {"code": c.code, "name": dict(c.name),
                             "test": {"all": tests} if c.several else tests[0], "effect": c.effect}
        if c.cap_band is not None:
            d["cap_band"] = c.cap_band
        out.append(d)
    return out


# --------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class Effects:
    """What the failed conditions take away: the band (withhold), the bands above a cap, the award."""

    withhold: bool = False
    cap_bands: tuple[str, ...] = ()
    no_award: bool = False
    failed: tuple[ConditionResult, ...] = field(default_factory=tuple)

    @property
    def award_allowed(self) -> bool:
        return not (self.withhold or self.no_award)


def effects(results: Iterable[ConditionResult | Mapping[str, Any]]) -> Effects:
    """The combined effect of condition results (objects, or their ``to_dict`` form from a stored row)."""
    failed = [r if isinstance(r, ConditionResult) else result_from_dict(r) for r in results]
    failed = [r for r in failed if not r.met]
    return Effects(any(r.effect == "withhold" for r in failed),
                   tuple(r.cap_band for r in failed if r.effect == "cap" and r.cap_band),
                   any(r.effect == "no_award" for r in failed), tuple(failed))


def result_from_dict(d: Mapping[str, Any]) -> ConditionResult:
    return ConditionResult(str(d.get("code")), dict(d.get("name") or {}), str(d.get("effect") or "withhold"),
                           d.get("cap_band"), bool(d.get("met")), tuple(d.get("missing") or ()),
                           tuple((f.get("indicator"), f.get("op"), f.get("expected"), f.get("actual"))
                                 for f in d.get("failed") or ()))


def results_explanation(conditions: Iterable[ConditionResult], criteria: tuple[int, int, tuple[str, ...]] | None) -> dict:
    """The explanation's ``conditions`` and ``criteria`` keys (the same in the per-entry and campaign paths)."""
    out: dict[str, Any] = {"conditions": [c.to_dict() for c in conditions]}
    if criteria is not None:
        out["criteria"] = {"met": criteria[0], "of": criteria[1], "not_met": list(criteria[2])}
    return out


def band_note(conditions: Iterable[ConditionResult], criteria: tuple[int, int, tuple[str, ...]] | None,
              not_assessed: Iterable[str] = ()) -> dict | None:
    """What a result row keeps for its band's reason (``UnitResult.band_note``): the failed conditions,
    the count of criteria met and the parts not assessed (rescaled: no floor applies to them); None when
    there is nothing to say."""
    failed = [c.to_dict() for c in conditions if not c.met]
    out: dict[str, Any] = {}
    if failed:
        out["conditions"] = failed
    if not_assessed:
        out["not_assessed"] = list(not_assessed)
    if criteria is not None:
        out["criteria_met"], out["criteria"] = criteria[0], criteria[1]
    return out or None


__all__ = ["band_note", "results_explanation", "Condition", "ConditionTest", "ConditionResult", "Effects", "EFFECTS",
           "TEST_OPS", "dump_conditions", "effects", "parse_conditions", "result_from_dict", "validate_conditions"]
