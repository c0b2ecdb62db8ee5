"""The commission's explanation page in sentences: which cap removed how many points, why an indicator
marked N/A got its points, what the score interval is.

Every figure comes from the unit's explanation (``review.explanation``): the caps the engine applied
(``caps_applied``), the group figures before and after their cap (``groups_detail``, when the detail
is still the run's), the regular, bonus and penalty totals. Nothing is recomputed here.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..templating import number


def _node_name(code: str, nodes: dict, locale: str) -> str:
    node = nodes.get(code)
    name = getattr(node, "name", None)
    if isinstance(name, dict):
        name = name.get(locale) or name.get("vi")
    return f"{code} ({name})" if name else code


def cap_lines(data: dict, nodes: dict, locale: str, scale: float | None) -> list[str]:
    """One sentence per cap applied: the cap, the points before it and the points it removed."""
    s = data.get("stored") or {}
    detail = {g["code"]: g for g in data.get("groups_detail") or []} if data.get("detail_current") else {}
    lines = []
    for code in s.get("caps_applied") or []:
        if code == "SCALE":
            lines.append(_scale_line(s, nodes, scale))
        elif code == "TOTAL":
            lines.append(_total_line(s, data))
        else:
            lines.append(_group_line(code, detail.get(code), nodes, locale))
    return [line for line in lines if line]


def _group_line(code: str, g: dict | None, nodes: dict, locale: str) -> str:
    name = _node_name(code, nodes, locale)
    node = nodes.get(code)
    kind = (g or {}).get("kind") or getattr(node, "kind", "regular")
    cap = (g or {}).get("cap")
    if cap is None:
        cap = getattr(node, "effective_cap", None)
    if g is None or g.get("raw") is None or g.get("points") is None:  # the figures of this run are not at hand
        return _("Nhóm %(group)s được giữ ở mức trần %(cap)s điểm.", group=name, cap=number(cap))
    raw, points = float(g["raw"]), float(g["points"])
    if kind == "penalty":
        return _("Trần điểm trừ của nhóm %(group)s là %(cap)s: các khoản trừ cộng lại %(raw)s, chỉ trừ %(points)s "
                 "(bớt %(removed)s điểm trừ).", group=name, cap=number(cap), raw=number(-raw), points=number(-points),
                 removed=number(points - raw))
    if kind == "bonus":
        return _("Trần điểm thưởng của nhóm %(group)s là %(cap)s: các khoản thưởng cộng lại %(raw)s, chỉ tính "
                 "%(points)s (trần đã bớt %(removed)s điểm).", group=name, cap=number(cap), raw=number(raw),
                 points=number(points), removed=number(raw - points))
    return _("Trần của nhóm %(group)s là %(cap)s: các chỉ tiêu cộng lại %(raw)s, chỉ tính %(points)s "
             "(trần đã bớt %(removed)s điểm).", group=name, cap=number(cap), raw=number(raw), points=number(points),
             removed=number(raw - points))


def _scale_line(s: dict, nodes: dict, scale: float | None) -> str:
    regular = [v for code, v in (s.get("groups") or {}).items()
               if getattr(nodes.get(code), "kind", None) == "regular" and code in _top_codes(nodes)]
    kept = s.get("regular_total")
    if regular and kept is not None and not s.get("rescaled"):
        raw = sum(float(v) for v in regular)
        return _("Phần điểm chính (các nhóm thường) cộng lại %(raw)s, vượt thang điểm %(scale)s: chỉ tính %(scale)s "
                 "(bớt %(removed)s điểm).", raw=number(raw), scale=number(scale if scale is not None else kept),
                 removed=number(raw - float(kept)))
    return _("Phần điểm chính (các nhóm thường) được giữ ở thang điểm %(scale)s.", scale=number(scale or kept))


def _top_codes(nodes: dict) -> set[str]:
    children = {c.code for n in nodes.values() for c in (getattr(n, "children", None) or ())}
    return {code for code in nodes if code not in children}


def _total_line(s: dict, data: dict) -> str:
    parts = [s.get("regular_total"), s.get("bonus_total"), s.get("penalty_total")]
    total = data.get("total")
    if any(p is None for p in parts) or total is None or "TOTAL" in (s.get("overrides") or {}):
        return _("Tổng điểm được giữ trong khoảng cho phép của khung (từ 0 đến điểm tối đa).")
    raw = sum(float(p) for p in parts)
    if raw < 0:
        return _("Điểm trừ lớn hơn điểm đạt được (%(raw)s): tổng điểm được tính 0, không âm.", raw=number(raw))
    return _("Tổng %(raw)s vượt điểm tối đa của khung: chỉ tính %(total)s (bớt %(removed)s điểm).",
             raw=number(raw), total=number(total), removed=number(raw - float(total)))


def indicator_note(ind: dict, node: Any) -> str:
    """Why an indicator marked N/A has the points it has (empty for any other indicator)."""
    if ind.get("status") == "not_assessed":
        return ""  # the part's own sentence (rescaled) says it
    if ind.get("source") != "na" and ind.get("status") != "not_applicable":
        if ind.get("status") == "invalid" and str(ind.get("value")) == "NA":
            return _("Đánh dấu không áp dụng nhưng khung không cho phép ở chỉ tiêu này: 0 điểm.")
        return ""
    kind = getattr(getattr(node, "scoring_rule", None), "kind", None) or (ind.get("rule") or {}).get("kind")
    points, top = ind.get("points") or 0.0, ind.get("max_points") or 0.0
    if kind in ("bonus", "penalty") or (points == 0 and top):
        return _("Khoản thưởng hoặc trừ điểm không áp dụng thì tính 0 điểm (không được thưởng, không bị trừ).")
    return _("Theo quy định của khung, chỉ tiêu được phép đánh dấu không áp dụng được tính đủ điểm tối đa "
             "(%(max)s điểm), để đơn vị không bị thiệt vì một việc không có ở địa phương.", max=number(top))


def interval_note(data: dict) -> str:
    """What the score interval is (empty when the row has none)."""
    low, high = data.get("interval_low"), data.get("interval_high")
    if low is None or high is None:
        return ""
    return _("Khoảng điểm %(low)s – %(high)s: tổng điểm khi mọi chỉ tiêu do giám khảo chấm lấy điểm thấp nhất, rồi "
             "cao nhất, mà các giám khảo đã cho. Hai đơn vị có khoảng điểm chồng lấn thì chênh lệch giữa hai đơn vị "
             "nằm trong độ vênh giữa các giám khảo (bảng công khai đánh dấu ≈).", low=number(low), high=number(high))
