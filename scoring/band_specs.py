"""Bands as declared: in a framework's top-level ``bands`` list and in a campaign's settings.

One shape for both (``docs/framework-format.md``, "Bands and floors")::

    {code: xuat_sac, label: {vi, en}, min_total: 90, floor_pct: 85,
     floors: {"I": 85, "II": 80}, min_criteria_met: 9}

``floors`` (per top-level regular group) replaces every other floor of that group for this band;
``min_criteria_met`` counts criteria met (:func:`scoring.conditions.criteria_met`). A framework's
bands become a new campaign's bands (``flask create-campaign``); once the campaign exists its
settings are the source of truth. Pure.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from .ranking import Band

BAND_KEYS = ("code", "label", "min_total", "floor_pct", "floors", "min_criteria_met")


def _is_num(x: Any) -> TypeGuard[float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _n(x: Any) -> Any:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def validate_bands(bands: Any, scale: Any, group_codes: set[str] | None, criteria: int | None = None) -> list[str]:
    """Every problem of a ``bands`` list (empty = valid). ``group_codes``: top-level regular groups
    (None: not checked); ``criteria``: how many criteria the framework counts (None: not checked)."""
    if bands is None:
        return []
    if not isinstance(bands, list) or not bands:
        return ["bands: must be a non-empty list"]
    errors: list[str] = []
    codes: set = set()
    mins: set = set()
    for i, b in enumerate(bands):
        if not isinstance(b, dict):
            errors.append(f"bands/{i}: a band must be a mapping")
            continue
        code = b.get("code")
        if not isinstance(code, str) or not code.strip():
            errors.append(f"bands/{i}: missing code")
            code = f"bands/{i}"
        elif code in codes:
            errors.append(f"band {code}: duplicate code")
        codes.add(code)
        unknown = sorted(set(b) - set(BAND_KEYS))
        if unknown:
            errors.append(f"band {code}: unknown keys {', '.join(unknown)}")
        if b.get("label") is not None and not isinstance(b.get("label"), dict):
            errors.append(f"band {code}: 'label' must be a mapping of language -> text")
        mt = b.get("min_total")
        if not _is_num(mt) or mt < 0 or (_is_num(scale) and mt > scale * 2):
            errors.append(f"band {code}: 'min_total' must be a number from 0 to twice the scale")
        elif mt in mins:
            errors.append(f"band {code}: another band has the same min_total {mt:g}")
        else:
            mins.add(mt)
        fp = b.get("floor_pct")
        if fp is not None and (not _is_num(fp) or not 0 <= fp <= 100):
            errors.append(f"band {code}: 'floor_pct' must be within 0..100")
        floors = b.get("floors")
        if floors is not None:
            if not isinstance(floors, dict):
                errors.append(f"band {code}: 'floors' must map group codes to percentages")
            else:
                for g, f in floors.items():
                    if group_codes is not None and g not in group_codes:
                        errors.append(f"band {code}: floors names {g!r}, not a top-level regular group")
                    if not _is_num(f) or not 0 <= f <= 100:
                        errors.append(f"band {code}: floor of group {g} must be within 0..100")
        mc = b.get("min_criteria_met")
        if mc is not None:
            if not isinstance(mc, int) or isinstance(mc, bool) or mc < 1:
                errors.append(f"band {code}: 'min_criteria_met' must be a whole number ≥ 1")
            elif criteria is not None and mc > criteria:
                errors.append(f"band {code}: min_criteria_met {mc} is more than the {criteria} criteria counted")
    return errors


def normalise(b: Mapping[str, Any]) -> dict:
    """A band in the normalised form (keys in ``BAND_KEYS`` order, empty ones dropped, integral floats as ints)."""
    out: dict[str, Any] = {}
    for k in BAND_KEYS:
        v = b.get(k)
        if v is None or v == {} or v is False:
            continue
        if k == "floors":
            v = {str(g): _n(f) for g, f in v.items()}
        elif k == "label":
            v = dict(v)
        out[k] = _n(v)
    return out


def engine_bands(bands: Iterable[Mapping[str, Any]] | None) -> list[Band]:
    """Band dicts (settings or framework) as :class:`scoring.ranking.Band` (malformed entries skipped)."""
    out = []
    for b in bands or []:
        if not isinstance(b, Mapping) or not b.get("code"):
            continue
        try:
            low = float(b["min_total"])
        except (KeyError, TypeError, ValueError):
            continue
        fp = b.get("floor_pct")
        raw_floors = b.get("floors")
        floors: Mapping = raw_floors if isinstance(raw_floors, Mapping) else {}
        mc = b.get("min_criteria_met")
        out.append(Band(str(b["code"]), low, None if fp is None or fp == "" else float(fp),
                        {str(g): float(f) for g, f in floors.items()},
                        int(mc) if isinstance(mc, (int, float)) and not isinstance(mc, bool) else None))
    return out


__all__ = ["BAND_KEYS", "engine_bands", "normalise", "validate_bands"]
