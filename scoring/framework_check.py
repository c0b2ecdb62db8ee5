"""Validation of framework documents: every structural problem as a readable message.

Kept apart from parsing so each new construct's checks live next to each other and
``scoring.framework`` stays a small data model. Never imports ``scoring.framework``.
"""
from __future__ import annotations

import math
import re
from typing import Any, TypeGuard

from .framework_values_check import validate_value_constructs
from .unit_params import TABLE_PARAMS

FORMAT_ID = "thidua-framework/1"
KINDS = ("regular", "bonus", "penalty")
VALUE_TYPES = ("number", "percentage", "yes_no", "choice", "count", "date", "text", "file_only")
RULE_KINDS = ("target", "linear", "banded", "yes_no", "count", "judged", "bonus", "penalty", "manual", "info")
DIRECTIONS = ("higher", "lower")
CHECK_OPS = ("<", "<=", ">", ">=", "==", "!=")
RESERVED_CODES = ("TOTAL",)
_SLUG = re.compile(r"^[a-z0-9-]+$")

_NUMERIC_TYPES = ("number", "percentage", "count")
# value_type -> rule kinds it can feed; None (unspecified value_type) accepts any rule.
COMPATIBLE_RULES: dict[str, tuple[str, ...]] = {
    "number": ("target", "linear", "banded", "count", "bonus", "penalty", "manual", "info"),
    "percentage": ("target", "linear", "banded", "manual", "info"),
    "count": ("target", "linear", "banded", "count", "bonus", "penalty", "manual", "info"),
    "yes_no": ("yes_no",),
    "choice": ("judged",),
    "date": ("judged",),
    "text": ("judged",),
    "file_only": ("judged",),
}


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
        if isinstance(v, dict) and key in TABLE_PARAMS:  # unit-dependent: checked in framework_values_check
            v = v.get("default")
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

    if rk == "info" and mp is not None and mp != 0:
        errors.append(f"{code}: an info rule (information only) needs max_points 0")
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
    assumptions = doc.get("assumptions") or []
    if not isinstance(assumptions, list):
        errors.append("framework: 'assumptions' must be a list")
        assumptions = []
    for i, item in enumerate(assumptions):
        if isinstance(item, dict):
            if not item or set(item) - {"vi", "en"} or not all(isinstance(v, str) and v.strip() for v in item.values()):
                errors.append(f"framework: assumption {i + 1} must be a text or a mapping {{vi, en}} of non-empty texts")
        elif not isinstance(item, str) or not item.strip():
            errors.append(f"framework: assumption {i + 1} must be a text or a mapping {{vi, en}} of non-empty texts")
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
        _check_results_keys(c, n, kind or "regular", is_group, errors)  # criterion, met_pct, rescale, stacking
        vt = n.get("value_type")
        if vt is not None and vt not in VALUE_TYPES:
            errors.append(f"{c}: unknown value_type {vt!r}")
        unit = n.get("unit")
        if unit is not None and not (isinstance(unit, str) or (
                isinstance(unit, dict) and unit.get("vi") and all(isinstance(x, str) for x in unit.values()))):
            errors.append(f"{c}: unit must be a text or a {{vi, en}} mapping")
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

    errors.extend(_check_results_top(doc, groups))  # conditions, bands (issue 16, Q)
    indicator_codes = set(seen)
    for c, ck in checks:
        if not isinstance(ck, dict):
            errors.append(f"{c}: check must be a mapping")
            continue
        if ck.get("op") not in CHECK_OPS:
            errors.append(f"{c}: check has unknown op {ck.get('op')!r}")
        if ck.get("other") not in indicator_codes:
            errors.append(f"{c}: check refers to unknown code {ck.get('other')!r}")
    validate_value_constructs(doc, errors)  # computed indicators, unit-dependent parameters, regions (P)
    return errors


# --------------------------------------------------------------------------- results constructs (issue 16, Q)

def _check_results_keys(c: str, n: dict, kind: str, is_group: bool, errors: list[str]) -> None:
    """A node's criterion / met_pct / rescale / stacking."""
    if "criterion" in n and not isinstance(n["criterion"], bool):
        errors.append(f"{c}: criterion must be true or false")
    if n.get("criterion") and kind != "regular":
        errors.append(f"{c}: only regular nodes can be criteria (criterion: true)")
    if n.get("criterion") and n.get("rule") is not None:
        errors.append(f"{c}: criterion: true is for a group or criterion with children, not an indicator")
    mp = n.get("met_pct")
    if mp is not None and (not _is_num(mp) or not 0 < mp <= 100):
        errors.append(f"{c}: met_pct must be within 0..100 (greater than 0)")
    if n.get("rescale"):
        if n.get("rescale") is not True:
            errors.append(f"{c}: rescale must be true or false")
        elif not n.get("na_allowed"):
            errors.append(f"{c}: rescale needs na_allowed: true (the part a unit may mark not assessed)")
        elif kind != "regular":
            errors.append(f"{c}: rescale is only for regular nodes (not {kind})")
    st = n.get("stacking")
    if st is not None:
        if not is_group or kind != "bonus":
            errors.append(f"{c}: stacking is only for bonus groups")
        elif st not in ("sum", "max"):
            errors.append(f"{c}: stacking must be 'sum' or 'max' (got {st!r})")
        elif st == "max" and any(not isinstance(ch, dict) or ch.get("rule") is None for ch in n.get("children") or []):
            errors.append(f"{c}: stacking max needs bonus items (indicators) directly under the group")


def _check_results_top(doc: dict, groups: list) -> list[str]:
    """The top-level ``conditions`` and ``bands`` lists, and the scale a rescaled part leaves."""
    from .band_specs import validate_bands
    from .conditions import validate_conditions

    regular = {str(g.get("code")) for g in groups if isinstance(g, dict) and g.get("kind", "regular") == "regular"}
    marked = 0

    def count(n: Any) -> None:
        nonlocal marked
        if isinstance(n, dict):
            marked += bool(n.get("criterion"))
            for ch in n.get("children") or []:
                count(ch)

    for g in groups:
        count(g)
    out = _check_rescale(groups, doc.get("scale"))
    out += validate_bands(doc.get("bands"), doc.get("scale"), regular, marked or len(regular))
    out += validate_conditions(doc)
    return out


def _check_rescale(groups: list, scale: Any) -> list[str]:
    """Rescale parts are not nested, and together leave part of the scale."""
    errors: list[str] = []
    total = 0.0

    def visit(n: Any, inside: str | None) -> None:
        nonlocal total
        if not isinstance(n, dict):
            return
        here = inside
        if n.get("rescale") is True:
            if inside is not None:
                errors.append(f"{n.get('code')}: rescale inside {inside}, which rescales already")
            elif _is_num(n.get("max_points")):
                total += n["max_points"]
            here = inside or str(n.get("code"))
        for ch in n.get("children") or []:
            visit(ch, here)

    for g in groups:
        visit(g, None)
    if _is_num(scale) and total and total >= scale:
        errors.append(f"framework: the rescale parts ({total:g} points) leave nothing of the scale ({scale:g})")
    return errors
