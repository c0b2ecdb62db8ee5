"""Words a person reads about a framework: units of measure, rule and value kinds, where points come from.

An indicator's ``unit`` is either a plain string (Vietnamese, e.g. ``"công trình"``) or a
``{vi, en}`` mapping. A plain string is shown as written in Vietnamese; in English the common units
below are translated and any other string is shown as written (a symbol such as ``%``, ``km`` or
``VND`` reads the same in both languages). Codes (``linear``, ``yes_no``, ``rule``…) are never shown:
each has a label, translated where it is shown (``N_`` marks them for extraction).
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from scoring.rules import is_na

from . import formats
from .labels import N_

# Vietnamese unit of measure → English (plural: the unit follows a number, "3 works").
COMMON_UNITS = {
    "vụ": "cases", "trường hợp": "cases", "trường hợp/100 người": "cases per 100 people",
    "công trình": "works", "hoạt động": "activities", "đơn vị": "units", "điển hình": "role models",
    "điểm %": "percentage points", "tổ chức": "organisations", "triệu VND/người/năm": "million VND per person per year",
    "tin, bài": "news items and articles", "tin bài": "news items and articles", "sáng kiến": "initiatives",
    "năm": "years", "nhóm 20 lao động": "groups of 20 workers", "lao động": "workers", "nhà": "houses",
    "người": "people", "mô hình": "models", "hội nghị": "conferences", "hộ": "households", "cờ": "flags",
    "cuộc": "sessions", "báo cáo": "reports", "lượt": "times", "lượt người": "attendances", "buổi": "sessions",
    "lớp": "classes", "xã": "communes", "thôn": "villages", "tổ dân phố": "residential groups",
    "gia đình": "families", "km": "km", "ha": "ha", "tấn": "tonnes", "ngày": "days", "tháng": "months",
    "văn bản": "documents", "đợt": "rounds", "câu lạc bộ": "clubs", "điểm": "points", "đồng": "VND",
    "triệu đồng": "million VND", "tỷ đồng": "billion VND", "triệu VND": "million VND",
}

# An English unit after the number 1 ("1 work", "1 person"; "2 works").
ONE = {"cases": "case", "works": "work", "activities": "activity", "units": "unit", "role models": "role model",
       "percentage points": "percentage point", "organisations": "organisation", "initiatives": "initiative",
       "years": "year", "groups of 20 workers": "group of 20 workers", "workers": "worker", "houses": "house",
       "people": "person", "models": "model", "conferences": "conference", "households": "household", "flags": "flag",
       "sessions": "session", "reports": "report", "times": "time", "attendances": "attendance", "classes": "class",
       "communes": "commune", "villages": "village", "residential groups": "residential group", "families": "family",
       "tonnes": "tonne", "days": "day", "months": "month", "documents": "document", "rounds": "round", "clubs": "club",
       "points": "point"}

RULE_KIND_LABELS = {
    "target": N_("Đạt chỉ tiêu"), "linear": N_("Tỷ lệ theo mức đạt"), "banded": N_("Theo khoảng giá trị"),
    "yes_no": N_("Có/Không"), "count": N_("Theo số lượng"), "bonus": N_("Điểm thưởng"), "penalty": N_("Điểm trừ"),
    "judged": N_("Giám khảo chấm theo mức"), "manual": N_("Giám khảo chấm trực tiếp"),
    "info": N_("Thông tin, không tính điểm"),
}
VALUE_TYPE_LABELS = {
    "number": N_("Số"), "percentage": N_("Tỷ lệ phần trăm"), "yes_no": N_("Có/Không"), "choice": N_("Lựa chọn"),
    "count": N_("Số lượng"), "date": N_("Ngày"), "text": N_("Văn bản"), "file_only": N_("Chỉ nộp tệp"),
}
GROUP_KIND_LABELS = {"regular": N_("Nhóm tiêu chí"), "bonus": N_("Điểm thưởng"), "penalty": N_("Điểm trừ")}
SOURCE_LABELS = {"rule": N_("Theo quy tắc"), "judges": N_("Giám khảo"), "override": N_("Hội đồng điều chỉnh"),
                 "na": N_("Không áp dụng")}


def _loc(locale: Any) -> str:
    return "en" if str(locale or "vi").startswith("en") else "vi"


def unit_label(unit: str | dict | None, locale: Any) -> str:
    """An indicator's unit in the reader's language ("công trình" → "works" in English)."""
    if not unit:
        return ""
    lang = _loc(locale)
    if isinstance(unit, dict):
        return str(unit.get(lang) or unit.get("vi") or next(iter(unit.values()), ""))
    if lang == "vi":
        return unit
    return COMMON_UNITS.get(unit.strip(), COMMON_UNITS.get(unit.strip().lower(), unit))


def _label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    label = table.get(code)
    return _(label) if label else code


def rule_kind_label(kind: str | None) -> str:
    """How an indicator is scored, in words ("linear" → "Tỷ lệ theo mức đạt")."""
    return _label(RULE_KIND_LABELS, kind)


def value_type_label(value_type: str | None) -> str:
    """What the unit enters, in words ("count" → "Số lượng")."""
    return _label(VALUE_TYPE_LABELS, value_type)


def group_kind_label(kind: str | None) -> str:
    return _label(GROUP_KIND_LABELS, kind)


def source_label(source: str | None) -> str:
    """Where an indicator's points come from ("rule" → "Theo quy tắc")."""
    return _label(SOURCE_LABELS, source)


def _localized(d: Any, lang: str) -> str:
    if isinstance(d, dict):
        return str(d.get(lang) or d.get("vi") or next(iter(d.values()), ""))
    return str(d or "")


def value_shown(value: Any, node: Any, locale: Any) -> str:
    """A stored indicator value as a person reads it: "Có"/"Không", a choice's or level's name,
    a number in the locale's form followed by the unit — never ``True``, ``4.0`` or a level code."""
    if value is None or value == "":
        return formats.MISSING
    if is_na(value):
        return _("Không áp dụng")
    lang = _loc(locale)
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, (int, float)):
        return with_unit(formats.plain(value, lang, grouped=True), getattr(node, "unit", None), lang)
    text = str(value)
    for choice in getattr(node, "choices", ()) or ():
        if choice.code == text:
            return _localized(choice.label, lang) or text
    rule = getattr(node, "rule", None)
    for level in getattr(rule, "levels", ()) or ():
        if level.code == text:
            return _localized(level.descriptor, lang) or text
    return text


ROLLUP_LABELS = {"none": N_("Không tổng hợp"), "mean": N_("Trung bình các xã"), "weighted_mean": N_("Trung bình theo dân số"),
                 "share_meeting": N_("Tỷ lệ xã đạt chuẩn"), "combined": N_("Kết hợp điểm huyện và điểm các xã")}
TIE_BREAK_LABELS = {"fewer_penalty": N_("ít điểm trừ hơn"), "earlier_submission": N_("nộp sớm hơn")}


AGGREGATION_LABELS = {"mean": N_("Trung bình"), "median": N_("Trung vị"),
                      "trimmed_mean": N_("Trung bình bỏ điểm cao nhất và thấp nhất")}


def aggregation_label(method: str | None) -> str:
    """How the judges' points are combined, in words ("trimmed_mean" → "Trung bình bỏ điểm cao nhất và thấp nhất")."""
    return _label(AGGREGATION_LABELS, method)


def rollup_label(method: str | None) -> str:
    """How a district's score comes from its communes, in words."""
    return _label(ROLLUP_LABELS, method)


def tie_break_label(code: str | None, group_name: str = "") -> str:
    """A tie-break rule in words ("group:I" → "điểm nhóm I cao hơn", "fewer_penalty" → "ít điểm trừ hơn")."""
    if code and code.startswith("group:"):
        return _("điểm nhóm %(name)s cao hơn", name=group_name or code.split(":", 1)[1])
    return _label(TIE_BREAK_LABELS, code)


# Fields of recorded changes (the audit log) that the accounts feature does not name.
RECORD_FIELD_LABELS = {"inputs_digest": N_("Dấu vân tay dữ liệu"), "inputs_version": N_("Phiên bản dữ liệu"),
                       "previous_snapshot_id": N_("Lần công bố trước"), "not_submitted": N_("Số đơn vị chưa nộp"),
                       "indicator_codes": N_("Chỉ tiêu"), "request_id": N_("Yêu cầu số"), "entry_id": N_("Hồ sơ số"),
                       "judge_id": N_("Giám khảo số"), "unit_id": N_("Đơn vị số"), "campaign_id": N_("Phong trào số"),
                       "deadline": N_("Hạn"), "run_id": N_("Lượt tính số"), "version": N_("Phiên bản")}

# Words of the campaign form's tie-break choice (used by templates/admin/campaign_form.html and admin views).
TIE_BREAK_FORM_WORDS = (N_("Thứ tự phân hạng khi bằng điểm"), N_("Thứ %(n)s"), N_("— không dùng —"),
                        N_("Khi hai đơn vị bằng điểm, xét lần lượt các tiêu chí đã chọn."))
# The what-if form's weights, written with the reader's decimal mark (campaign/results/forms.py).
WHATIF_WORDS = (N_("Trọng số nhóm (vd: I=1,2; II=0,8)"),)
# The audit log's unit filter: a code, or a name typed with or without diacritics (campaign/accounts/forms.py).
AUDIT_WORDS = (N_("Mã hoặc tên đơn vị"),)


def with_unit(text: str, unit: str | dict | None, locale: Any) -> str:
    """A value followed by its unit in the reader's language: "4 hội nghị", "88,3 %" (vi) / "88.3%" (en)."""
    label = unit_label(unit, locale)
    if not label:
        return text
    if _loc(locale) == "en" and text.strip() in ("1", "1.0", "1.00"):
        label = ONE.get(label, label)  # "1 work", "1 person"
    if label == "%":
        return f"{text} %" if _loc(locale) == "vi" else f"{text}%"
    return f"{text} {label}"


def criteria_rules(fw: Any, bands: list[dict] | None, locale: Any) -> list[str]:
    """When a criterion counts as met and which bands need how many, in words (only for bands that
    count criteria): "Một tiêu chí được tính là đạt khi được đủ điểm tối đa của tiêu chí đó…"."""
    from scoring.condition_eval import criteria_nodes

    needs = [b for b in bands or () if b.get("min_criteria_met")]
    if not needs:
        return []
    lang = _loc(locale)
    nodes = criteria_nodes(fw)
    pcts = sorted({100.0 if n.met_pct is None else float(n.met_pct) for n in nodes})
    if pcts == [100.0]:
        lines = [_("Một tiêu chí được tính là đạt khi được đủ điểm tối đa của tiêu chí đó (100%); "
                   "thiếu dù chỉ một phần điểm là chưa đạt.")]
    else:
        lines = [_("Một tiêu chí được tính là đạt khi được ít nhất %(pct)s điểm tối đa của tiêu chí đó.",
                   pct=" / ".join(formats.plain(p, lang) + " %" for p in pcts))]
    for b in needs:
        name = _localized(b.get("label") or b.get("code"), lang)
        if getattr(fw, "conditions", ()):
            lines.append(_("Mức “%(band)s” cần ít nhất %(n)s trên %(of)s tiêu chí đạt và mọi điều kiện dưới đây đều đạt; "
                           "đơn vị chưa đạt điều kiện vẫn giữ nguyên điểm nhưng không được công nhận.",
                           band=name, n=b["min_criteria_met"], of=len(nodes)))
        else:
            lines.append(_("Mức “%(band)s” cần ít nhất %(n)s trên %(of)s tiêu chí đạt.",
                           band=name, n=b["min_criteria_met"], of=len(nodes)))
    return lines
