"""Public JSON API (blueprint `api`, under /api/v1): published leaderboards, OpenAPI description.

Bodies are served from the same snapshot-keyed cache as the pages (no SQL on a hit). A board is paged
like the HTML board: 50 rows by default, ``per_page`` up to 500, a ``paging`` object with the links.
"""
from __future__ import annotations

import gzip
import json

from flask import Blueprint, Response, request

from campaign.services.results import leaderboard as lb
from campaign.services.results import leaderboard_cache as cache

from ..access import PUBLIC, allow
from ..public import pages
from ..public.views import _accepts_gzip
from .openapi import OPENAPI

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_OPENAPI_BODY = json.dumps(OPENAPI, ensure_ascii=False, indent=1)
# Board URLs already resolved: (ref, query string) → [directory, snapshot key, payload name, payload,
# body bytes, its gzip form once made]; used only while the directory and the payload are current.
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
    # Fast path as the HTML board's: a URL already resolved against this directory, whose page payload
    # is still this process's current one, is served as it was resolved.
    route_key = (ref, request.query_string)
    route = _routes.get(route_key)
    if route is not None and route[0] is directory and cache.peek(route[1], route[2]) is route[3]:
        return _send(route)
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
    found = pages.get_api_page(camp, level, cluster, page, per_page)
    if found is None:
        return _error(404, "not_found", f"page {page} is past the last page of this board")
    route = [directory, *pages.api_page_ref(camp, level, cluster, page, per_page), found, found["body"].encode(), None]
    if per_page == pages.API_PER_PAGE:  # (other sizes live in the search cache, which peek does not see)
        if len(_routes) >= _ROUTES_MAX:
            _routes.clear()
        _routes[route_key] = route
    return _send(route)


def _send(route: list) -> Response:
    """A page's JSON, gzipped once per route for clients that accept it (a 50-row page: ~17 KB → ~3 KB)."""
    if not _accepts_gzip():
        resp = Response(route[4], content_type="application/json")
    else:
        if route[5] is None:
            route[5] = gzip.compress(route[4], compresslevel=9, mtime=0)
        resp = Response(route[5], content_type="application/json")
        resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Vary"] = "Accept-Encoding"
    return resp


@bp.route("/openapi.json")
@allow(PUBLIC)
def openapi():
    return _json(_OPENAPI_BODY)
