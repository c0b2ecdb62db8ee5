"""A published band's reason in words, next to wherever the band is shown.

The structured reason comes from :mod:`scoring.band_reasons` (the engine's own ``classify``);
this module only feeds it a result row as published (total, group points, the campaign's bands
and the framework's group maxima and floors) and words it in the current language with the
locale's number format: "882,65 ≥ 855 (Hoàn thành xuất sắc nhiệm vụ), nhưng nhóm III (…) chỉ
đạt 61 % điểm tối đa, dưới mức sàn 85 %".
"""
from __future__ import annotations

import math
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from scoring.band_reasons import BandCheck, BandReason, explain, group_percentages
from scoring.ranking import Band

from .labels import band_label
from .templating import number


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def campaign_bands(bands: list[dict]) -> list[Band]:
    """The campaign's band settings as the engine reads them (malformed entries are skipped)."""
    out = []
    for b in bands or []:
        low = _float(b.get("min_total")) if isinstance(b, dict) else None
        if low is None or not b.get("code"):
            continue
        out.append(Band(str(b["code"]), low, _float(b.get("floor_pct"))))
    return out


def row_reason(row: dict, bands: list[dict], groups: list[dict]) -> BandReason | None:
    """The reason of a published row's band; None when the campaign has no bands or the unit was not ranked.

    ``groups``: the framework's top-level groups as the public directory lists them (code, kind,
    max_points, floor_pct).
    """
    engine_bands = campaign_bands(bands)
    if not engine_bands or row.get("total") is None or row.get("status") == "not_submitted":
        return None
    pcts = {}
    if any(b.floor_pct is not None for b in engine_bands):  # as the recompute: pcts only matter for floors
        pcts = group_percentages(row.get("group_scores") or {},
                                 [(g["code"], g.get("kind") or "regular", _float(g.get("max_points"))) for g in groups])
    floors = {g["code"]: f for g in groups if (f := _float(g.get("floor_pct"))) is not None}
    return explain(float(row["total"]), pcts, engine_bands, floors)


def pct(value: float, *, down: bool = False) -> str:
    """A percentage in the current locale ("61 %", "61,35 %" in Vietnamese; "61.35%" in English).

    ``down``: truncate instead of rounding, so a share under its floor (69,999 % under 70 %) never
    reads as the floor itself.
    """
    if down:
        value = math.floor(value * 100 + 1e-9) / 100
    text = format_decimal(value, format="#,##0.##")
    return _("%(value)s %%", value=text).replace(" %", "\u00a0%")  # never "61" and "%" on two lines


def _group_name(code: str, groups: list[dict], locale: str, short: bool = False) -> str:
    if short:
        return code
    g = next((g for g in groups if g["code"] == code), None)
    name = (g.get("name_en") if locale == "en" and g and g.get("name_en") else (g or {}).get("name")) or ""
    return f"{code} ({name})" if name and name != code else code


def _floor_parts(check: BandCheck, groups: list[dict], locale: str, short: bool) -> str:
    return "; ".join(_("nhóm %(group)s đạt %(pct)s điểm tối đa, dưới mức sàn %(floor)s",
                       group=_group_name(f.group, groups, locale, short), pct=pct(f.pct, down=True), floor=pct(f.floor))
                     for f in check.failed_floors)


def describe(reason: BandReason | None, bands: list[dict], groups: list[dict], locale: str,
             short: bool = False) -> list[str]:
    """The reason as sentences, most telling first (empty when there is nothing to explain).

    ``short``: name groups by code only (a table cell); the unit page gives their names too.
    """
    if reason is None:
        return []
    total = number(reason.total)
    lines = []
    for check in reason.floor_blocked:  # the surprising case first: enough points, a group under its floor
        lines.append(_("%(total)s ≥ %(min)s (%(band)s), nhưng %(why)s", total=total, min=number(check.min_total),
                       band=band_label(check.code, locale, bands), why=_floor_parts(check, groups, locale, short)))
    if reason.reached is not None and (reason.reached.min_total > 0 or reason.reached.floor_pct is not None):
        name = band_label(reason.reached.code, locale, bands)
        low = number(reason.reached.min_total)
        if short:  # next to the band's badge: the band's name is already there
            lines.append(_("%(total)s ≥ %(min)s và mọi nhóm tiêu chí đạt mức sàn", total=total, min=low)
                         if reason.reached.floor_pct is not None else _("%(total)s ≥ %(min)s", total=total, min=low))
        elif reason.reached.floor_pct is not None:
            lines.append(_("%(total)s ≥ %(min)s (%(band)s) và mọi nhóm tiêu chí đạt mức sàn", band=name, total=total,
                           min=low))
        else:
            lines.append(_("%(total)s ≥ %(min)s (%(band)s)", band=name, total=total, min=low))
    elif reason.reached is None and not reason.floor_blocked:
        lines.append(_("%(total)s chưa đạt mức xếp loại thấp nhất", total=total))
    below = [m for m in reason.missed if not m.total_ok]
    if below:  # the nearest band the total did not reach
        nearest = below[-1]
        lines.append(_("%(total)s < %(min)s cần cho mức %(band)s", total=total, min=number(nearest.min_total),
                       band=band_label(nearest.code, locale, bands)))
    return lines


def floor_legend(bands: list[dict], groups: list[dict], locale: str) -> list[str]:
    """The rules behind the legend: each band's minimum and group floor, and groups' own floors."""
    lines = []
    for b in sorted(campaign_bands(bands), key=lambda b: b.min_total, reverse=True):
        name = band_label(b.code, locale, bands)
        if b.floor_pct is None:
            lines.append(_("%(band)s: từ %(min)s điểm", band=name, min=number(b.min_total)))
        else:
            lines.append(_("%(band)s: từ %(min)s điểm và mỗi nhóm tiêu chí đạt ít nhất %(floor)s điểm tối đa của nhóm",
                           band=name, min=number(b.min_total), floor=pct(b.floor_pct)))
    own = [(g["code"], f) for g in groups if (f := _float(g.get("floor_pct"))) is not None]
    if own and any(b.floor_pct is not None for b in campaign_bands(bands)):
        lines.append(_("Mức sàn riêng thay cho mức sàn của xếp loại: %(floors)s",
                       floors=", ".join(f"{_group_name(code, groups, locale)} {pct(f)}" for code, f in own)))
    return lines


def structured(reason: BandReason | None) -> dict | None:
    """JSON form for the API: the band, and each higher band missed with its failed floors."""
    if reason is None:
        return None
    return {"band": reason.band,
            "missed": [{"band": m.code, "min_total": m.min_total, "total_reached": m.total_ok,
                        "failed_floors": [{"group": f.group, "pct": f.pct, "floor_pct": f.floor}
                                          for f in m.failed_floors]} for m in reason.missed]}
