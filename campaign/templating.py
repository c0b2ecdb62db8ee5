"""Template helpers: locale-aware numbers and dates, fingerprinted static URLs."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, current_app, url_for
from flask_babel import format_datetime, format_decimal, get_locale


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


def number(value, digits: int = 2) -> str:
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
        from flask import request

        if request.endpoint == "static" and request.args.get("v"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def N_(text: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return text


# (endpoint, label, audience); shown only when the endpoint exists and the user may use it.
NAV = (
    ("public.leaderboard", N_("Bảng xếp hạng"), ("public",)),
    ("admin.dashboard", N_("Quản trị"), ("admin",)),
    ("unit.dashboard", N_("Đơn vị của tôi"), ("officer",)),
    ("judging.dashboard", N_("Chấm điểm"), ("judge",)),
)
ROLE_LABELS = {"admin": N_("Quản trị"), "officer": N_("Cán bộ đơn vị"), "judge": N_("Giám khảo"),
               "viewer": N_("Người xem")}


def nav_items() -> list[tuple[str, str]]:
    from flask_babel import gettext
    from flask_login import current_user

    role = current_user.role if current_user.is_authenticated else None
    return [
        (endpoint, gettext(label))
        for endpoint, label, audience in NAV
        if endpoint in current_app.view_functions and ("public" in audience or role in audience)
    ]


def role_label(role: str) -> str:
    from flask_babel import gettext

    return gettext(ROLE_LABELS.get(role, role))


def register_context(app: Flask) -> None:
    from . import __version__

    from .labels import award_label, band_label

    app.jinja_env.globals.update(nav_items=nav_items, role_label=role_label, app_version=__version__,
                                 band_label=band_label, award_label=award_label)
