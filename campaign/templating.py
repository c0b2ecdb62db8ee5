"""Template helpers: locale-aware numbers and dates, fingerprinted static URLs."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, current_app, request, url_for
from flask_babel import format_datetime, format_decimal, get_locale, gettext
from flask_login import current_user

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


def number(value: float | int | None, digits: int = 2) -> str:
    """A number in the current locale's format (``–`` for missing)."""
    if value is None:
        return "–"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(static_url=static_url, get_locale=lambda: str(get_locale()))
    register_context(app)
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["datetime"] = lambda v, f="short": format_datetime(v, f) if v else "–"

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
                                 band_label=band_label, award_label=award_label)
