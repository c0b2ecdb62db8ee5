"""Display labels for codes (bands, awards), shared by every page that shows results.

``N_`` lives here, at the bottom of the import graph, so that services and templates can mark
labels for extraction without importing the web layer.
"""
from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _


def N_(text: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return text


BAND_LABELS = {"xuat_sac": N_("Xuất sắc"), "excellent": N_("Xuất sắc"), "tot": N_("Tốt"), "good": N_("Tốt"),
               "hoan_thanh": N_("Hoàn thành"), "completed": N_("Hoàn thành"),
               "khong_hoan_thanh": N_("Không hoàn thành"), "not_completed": N_("Không hoàn thành")}
AWARD_LABELS = {"cluster_leader": N_("Dẫn đầu cụm"), "top_band": N_("Đề nghị khen (mức cao nhất)")}


def band_label(band: dict | str | None, locale: str, bands: list[dict] | None = None) -> str:
    """The campaign's own label for a band (``label``/``name`` {vi, en}), else a known default."""
    if band is None:
        return ""
    if isinstance(band, str):
        band = next((b for b in bands or () if b.get("code") == band), {"code": band})
    for key in ("label", "name"):
        name = band.get(key)
        if isinstance(name, dict) and (name.get(locale) or name.get("vi")):
            return name.get(locale) or name.get("vi")
        if isinstance(name, str) and name:
            return name
    label = BAND_LABELS.get(band["code"])
    return _(label) if label else band["code"]


def award_label(code: str | None) -> str:
    """The translated name of an award code (the code itself when unknown)."""
    if not code:
        return ""
    label = AWARD_LABELS.get(code)
    return _(label) if label else code


def localized(d: dict | str | None) -> str:
    """The reader's language from a {vi, en} dict (Vietnamese as the fallback; outside a request, Vietnamese)."""
    if not d:
        return ""
    if isinstance(d, str):
        return d
    lang = str(get_locale() or "vi") if has_request_context() else "vi"
    return d.get(lang) or d.get("vi") or next(iter(d.values()), "")
