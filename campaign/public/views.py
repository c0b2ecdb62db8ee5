"""Public pages (no login): leaderboard, unit pages, campaign overview, exports, map upload.

Every public GET resolves the campaign through the cached directory (one Redis GET, no SQL)
and serves a payload cached by snapshot id (see services/leaderboard_cache.py). Only the
thin page shell (base.html: language switch, login link) is rendered per request.
"""
from __future__ import annotations

import os
import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import get_babel, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from campaign.services.errors import DomainError
from campaign.services.results import leaderboard as lb
from campaign.services.results import leaderboard_cache as cache
from campaign.services.setup import geo
from campaign.services.setup.framework_cache import framework_info

from .. import band_reasons, templating
from ..access import PUBLIC, allow
from ..web import attachment
from . import http, pages

bp = Blueprint("public", __name__)
cache.install_hooks()


@bp.app_template_global()
def band_reason(row: dict, data: dict, locale: str, short: bool = False) -> list[str]:
    """Sentences saying why ``row`` got its band (``data``: a board or unit payload with bands and groups)."""
    reason = band_reasons.row_reason(row, data["bands"], data["groups"])
    return band_reasons.describe(reason, data["bands"], data["groups"], locale, short)


@bp.app_template_global()
def condition_rules(fw, bands: list[dict] | None, locale: str, indicator: str | None = None) -> list[str]:
    """The framework's conditions in words (only those testing ``indicator`` when given)."""
    return band_reasons.condition_rules(fw, bands, locale, indicator)


@bp.app_template_global()
def band_legend(data: dict, locale: str) -> list[str]:
    """The band rules (minimum totals and group floors) for the legend."""
    return band_reasons.floor_legend(data["bands"], data["groups"], locale)


@bp.app_template_global()
def result_band_reason(row, version_id: int, bands: list[dict], locale: str, short: bool = True) -> list[str]:
    """The band reason of a result on the commission's pages (a ``UnitResult``, or a dict with its fields).

    The same words as the public board, from the run's framework (cached per process).
    """
    groups = [{"code": g.code, "kind": g.kind, "max_points": g.max_points, "floor_pct": g.floor_pct,
               "name": _name(g.name, "vi"), "name_en": _name(g.name, "en")}
              for g in framework_info(version_id).fw.groups]
    field = row.get if isinstance(row, dict) else (lambda key: getattr(row, key, None))
    shown = {"total": field("total"), "group_scores": field("group_scores") or {}, "status": field("status"),
             "band_note": field("band_note")}
    return band_reason(shown, {"bands": bands or [], "groups": groups}, locale, short)


def _name(name, lang: str) -> str:
    return (name.get(lang) or name.get("vi") or "") if isinstance(name, dict) else (name or "")


@bp.app_template_global()
def draft_label() -> str:
    """How the commission's provisional table marks a unit that did not submit (its draft figures)."""
    return _("bản nháp, chưa nộp: không xếp hạng")


@bp.app_template_global()
def percent(value: float, down: bool = False) -> str:
    """A percentage (61.0) in the page's one form: "61,0 %" (vi), "61.0%" (en), as the band reasons word them.

    ``down``: truncated (a group's share beside its floor: 69,99 % reads "69,9 %", never the floor "70,0 %").
    """
    return band_reasons.pct(value, down=down) if down else templating.percent(value, 1)


def _locale() -> str:
    # The app's locale selector itself: flask_babel.get_locale() would also parse a babel Locale on
    # every request (a third of a cached page's own cost); a page needs only the code.
    selector = get_babel().locale_selector
    loc = str((selector() if selector is not None else get_locale()) or "vi")
    return loc if loc in pages.LOCALES else "vi"


def _level(camp: dict) -> str:
    """The level asked for, or the campaign's own when it has no unit there (a link or the
    campaign switch carrying ``level=district`` to a two-tier campaign showed an empty board)."""
    default = pages.default_level(camp)
    level = request.args.get("level", default)
    return level if level in lb.LEVELS and pages.level_meta(camp, level)["count"] else default


def _campaign(directory: dict) -> dict | None:
    ref = request.args.get("campaign", "")
    camp = lb.resolve(directory, ref)
    if camp is None and ref:
        abort(404)
    return camp


# The page shell (base.html around a cached fragment) is rendered once per locale with
# sentinels in place of the per-request values, then filled by a join: anonymous visitors get
# exactly what render_template would produce (same language-switch form) without re-running
# the template, and no session cookie (the anonymous page needs no CSRF token). Logged-in users
# or pending flash messages use the template.
_SENTINELS = {"title": "@@lb-title-5f0c@@", "content": "@@lb-content-5f0c@@", "next": "@@lb-next-5f0c@@"}
_SPLIT = re.compile("(" + "|".join(re.escape(v) for v in _SENTINELS.values()) + ")")
_NAMES = {v: k for k, v in _SENTINELS.items()}
_shells: dict[str, list] = {}
# Final page bytes per (locale, URL, status), tied to the payload object they were built from:
# the payload is replaced whenever a publish or invalidation makes a new one, so a body can
# never outlive its data.
_bodies: dict[tuple, tuple[dict, bytes, dict]] = {}  # (payload, body, {gzipped?: (bytes, ETag)} once made)
_BODIES_MAX = 512
# The board's query strings already resolved: (query string, locale) → (directory, snapshot key,
# payload name, payload); used only while the directory and the payload are still the current ones.
_routes: dict[tuple, tuple[dict, str, str, dict]] = {}


class _ShellRequest:
    """What base.html reads of the request (the language switch's ``next``), given instead of it."""

    def __init__(self, full_path: str) -> None:
        self.full_path = full_path


def _next_path() -> str:
    """Where the language switch returns to: this URL, at the table when the visitor was at it.

    A search or another page of the board is reached by links to ``#board-table`` (the browser never
    sends the anchor): the switched page opens there too, with the same page, level, cluster and search.
    """
    qs = request.query_string  # (the bytes first: most requests have neither, and skip parsing the arguments)
    anchor = (b"page=" in qs or b"q=" in qs) and request.endpoint == "public.leaderboard" and (
        "page" in request.args or "q" in request.args)
    return request.full_path + ("#board-table" if anchor else "")


def _shell(locale: str) -> list:
    parts = _shells.get(locale)
    if parts is None:
        page = {"title": _SENTINELS["title"], "content": Markup(_SENTINELS["content"])}
        html = render_template("public/page.html", page=page, request=_ShellRequest(_SENTINELS["next"]))
        parts = [(_NAMES[chunk], None) if chunk in _NAMES else (None, chunk) for chunk in _SPLIT.split(html)]
        _shells[locale] = parts
    return parts


def _page(payload: dict, status: int = 200, locale: str | None = None):
    # "_user_id" first: anonymous requests then never load a user (Flask-Login) at all.
    if ("_user_id" in session and current_user.is_authenticated) or session.get("_flashes"):
        page = {"title": payload.get("title", ""), "content": Markup(payload.get("content", ""))}
        return render_template("public/page.html", page=page, request=_ShellRequest(_next_path())), status
    locale, full_path = locale or _locale(), _next_path()  # (the caller's locale: get_locale once)
    key = (locale, full_path, status)
    hit = _bodies.get(key)
    if hit is None or hit[0] is not payload:  # a new payload object = a new snapshot/generation
        values = {"title": str(escape(payload.get("title", ""))), "content": payload.get("content", ""),
                  "next": str(escape(full_path))}
        body = "".join(values[name] if name else chunk for name, chunk in _shell(locale)).encode()
        if len(_bodies) >= _BODIES_MAX:
            _bodies.clear()  # bounded: odd query strings cannot grow it without limit
        hit = _bodies[key] = (payload, body, {})
    # Each form (plain, gzip: made once per cached body, at level 9: a 50-row page ~60 KB → ~7.7 KB; no
    # secret in it, no CSRF token) has its ETag, so a browser's revalidation costs a 304 without a body.
    return http.send_cached(hit[1], hit[2], _HTML, status)


_HTML = "text/html; charset=utf-8"


def _empty():
    return _page(pages.build_empty_page(_locale()))


@bp.route("/leaderboard")
@allow(PUBLIC)
def leaderboard():
    directory = cache.directory()  # checks the generation: a publish makes a new directory object
    locale = _locale()
    # Fast path: this query string was resolved (campaign, level, cluster, page) against this very
    # directory; if the page payload it led to is still this process's current one, serve it as is.
    route_key = (request.query_string, locale)
    route = _routes.get(route_key)
    if route is not None and route[0] is directory and cache.peek(route[1], route[2]) is route[3]:
        return _page(route[3], locale=locale)
    camp = _campaign(directory)
    if camp is None:
        return _empty()
    level = _level(camp)
    cluster = pages.valid_cluster(camp, level, request.args.get("cluster") or None)
    page = request.args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1
    query = pages.clean_query(request.args.get("q"))
    payload = pages.get_board_page(directory, camp, level, cluster, locale, page, query)
    if not query:  # (a search's payload lives in the search cache: no route to it)
        snapshot, name, _shown = pages.board_page_ref(camp, level, cluster, locale, page)
        if len(_routes) >= _BODIES_MAX:
            _routes.clear()
        _routes[route_key] = (directory, snapshot, name, payload)
    return _page(payload, locale=locale)


@bp.route("/leaderboard.<any(csv, xlsx):fmt>")
@allow(PUBLIC)
def export(fmt: str):
    directory = cache.directory()
    camp = _campaign(directory)
    if camp is None:
        abort(404)
    level = _level(camp)
    cluster = pages.valid_cluster(camp, level, request.args.get("cluster") or None)
    body = pages.get_export(camp, level, cluster, _locale(), fmt)
    name = f"{camp['slug']}-{level}{'-' + cluster if cluster else ''}-{camp['runs'][0]['id']}.{fmt}"
    mime = ("text/csv; charset=utf-8" if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return attachment(body, name, mime)


@bp.route("/leaderboard/unit/<code>")
@allow(PUBLIC)
def unit(code: str):
    directory = cache.directory()
    camp = _campaign(directory)
    if camp is None or not pages.unit_exists(camp, code):
        abort(404)
    page = pages.get_unit_page(camp, code, _locale())
    if page is None:
        abort(404)
    return _page(page)


@bp.route("/leaderboard/overview")
@allow(PUBLIC)
def overview():
    directory = cache.directory()
    camp = _campaign(directory)
    if camp is None:
        return _empty()
    return _page(pages.get_overview_page(camp, _locale()))


@bp.route("/admin/map", methods=["GET", "POST"])
@allow("admin")
def admin_map():
    error = None
    if request.method == "POST":
        upload = request.files.get("geojson")
        if upload is None or not upload.filename:
            error = _("Hãy chọn một tệp GeoJSON.")
        else:
            try:
                geo.store_layer(upload.read(geo.MAX_GEOJSON_BYTES + 1), request.form.get("name", "")
                                or upload.filename, current_user.id)
            except DomainError as exc:
                error = exc.message
            else:
                flash(_("Đã lưu bản đồ ranh giới; trang tổng quan dùng bản đồ mới ngay."), "success")
                return redirect(url_for("public.admin_map"), code=303)
    return render_template("public/admin_map.html", layer=geo.active_layer_summary(), error=error,
                           name=request.form.get("name", "")), (400 if error else 200)


@bp.before_app_request
def _precompressed_static():
    """Serve a pre-compressed ``.br`` (preferred) or ``.gz`` sibling of a static file to clients that accept it."""
    accepted = request.headers.get("Accept-Encoding", "") if request.endpoint == "static" else ""
    encodings = [(enc, ext) for enc, ext in (("br", ".br"), ("gzip", ".gz")) if enc in accepted]
    if not encodings:
        return None
    filename = (request.view_args or {}).get("filename", "")
    static = current_app.static_folder
    path = os.path.realpath(os.path.join(static, filename))
    if not path.startswith(os.path.realpath(static) + os.sep):
        return None
    found = next(((enc, path + ext) for enc, ext in encodings if os.path.isfile(path + ext)), None)
    if found is None:
        return None
    encoding, packed = found
    mimetype = "text/javascript" if filename.endswith(".js") else None
    resp = send_file(packed, mimetype=mimetype or "application/octet-stream", conditional=True,
                     etag=True, max_age=31536000 if request.args.get("v") else None)
    resp.headers["Content-Encoding"] = encoding
    resp.headers["Vary"] = "Accept-Encoding"
    if request.args.get("v"):
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return resp
