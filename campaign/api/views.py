"""Public JSON API (blueprint `api`, under /api/v1): published leaderboards, OpenAPI description.

Bodies are served from the same snapshot-keyed cache as the pages (no SQL on a hit). A board is paged
like the HTML board: 50 rows by default, ``per_page`` up to 500, a ``paging`` object with the links.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, request

from campaign.services.results import leaderboard as lb
from campaign.services.results import leaderboard_cache as cache

from ..access import PUBLIC, allow
from ..public import pages
from .openapi import OPENAPI

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_OPENAPI_BODY = json.dumps(OPENAPI, ensure_ascii=False, indent=1)


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
    directory = cache.directory()
    camp = lb.resolve(directory, ref)
    if camp is None:
        return _error(404, "not_found", "no published public results for this campaign")
    level = request.args.get("level", "district")
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
    body = pages.get_api_leaderboard(camp, level, cluster, page, min(per_page, pages.API_MAX_PER_PAGE))
    if body is None:
        return _error(404, "not_found", f"page {page} is past the last page of this board")
    return _json(body)


@bp.route("/openapi.json")
@allow(PUBLIC)
def openapi():
    return _json(_OPENAPI_BODY)
