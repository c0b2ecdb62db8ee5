"""Rule parameters that depend on the unit: per unit kind or per region tables.

``target: {by: unit_kind, table: {ward: 95, commune: 90}, default: 90}`` or
``target: {by: region, table: {dbscl: 70, tdmnpb: 55}, default: 60}`` with the framework's
top-level ``regions: {code: {name: {vi, en}, provinces: ["01", "79", …]}}``. The engine takes
the unit's attributes as a :class:`UnitContext`; a unit the table does not list (or no
context at all) gets ``default``. Which value applied, and why, is returned as a note for
the explanation ("ward: 95").
"""
from __future__ import annotations

from dataclasses import dataclass, field

TABLE_BY = ("unit_kind", "region")
TABLE_PARAMS = ("target", "floor")  # rule parameters that may be a table


@dataclass(frozen=True)
class UnitContext:
    """What a unit-dependent threshold reads about a unit: its kind and its province's GSO code."""

    kind: str | None = None
    province_code: str | None = None


@dataclass(frozen=True)
class Region:
    code: str
    name: dict = field(default_factory=dict)
    provinces: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParamTable:
    """A rule parameter's table: ``by`` unit_kind or region, ``table`` key -> value, ``default``."""

    param: str
    by: str
    table: tuple[tuple[str, float], ...]
    default: float


@dataclass(frozen=True)
class ParamNote:
    """Which value of a table applied: ``key`` is the unit kind / region code (None = default)."""

    param: str
    by: str
    key: str | None
    value: float


def region_of(unit: UnitContext | None, regions: tuple[Region, ...]) -> str | None:
    if unit is None or not unit.province_code:
        return None
    for r in regions:
        if unit.province_code in r.provinces:
            return r.code
    return None


def lookup(t: ParamTable, unit: UnitContext | None, regions: tuple[Region, ...]) -> ParamNote:
    """The value of ``t`` for ``unit`` (``default`` when the unit's key is not in the table)."""
    key = (unit.kind if unit is not None else None) if t.by == "unit_kind" else region_of(unit, regions)
    for k, v in t.table:
        if k == key:
            return ParamNote(t.param, t.by, key, v)
    return ParamNote(t.param, t.by, None, t.default)


def dump_table(t: ParamTable) -> dict:
    def n(x: float) -> int | float:
        return int(x) if float(x).is_integer() else x

    return {"by": t.by, "table": {k: n(v) for k, v in t.table}, "default": n(t.default)}
