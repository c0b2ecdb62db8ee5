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

from flask_babel import gettext as _

from scoring.band_reasons import BandCheck, BandReason, explain, group_percentages
from scoring.band_specs import engine_bands
from scoring.ranking import Band

from .labels import band_label
from .templating import number, percent


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def campaign_bands(bands: list[dict]) -> list[Band]:
    """The campaign's band settings as the engine reads them (malformed entries are skipped)."""
    return engine_bands(bands)


def row_reason(row: dict, bands: list[dict], groups: list[dict]) -> BandReason | None:
    """The reason of a published row's band; None when the campaign has no bands or the unit was not ranked.

    ``groups``: the framework's top-level groups as the public directory lists them (code, kind,
    max_points, floor_pct).
    """
    engine_bands = campaign_bands(bands)
    if not engine_bands or row.get("total") is None or row.get("status") == "not_submitted":
        return None
    note = row.get("band_note") or {}  # failed conditions, criteria met, parts not assessed: as the recompute stored them
    pcts = {}
    if any(b.has_floors for b in engine_bands):  # as the recompute: pcts only matter for floors
        skip = set(note.get("not_assessed") or ())
        pcts = group_percentages({g: v for g, v in (row.get("group_scores") or {}).items() if g not in skip},
                                 [(g["code"], g.get("kind") or "regular", _float(g.get("max_points"))) for g in groups])
    floors = {g["code"]: f for g in groups if (f := _float(g.get("floor_pct"))) is not None}
    criteria = (int(note["criteria_met"]), int(note["criteria"])) if note.get("criteria") is not None else None
    return explain(float(row["total"]), pcts, engine_bands, floors, criteria, note.get("conditions") or ())


def pct(value: float, *, down: bool = False) -> str:
    """A percentage in the pages' one form, one decimal ("61,0 %" in Vietnamese; "61.0%" in English), as the
    unit page's table and the overview show them.

    ``down``: truncate instead of rounding, so a share under its floor (69,99 % under 70 %) never
    reads as the floor itself ("69,9 %").
    """
    if down:
        value = math.floor(value * 10 + 1e-9) / 10
    return percent(value, 1).replace(" %", "\u00a0%")  # never "61" and "%" on two lines


def _group_name(code: str, groups: list[dict], locale: str, short: bool = False) -> str:
    if short:
        return code
    g = next((g for g in groups if g["code"] == code), None)
    name = (g.get("name_en") if locale == "en" and g and g.get("name_en") else (g or {}).get("name")) or ""
    return f"{code} ({name})" if name and name != code else code


def _floor_parts(check: BandCheck, groups: list[dict], locale: str, short: bool, reason: BandReason | None = None) -> str:
    parts = [_("nhóm %(group)s đạt %(pct)s điểm tối đa, dưới mức sàn %(floor)s",
               group=_group_name(f.group, groups, locale, short), pct=pct(f.pct, down=True), floor=pct(f.floor))
             for f in check.failed_floors]
    if check.criteria_needed is not None and reason is not None and reason.criteria_met is not None:
        parts.append(_("chỉ %(met)s/%(of)s tiêu chí đạt, cần %(need)s", met=reason.criteria_met,
                       of=reason.criteria_of, need=check.criteria_needed))
    return "; ".join(parts)


def condition_lines(reason: BandReason | None, bands: list[dict], locale: str) -> list[str]:
    """Each failed condition with what it takes away: "Không được công nhận: chưa đạt điều kiện DK1 – …"."""
    if reason is None:
        return []
    lines = []
    for c in reason.conditions.failed:
        name = (c.name.get(locale) or c.name.get("vi") or "") if isinstance(c.name, dict) else ""
        what = f"{c.code} – {name}" if name else c.code
        if c.missing:
            what = _("%(condition)s (chưa có giá trị của chỉ tiêu %(codes)s)", condition=what, codes=", ".join(c.missing))
        if c.effect == "cap":
            lines.append(_("Xếp loại tối đa %(band)s: chưa đạt điều kiện %(condition)s",
                           band=band_label(c.cap_band, locale, bands), condition=what))
        elif c.effect == "no_award":
            lines.append(_("Không được đề nghị khen thưởng: chưa đạt điều kiện %(condition)s", condition=what))
        else:
            lines.append(_("Không được công nhận: chưa đạt điều kiện %(condition)s", condition=what))
    return lines


def describe(reason: BandReason | None, bands: list[dict], groups: list[dict], locale: str,
             short: bool = False) -> list[str]:
    """The reason as sentences (empty when there is nothing to explain): the band got and why, then what was missed.

    ``short``: name groups by code only (a table cell); the unit page gives their names too.
    """
    if reason is None:
        return []
    total = number(reason.total)
    lines = condition_lines(reason, bands, locale)  # a failed condition outweighs every figure
    if reason.conditions.withhold:
        return lines + [_("Điểm vẫn được giữ nguyên: %(total)s", total=total)]
    # A band without a minimum total (a ward standard: every criterion met) never reads "≥ 0,00".
    blocked = [_("%(total)s ≥ %(min)s (%(band)s), nhưng %(why)s", total=total, min=number(check.min_total),
                 band=band_label(check.code, locale, bands), why=_floor_parts(check, groups, locale, short, reason))
               if check.min_total > 0 else
               _("«%(band)s» không yêu cầu điểm tối thiểu, nhưng %(why)s", band=band_label(check.code, locale, bands),
                 why=_floor_parts(check, groups, locale, short, reason))
               for check in reason.floor_blocked if not check.blocked_by_condition]
    got: list[str] = []  # the band the unit got and why
    if reason.reached is not None and (reason.reached.min_total > 0 or reason.reached.has_floors):
        name = band_label(reason.reached.code, locale, bands)
        low = number(reason.reached.min_total)
        if reason.reached.min_total <= 0:  # floors only: what was reached is the floors, not "≥ 0,00"
            got.append(_("Mọi nhóm tiêu chí đạt mức sàn") if short else
                       _("Mọi nhóm tiêu chí đạt mức sàn (%(band)s không yêu cầu điểm tối thiểu)", band=name))
        elif short:  # next to the band's badge: the band's name is already there
            got.append(_("%(total)s ≥ %(min)s và mọi nhóm tiêu chí đạt mức sàn", total=total, min=low)
                       if reason.reached.has_floors else _("%(total)s ≥ %(min)s", total=total, min=low))
        elif reason.reached.has_floors:
            # "of this band": the next line may name a higher band whose floor a group missed (walk finding)
            got.append(_("%(total)s ≥ %(min)s (%(band)s) và mọi nhóm tiêu chí đạt mức sàn của mức này", band=name,
                         total=total, min=low))
        else:
            got.append(_("%(total)s ≥ %(min)s (%(band)s)", band=name, total=total, min=low))
    elif reason.reached is None and not reason.floor_blocked and not reason.conditions.cap_bands:
        got.append(_("%(total)s chưa đạt mức xếp loại thấp nhất", total=total))
    if reason.criteria_met is not None and reason.criteria_of and any(
            b.get("min_criteria_met") for b in bands if isinstance(b, dict)):
        got.append(_("Đạt %(met)s/%(of)s tiêu chí", met=reason.criteria_met, of=reason.criteria_of))
    below = [m for m in reason.missed if not m.total_ok]
    above = [_("%(total)s < %(min)s cần cho mức %(band)s", total=total, min=number(below[-1].min_total),
               band=band_label(below[-1].code, locale, bands))] if below else []  # the nearest band the total missed
    if short:  # one line fits beside the badge: the surprise (enough points, a floor missed) first
        return lines + blocked + got + above
    # the full list reads as a person explains it: the band got and why, then the bands above it that were
    # missed, the nearest first (a floor missed with enough points, then the points lacking for the next)
    return lines + got + blocked[::-1] + above


def floor_legend(bands: list[dict], groups: list[dict], locale: str) -> list[str]:
    """The rules behind the legend: each band's minimum and group floor, and groups' own floors."""
    lines = []
    for b in sorted(campaign_bands(bands), key=lambda b: b.min_total, reverse=True):
        name = band_label(b.code, locale, bands)
        floor = b.floor_pct if b.floor_pct else None  # a floor of 0 % asks nothing: not "ít nhất 0,0 %"
        if b.min_total <= 0:  # no minimum total (a ward standard): its floors or criteria say it all
            line = _("%(band)s: không yêu cầu điểm tối thiểu", band=name)
            if floor is not None:
                line += "; " + _("mỗi nhóm tiêu chí đạt ít nhất %(floor)s điểm tối đa của nhóm", floor=pct(floor))
        elif floor is None:
            line = _("%(band)s: từ %(min)s điểm", band=name, min=number(b.min_total))
        else:
            line = _("%(band)s: từ %(min)s điểm và mỗi nhóm tiêu chí đạt ít nhất %(floor)s điểm tối đa của nhóm",
                     band=name, min=number(b.min_total), floor=pct(floor))
        if b.floors:
            line += "; " + _("mức sàn riêng của mức này: %(floors)s",
                             floors=", ".join(f"{_group_name(g, groups, locale)} {pct(f)}" for g, f in b.floors.items()))
        if b.min_criteria_met is not None:
            line += "; " + _("ít nhất %(n)s tiêu chí đạt", n=b.min_criteria_met)
        lines.append(line)
    own = [(g["code"], f) for g in groups if (f := _float(g.get("floor_pct"))) is not None]
    if own and any(b.floor_pct is not None for b in campaign_bands(bands)):  # a band's own floors replace these
        lines.append(_("Mức sàn riêng thay cho mức sàn của xếp loại: %(floors)s",
                       floors=", ".join(f"{_group_name(code, groups, locale)} {pct(f)}" for code, f in own)))
    return lines


def _test_text(fw, t) -> str:
    node = next((n for n in fw.indicators() if n.code == t.indicator), None)
    name = f"{t.indicator} ({label_of(node.name)})" if node is not None and label_of(node.name) else t.indicator
    if node is not None and (node.value_type == "yes_no" or node.scoring_rule.kind == "yes_no"):
        yes = str(t.value).strip().lower() in ("yes", "true", "có", "1") or t.value is True
        return _("%(indicator)s: “%(value)s”", indicator=name, value=_("Có") if (yes == (t.op == "==")) else _("Không"))
    value = number(t.value) if isinstance(t.value, (int, float)) and not isinstance(t.value, bool) else str(t.value)
    return f"{name} {OP_SIGNS.get(t.op, t.op)} {value}"


OP_SIGNS = {">=": "≥", "<=": "≤", "!=": "≠", "==": "="}


def label_of(name) -> str:
    from flask_babel import get_locale

    loc = str(get_locale() or "vi")
    return (name.get(loc) or name.get("vi") or "") if isinstance(name, dict) else str(name or "")


def condition_rules(fw, bands: list[dict] | None, locale: str, indicator: str | None = None) -> list[str]:
    """The framework's conditions in words ("Điều kiện DK1 – …: 5.4 (…): “Có”; nếu chưa đạt: không được công
    nhận xếp loại và khen thưởng"); with ``indicator``, only the conditions testing it (the officer's form)."""
    out = []
    for c in getattr(fw, "conditions", ()) or ():
        if indicator is not None and all(t.indicator != indicator for t in c.tests):
            continue
        if c.effect == "cap":
            effect = _("xếp loại tối đa %(band)s", band=band_label(c.cap_band, locale, bands or []))
        elif c.effect == "no_award":
            effect = _("không được đề nghị khen thưởng")
        else:
            effect = _("không được công nhận xếp loại và khen thưởng")
        out.append(_("Điều kiện %(code)s – %(name)s: %(tests)s; nếu chưa đạt: %(effect)s (điểm giữ nguyên)",
                     code=c.code, name=label_of(c.name), tests="; ".join(_test_text(fw, t) for t in c.tests),
                     effect=effect))
    return out


def structured(reason: BandReason | None) -> dict | None:
    """JSON form for the API: the band, and each higher band missed with its failed floors."""
    if reason is None:
        return None
    return {"band": reason.band,
            "missed": [{"band": m.code, "min_total": m.min_total, "total_reached": m.total_ok,
                        "failed_floors": [{"group": f.group, "pct": f.pct, "floor_pct": f.floor}
                                          for f in m.failed_floors],
                        "criteria_needed": m.criteria_needed, "blocked_by_condition": m.blocked_by_condition}
                       for m in reason.missed],
            "criteria_met": reason.criteria_met, "criteria": reason.criteria_of,
            "failed_conditions": [c.to_dict() for c in reason.conditions.failed]}
