"""Public JSON API (blueprint `api`, under /api/v1): published leaderboards, OpenAPI description.

Bodies are served from the same snapshot-keyed cache as the pages (no SQL on a hit).
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


@bp.route("/campaigns/<ref>/leaderboard")
@allow(PUBLIC)
def leaderboard(ref: str):
    directory = cache.directory()
    camp = lb.resolve(directory, ref)
    if camp is None:
        return _json(json.dumps({"error": "not_found", "message": "no published public results for this campaign"}), 404)
    level = request.args.get("level", "district")
    if level not in lb.LEVELS:
        return _json(json.dumps({"error": "bad_request", "message": "level must be district or commune"}), 400)
    cluster = request.args.get("cluster") or None
    if cluster is not None and pages.valid_cluster(camp, level, cluster) is None:
        return _json(json.dumps({"error": "not_found", "message": "unknown cluster"}), 404)
    return _json(pages.get_api_leaderboard(camp, level, cluster))


@bp.route("/openapi.json")
@allow(PUBLIC)
def openapi():
    return _json(_OPENAPI_BODY)
