"""A campaign's bands (xếp loại) as its settings hold them: checks with the admin's words, and the
bands a new campaign starts with (the framework's own when it declares some, issue 16).

The shape is :mod:`scoring.band_specs`' (``code``, ``label``, ``min_total``, ``floor_pct``,
``floors``, ``min_criteria_met``); the engine reads it with :func:`scoring.band_specs.engine_bands`.
"""
from __future__ import annotations

import copy
from typing import Any

from flask_babel import gettext as _


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def errors(bands: list, scale: float, group_codes: set[str] | None = None, doc: dict | None = None) -> str | None:
    """The first problem of the bands, in the admin's language (None = valid).

    ``group_codes``: the framework's top-level groups (floors may only name those); ``doc``: the
    framework document, whose conditions' ``cap_band`` must be one of these bands.
    """
    if not bands:
        return _("Cần ít nhất một mức xếp loại.")
    codes, mins = set(), []
    for b in bands:
        if not isinstance(b, dict) or not b.get("code") or b["code"] in codes:
            return _("Mỗi mức xếp loại cần một mã riêng.")
        codes.add(b["code"])
        mt = b.get("min_total")
        if not _num(mt) or mt < 0 or mt > scale * 2:
            return _("Điểm tối thiểu của mức “%(code)s” không hợp lệ.", code=b["code"])
        fp = b.get("floor_pct")
        if fp is not None and (not _num(fp) or not 0 <= fp <= 100):
            return _("Ngưỡng sàn mỗi tiêu chí của mức “%(code)s” phải từ 0 đến 100%%.", code=b["code"])
        floors = b.get("floors")
        if floors is not None:
            if not isinstance(floors, dict) or any(not _num(f) or not 0 <= f <= 100 for f in floors.values()):
                return _("Mức sàn theo nhóm của mức “%(code)s” phải từ 0 đến 100%%.", code=b["code"])
            unknown = sorted(g for g in floors if group_codes is not None and g not in group_codes)
            if unknown:
                return _("Mức “%(code)s” đặt mức sàn cho nhóm không có trong bảng chấm điểm: %(groups)s.",
                         code=b["code"], groups=", ".join(unknown))
        mc = b.get("min_criteria_met")
        if mc is not None and (not isinstance(mc, int) or isinstance(mc, bool) or mc < 1):
            return _("Số tiêu chí phải đạt của mức “%(code)s” phải là số nguyên từ 1 trở lên.", code=b["code"])
        mins.append(mt)
    if len(set(mins)) != len(mins):
        return _("Hai mức xếp loại không được có cùng điểm tối thiểu.")
    for cond in (doc or {}).get("conditions") or []:
        cap = cond.get("cap_band") if isinstance(cond, dict) else None
        if cap and cap not in codes:
            return _("Điều kiện %(condition)s giới hạn xếp loại ở mức “%(band)s”, nhưng phong trào không có mức này.",
                     condition=cond.get("code"), band=cap)
    return None


def framework_bands(doc: dict | None) -> list[dict]:
    """The bands a framework declares (a copy), or none."""
    return copy.deepcopy(list((doc or {}).get("bands") or []))


def parse_bands_option(text: str) -> list[dict]:
    """``--bands`` of ``flask create-campaign``: "code:min_total[:floor_pct],…" (e.g. "dat:50").

    Raises ``ValueError`` with the offending part.
    """
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        bits = part.split(":")
        if len(bits) not in (2, 3) or not bits[0]:
            raise ValueError(f"band {part!r}: write code:min_total or code:min_total:floor_pct")
        try:
            band: dict[str, Any] = {"code": bits[0], "min_total": float(bits[1])}
            if len(bits) == 3:
                band["floor_pct"] = float(bits[2])
        except ValueError as exc:
            raise ValueError(f"band {part!r}: min_total and floor_pct must be numbers") from exc
        out.append({k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in band.items()})
    if not out:
        raise ValueError("--bands names no band")
    return out


__all__ = ["errors", "framework_bands", "parse_bands_option"]
