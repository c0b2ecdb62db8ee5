"""Validation of the value constructs of a framework: computed indicators, unit-dependent parameters, regions.

Called by :func:`scoring.framework_check.validate_framework` after the structural checks;
every problem is one readable message naming the code. Never imports ``scoring.framework``.
"""
from __future__ import annotations

import math
from typing import Any

from .expressions import ExprError, parse_expr, references
from .unit_params import TABLE_BY, TABLE_PARAMS

NUMERIC_VALUE_TYPES = ("number", "percentage", "count")
NUMERIC_RULE_KINDS = ("target", "linear", "banded", "count", "bonus", "penalty", "manual", "info")


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _nodes(doc: dict) -> list[dict]:
    out: list[dict] = []

    def visit(n: Any) -> None:
        if isinstance(n, dict):
            out.append(n)
            for c in n.get("children") or []:
                visit(c)

    for g in doc.get("groups") or []:
        visit(g)
    return out


def _regions(doc: dict, errors: list[str]) -> set[str]:
    regions = doc.get("regions")
    if regions is None:
        return set()
    if not isinstance(regions, dict):
        errors.append("framework: 'regions' must be a mapping of region code -> {name, provinces}")
        return set()
    owner: dict[str, str] = {}
    for code, r in regions.items():
        if not isinstance(r, dict) or not isinstance(r.get("provinces"), list) or not r["provinces"]:
            errors.append(f"region {code}: needs a non-empty 'provinces' list of province GSO codes")
            continue
        if "name" in r and not isinstance(r["name"], dict):
            errors.append(f"region {code}: 'name' must be a mapping of language -> text")
        for p in r["provinces"]:
            if not isinstance(p, str) or not p.strip():
                errors.append(f"region {code}: province codes must be text, e.g. \"01\" (got {p!r})")
            elif p in owner:
                errors.append(f"region {code}: province {p} is already in region {owner[p]}")
            else:
                owner[p] = str(code)
    return {str(c) for c in regions}


def _table_values(code: str, key: str, v: dict, regions: set[str], errors: list[str]) -> dict[str | None, float]:
    """Check one parameter table; its values by key (None = default), empty when malformed."""
    by = v.get("by")
    ok = True
    if by not in TABLE_BY:
        errors.append(f"{code}: rule '{key}' table needs 'by: unit_kind' or 'by: region' (got {by!r})")
        ok = False
    table = v.get("table")
    if not isinstance(table, dict) or not table:
        errors.append(f"{code}: rule '{key}' table needs a non-empty 'table' mapping")
        return {}
    if not _is_num(v.get("default")):
        errors.append(f"{code}: rule '{key}' table needs a numeric 'default' (for units the table does not list)")
        ok = False
    out: dict[str | None, float] = {None: float(v["default"])} if _is_num(v.get("default")) else {}
    for k, x in table.items():
        if not _is_num(x):
            errors.append(f"{code}: rule '{key}' table value for {k!r} must be a number")
            ok = False
        else:
            out[str(k)] = float(x)
        if by == "region" and str(k) not in regions:
            errors.append(f"{code}: rule '{key}' table names region {k!r}, which the framework's 'regions' do not declare")
    unknown = set(v) - {"by", "table", "default"}
    if unknown:
        errors.append(f"{code}: rule '{key}' table has unknown keys {sorted(unknown)}")
    return out if ok else {}


def _check_tables(code: str, rule: dict, regions: set[str], errors: list[str]) -> None:
    rk = rule.get("kind")
    tables = {k: rule[k] for k in TABLE_PARAMS if isinstance(rule.get(k), dict)}
    for k in rule:
        if isinstance(rule[k], dict) and k not in TABLE_PARAMS:
            errors.append(f"{code}: rule parameter '{k}' cannot be a table (only {', '.join(TABLE_PARAMS)})")
    if not tables:
        return
    if rk not in ("target", "linear"):
        errors.append(f"{code}: a unit-dependent table is only allowed for the target and linear rules")
        return
    by_param = {k: _table_values(code, k, v, regions, errors) for k, v in tables.items()}
    if rk != "linear" or any(not v for v in by_param.values()):
        return
    plain: dict[str, dict[str | None, float]] = {
        k: {None: float(rule[k])} for k in ("floor", "target") if k not in by_param and _is_num(rule.get(k))}
    floors = by_param.get("floor") or plain.get("floor") or {}
    targets = by_param.get("target") or plain.get("target") or {}
    direction = rule.get("direction", "higher")
    for key in set(floors) | set(targets):
        f = floors.get(key, floors.get(None))
        t = targets.get(key, targets.get(None))
        if f is None or t is None:
            continue
        bad = f == t or (direction == "higher" and f > t) or (direction == "lower" and f < t)
        if bad:
            errors.append(f"{code}: linear rule floor {f:g} and target {t:g} for {key or 'default'} are not in the "
                          f"order of direction {direction}")


def _numeric_input(n: dict) -> bool:
    vt = n.get("value_type")
    if vt is not None:
        return vt in NUMERIC_VALUE_TYPES
    rule = n.get("rule")
    return isinstance(rule, dict) and rule.get("kind") in NUMERIC_RULE_KINDS


def validate_value_constructs(doc: dict, errors: list[str]) -> None:
    """Append every problem with computed indicators, parameter tables and regions to ``errors``."""
    regions = _regions(doc, errors)
    nodes = _nodes(doc)
    by_code = {n["code"]: n for n in nodes if isinstance(n.get("code"), str)}
    deps: dict[str, tuple[str, ...]] = {}
    for n in nodes:
        code = n.get("code")
        rule = n.get("rule")
        if isinstance(rule, dict):
            _check_tables(str(code), rule, regions, errors)
        if "compute" not in n:
            continue
        c = n["compute"]
        if not isinstance(c, dict) or not isinstance(c.get("expr"), str):
            errors.append(f"{code}: compute must be a mapping with an 'expr' text, e.g. {{expr: \"[A] / [B] * 100\"}}")
            continue
        unknown = set(c) - {"expr", "if_zero"}
        if unknown:
            errors.append(f"{code}: compute has unknown keys {sorted(unknown)} (allowed: expr, if_zero)")
        if "if_zero" in c and c["if_zero"] is not None and not _is_num(c["if_zero"]):
            errors.append(f"{code}: compute 'if_zero' must be a number")
        if n.get("children") or not isinstance(rule, dict):
            errors.append(f"{code}: only an indicator (a node with a rule) can be computed")
        elif rule.get("kind") not in NUMERIC_RULE_KINDS:
            errors.append(f"{code}: a computed indicator needs a rule that scores a number (target, linear, banded, "
                          f"count, bonus, penalty or manual), not {rule.get('kind')!r}")
        if n.get("value_type") is not None and n["value_type"] not in NUMERIC_VALUE_TYPES:
            errors.append(f"{code}: a computed indicator's value_type must be number, percentage or count")
        if n.get("na_allowed"):
            errors.append(f"{code}: a computed indicator cannot be marked not applicable itself; "
                          "put na_allowed on its criterion")
        try:
            tree = parse_expr(c["expr"])
        except ExprError as exc:
            errors.append(f"{code}: compute expression {c['expr']!r}: {exc}")
            continue
        refs = references(tree)
        deps[str(code)] = refs
        for r in refs:
            other = by_code.get(r)
            if r == code:
                errors.append(f"{code}: compute expression refers to the indicator itself")
            elif other is None:
                errors.append(f"{code}: compute expression refers to unknown code [{r}]")
            elif other.get("children") or other.get("rule") is None:
                errors.append(f"{code}: compute expression refers to [{r}], which is not an indicator")
            elif "compute" not in other and not _numeric_input(other):
                errors.append(f"{code}: compute expression refers to [{r}], which is not numeric "
                              f"(value_type {other.get('value_type')!r})")
    _cycles(deps, errors)


def _cycles(deps: dict[str, tuple[str, ...]], errors: list[str]) -> None:
    state: dict[str, int] = {}
    reported: set[frozenset] = set()

    def visit(c: str, path: list[str]) -> None:
        state[c] = 1
        for r in deps.get(c, ()):
            if r == c or r not in deps:
                continue
            if state.get(r) == 1:
                cycle = path[path.index(r):] + [r] if r in path else [c, r]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    errors.append("computed indicators refer to each other in a cycle: " + " -> ".join(cycle))
            elif state.get(r) is None:
                visit(r, path + [r])
        state[c] = 2

    for c in deps:
        if state.get(c) is None:
            visit(c, [c])
