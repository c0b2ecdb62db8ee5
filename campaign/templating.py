"""Template helpers: locale-aware numbers and dates, fingerprinted static URLs."""
from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from functools import lru_cache

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user

from . import formats, words
from .labels import N_, award_label, band_label
from .version import __version__


@lru_cache(maxsize=256)
def _fingerprint(static_folder: str, filename: str) -> str:
    path = os.path.join(static_folder, filename)
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """URL with a content hash, so assets can be cached for a year and still change."""
    try:
        version = _fingerprint(current_app.static_folder, filename)
    except OSError:
        version = "0"
    return url_for("static", filename=filename, v=version)


def _locale() -> str:
    return str(get_locale() or "vi")


def _tz() -> str:
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")


def number(value: float | int | None, digits: int = 2) -> str:
    """A number in the current locale's format (``–`` for missing)."""
    return formats.number(value, _locale(), digits)


def moment(value: datetime | None, *_ignored: object) -> str:
    """A stored UTC time in the configured zone, one form per locale (``30/11/2026 17:00``)."""
    return formats.moment(value, _locale(), _tz())


def day(value: date | datetime | None) -> str:
    """A calendar day, one form per locale (``30/11/2026`` / ``30 Nov 2026``)."""
    return formats.day(value, _locale(), _tz())


def percent(value: float | None, digits: int = 0) -> str:
    """A value already in percent (61.0) as "61 %" (vi) / "61%" (en)."""
    return formats.percent(None if value is None else value / 100, _locale(), digits)


def plain(value: float | int | None) -> str:
    """A typed-in value shown back in the locale form ("88,8", never "88.8" in Vietnamese)."""
    return formats.plain(value, _locale())


def filesize(n_bytes: int | None) -> str:
    """A file size in KB/MB in the locale form."""
    return formats.size(n_bytes, _locale())


def stored_label(text: str | None) -> str:
    """A stored label (a publication's) in the reader's language when the catalogue has its English form."""
    return gettext(text) if text else ""


def named(item) -> str:
    """The name of a framework, cluster or campaign (``name``/``name_en``) in the reader's language."""
    if item is None:
        return ""
    get = item.get if isinstance(item, dict) else (lambda key: getattr(item, key, None))
    return (get("name_en") if _locale().startswith("en") and get("name_en") else get("name")) or ""


def framework_nodes(version_id: int | None) -> dict:
    """Every node (groups, criteria, indicators) of a framework version by code, for names and units on pages."""
    if not version_id:
        return {}
    from campaign.services.setup.framework_cache import parsed

    return {node.code: node for group in parsed(version_id).groups for node in group.walk()}


def register(app: Flask) -> None:
    app.jinja_env.globals.update(static_url=static_url, get_locale=lambda: str(get_locale()))
    register_context(app)
    app.jinja_env.filters.update(number=number, datetime=moment, day=day, percent=percent, plain=plain, filesize=filesize,
                            stored_label=stored_label)

    @app.after_request
    def _cache_static(response):
        if request.endpoint == "static" and request.args.get("v"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


# (endpoint, label, audience); shown only when the endpoint exists and the user may use it.
NAV = (
    ("public.leaderboard", N_("Bảng xếp hạng"), ("public",)),
    ("admin.dashboard", N_("Quản trị"), ("admin",)),
    ("unit.dashboard", N_("Đơn vị của tôi"), ("officer",)),
    ("judging.dashboard", N_("Chấm điểm"), ("judge",)),
    ("results.index", N_("Kết quả thi đua"), ("viewer",)),
)
ROLE_LABELS = {"admin": N_("Quản trị"), "officer": N_("Cán bộ đơn vị"), "judge": N_("Giám khảo"),
               "viewer": N_("Người xem")}


def nav_items() -> list[tuple[str, str]]:
    """(endpoint, label) of the main menu entries the current user may open."""
    role = current_user.role if current_user.is_authenticated else None
    return [
        (endpoint, gettext(label))
        for endpoint, label, audience in NAV
        if endpoint in current_app.view_functions and ("public" in audience or role in audience)
    ]


def role_label(role: str) -> str:
    """The translated name of a role."""
    return gettext(ROLE_LABELS.get(role, role))


def register_context(app: Flask) -> None:
    """Template globals shared by every page."""
    app.jinja_env.globals.update(nav_items=nav_items, role_label=role_label, app_version=__version__,
                                 band_label=band_label, award_label=award_label, unit_label=words.unit_label,
                                 rule_kind_label=words.rule_kind_label, value_type_label=words.value_type_label,
                                 group_kind_label=words.group_kind_label, source_label=words.source_label,
                                 value_shown=words.value_shown, framework_nodes=framework_nodes, named=named,
                                 aggregation_label=words.aggregation_label, with_unit=words.with_unit,
                                 rollup_label=words.rollup_label, tie_break_label=words.tie_break_label,
                                 criteria_rules=words.criteria_rules)
