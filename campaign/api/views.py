"""Public JSON API (blueprint `api`, under /api/v1): published leaderboards, OpenAPI description.

Bodies are served from the same snapshot-keyed cache as the pages (no SQL on a hit). A board is paged
like the HTML board: 50 rows by default, ``per_page`` up to 500, a ``paging`` object with the links;
``q`` finds units as the HTML board's search does; band labels are in the request's language
(``lang``, else the visitor's chosen language, else ``Accept-Language``, else Vietnamese). Every body
has an ETag: a client that sends it back in ``If-None-Match`` gets a 304 without a body.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, request, session

from campaign.services.results import leaderboard as lb
from campaign.services.results import leaderboard_cache as cache

from ..access import PUBLIC, allow
from ..public import http, pages
from .openapi import OPENAPI

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_OPENAPI_BODY = json.dumps(OPENAPI, ensure_ascii=False, indent=1)
# Board URLs already resolved: (ref, query string, language) → [directory, snapshot key, payload name, payload,
# body bytes, {gzipped?: (bytes, ETag)} once made]; used only while the directory and the payload are current.
_routes: dict[tuple, list] = {}
_ROUTES_MAX = 512


def _json(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


@bp.route("/campaigns")
@allow(PUBLIC)
def campaigns():
    directory = cache.directory()
    body = cache.payload(0, "api:campaigns", lambda: {"body": json.dumps(
        pages.campaigns_body(directory), ensure_ascii=False, separators=(",", ":"))})["body"]
    return _json(body)


def _error(status: int, error: str, message: str) -> Response:
    return _json(json.dumps({"error": error, "message": message}), status)


def _whole(name: str, default: int) -> int | None:
    """A positive whole number from the query string (``default`` when absent); None when malformed.

    More than nine digits reads as 10⁹ (a page past any board, or per_page capped): never a huge int.
    """
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw) if len(raw) <= 9 else 10 ** 9
    return value if value >= 1 else None


@bp.route("/campaigns/<ref>/leaderboard")
@allow(PUBLIC)
def leaderboard(ref: str):
    """One page of a board: ``page`` (from 1), ``per_page`` (50 by default, at most 500); ``paging`` links the others."""
    directory = cache.directory()  # checks the generation: a publish makes a new directory object
    locale = _language()
    if locale is None:
        return _error(400, "bad_request", "lang must be vi or en")
    # Fast path as the HTML board's: a URL already resolved against this directory, whose page payload
    # is still this process's current one, is served as it was resolved.
    route_key = (ref, request.query_string, locale)
    route = _routes.get(route_key)
    if route is not None and route[0] is directory and cache.peek(route[1], route[2]) is route[3]:
        return _send(route, locale)
    camp = lb.resolve(directory, ref)
    if camp is None:
        return _error(404, "not_found", "no published public results for this campaign")
    level = request.args.get("level", pages.default_level(camp))  # as the HTML board opens
    if level not in lb.LEVELS:
        return _error(400, "bad_request", "level must be district or commune")
    cluster = request.args.get("cluster") or None
    if cluster is not None and pages.valid_cluster(camp, level, cluster) is None:
        return _error(404, "not_found", "unknown cluster")
    page, per_page = _whole("page", 1), _whole("per_page", pages.API_PER_PAGE)
    if page is None:
        return _error(400, "bad_request", "page must be a whole number from 1")
    if per_page is None:
        return _error(400, "bad_request", f"per_page must be a whole number from 1 to {pages.API_MAX_PER_PAGE}")
    per_page = min(per_page, pages.API_MAX_PER_PAGE)
    query = pages.clean_query(request.args.get("q"))
    found = pages.get_api_page(camp, level, cluster, page, per_page, query, locale)
    if found is None:
        return _error(404, "not_found", f"page {page} is past the last page of this board")
    route = [directory, *(pages.api_page_ref(camp, level, cluster, page, per_page, locale) or ("", "")), found,
             found["body"].encode(), {}]
    # (other sizes and searches live in the search cache, which peek does not see)
    if per_page == pages.API_PER_PAGE and not query:
        if len(_routes) >= _ROUTES_MAX:
            _routes.clear()
        _routes[route_key] = route
    return _send(route, locale)


def _send(route: list, locale: str) -> Response:
    """A page's JSON, gzipped once per route for clients that accept it (a 50-row page: ~17 KB → ~3 KB),
    with its ETag (304 on a match), as the HTML board's pages."""
    resp = http.send_cached(route[4], route[5], "application/json", vary="Accept-Encoding, Accept-Language")
    resp.headers["Content-Language"] = locale
    return resp


def _language() -> str | None:
    """The language of the band labels: ``lang`` (vi or en; None when it is neither), else the language the
    visitor chose on the site, else the client's ``Accept-Language``, else Vietnamese."""
    if b"lang=" in request.query_string:  # (the query string is parsed only when it names a language)
        asked = request.args.get("lang")
        if asked is not None:
            return asked if asked in pages.LOCALES else None
    chosen = session.get("lang") if request.cookies else None
    if chosen in pages.LOCALES:
        return chosen
    if "HTTP_ACCEPT_LANGUAGE" in request.environ:
        return request.accept_languages.best_match(pages.LOCALES) or "vi"
    return "vi"


@bp.route("/openapi.json")
@allow(PUBLIC)
def openapi():
    return _json(_OPENAPI_BODY)
