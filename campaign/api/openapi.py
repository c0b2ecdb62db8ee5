"""OpenAPI 3.1 description of the public API, served at /api/v1/openapi.json."""
from __future__ import annotations

_row = {
    "type": "object",
    "required": ["unit_code", "unit_name", "score", "rank", "band", "group_scores"],
    "properties": {
        "unit_code": {"type": "string", "description": "GSO code of the unit"},
        "unit_name": {"type": "string"},
        "score": {"type": "number"},
        "rank": {"type": ["integer", "null"],
                 "description": "Rank shown (rank in cluster when a cluster is chosen); equal ranks are ties"},
        "tied": {"type": "boolean"},
        "overall_rank": {"type": ["integer", "null"]},
        "band": {"type": ["string", "null"], "description": "Band code from the campaign settings"},
        "band_label": {"type": ["string", "null"], "description": "The band's name in the response's language "
                       "(Content-Language), as the HTML board shows it; \"Chưa nộp\"/\"Not submitted\" for a unit "
                       "that did not submit; null without a band"},
        "cluster": {"type": ["string", "null"]},
        "group_scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "change": {"type": ["integer", "null"],
                   "description": "Places gained since the previous published result (null: not ranked then)"},
        "interval": {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "statistically_tied": {"type": "boolean"},
        "status": {"type": "string", "enum": ["ranked", "not_submitted"],
                   "description": "not_submitted: the unit did not submit; it is not scored, ranked or banded"},
        "band_reason": {"type": ["object", "null"], "description": "Why the unit got its band: every higher band "
                        "missed, whether its minimum total was reached and the groups under its floor", "properties": {
            "band": {"type": ["string", "null"]},
            "missed": {"type": "array", "items": {"type": "object", "properties": {
                "band": {"type": "string"}, "min_total": {"type": "number"}, "total_reached": {"type": "boolean"},
                "failed_floors": {"type": "array", "items": {"type": "object", "properties": {
                    "group": {"type": "string"}, "pct": {"type": "number"}, "floor_pct": {"type": "number"}}}}}}}}},
    },
}
_campaign = {
    "type": "object", "required": ["id", "slug", "name"],
    "properties": {"id": {"type": "integer"}, "slug": {"type": "string"}, "name": {"type": "string"},
                   "name_en": {"type": ["string", "null"]}},
}
_link = {"type": ["string", "null"], "description": "URL of that page (null: there is none)"}
_paging = {
    "type": "object", "required": ["page", "per_page", "pages", "total", "first", "last", "previous", "next"],
    "description": "Which rows this page holds: rows (page - 1) * per_page + 1 … of total; follow next for the rest",
    "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"}, "pages": {"type": "integer"},
                   "total": {"type": "integer", "description": "rows of the whole board (level, cluster)"},
                   "first": _link, "last": _link, "previous": _link, "next": _link},
}
_error = {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Thi Đua public API", "version": "1.0.0",
             "description": "Published results of emulation campaigns (phong trào thi đua). Only published "
                            "snapshots of campaigns whose results are public are ever returned."},
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/campaigns": {"get": {
            "operationId": "listCampaigns", "summary": "Campaigns with published public results",
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
                "type": "object", "required": ["campaigns"], "properties": {"campaigns": {"type": "array", "items": {
                    "allOf": [_campaign, {"type": "object", "properties": {
                        "year": {"type": ["integer", "null"]}, "snapshot_id": {"type": "integer"},
                        "published_at": {"type": "string", "format": "date-time"},
                        "snapshots": {"type": "array", "items": {"type": "object", "properties": {
                            "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["snapshot", "midterm"]},
                            "published_at": {"type": "string", "format": "date-time"}}}}}}]}}}}}}}}}},
        "/campaigns/{ref}/leaderboard": {"get": {
            "operationId": "getLeaderboard", "summary": "Ranked units of the latest published result",
            "parameters": [
                {"name": "ref", "in": "path", "required": True, "description": "campaign id or slug",
                 "schema": {"type": "string"}},
                {"name": "level", "in": "query", "description": "district by default; commune for a campaign "
                 "without districts (two-tier, from 1 July 2025)", "schema": {"type": "string", "enum": ["district", "commune"]}},
                {"name": "cluster", "in": "query", "description": "cluster code", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "description": "page of the board, from 1 (a page past the last: 404)",
                 "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "per_page", "in": "query", "description": "rows per page; more than 500 gives 500",
                 "schema": {"type": "integer", "minimum": 1, "default": 50}},
                {"name": "q", "in": "query", "description": "find units as the HTML board's search does: every word "
                 "in the unit's name (Vietnamese or English) or code, diacritics and case ignored (\"ba dinh\" finds "
                 "\"Ba Đình\"); at most 60 characters. rank stays the unit's rank on the whole board; paging counts "
                 "the units found (an empty first page when none is)", "schema": {"type": "string", "maxLength": 60}},
                {"name": "lang", "in": "query", "description": "language of band_label: vi or en. Without it: the "
                 "language the visitor chose on the site, else Accept-Language, else vi",
                 "schema": {"type": "string", "enum": ["vi", "en"]}},
                {"name": "If-None-Match", "in": "header", "description": "the ETag of a body the client holds: "
                 "304 without a body when it is still the current one", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["campaign", "snapshot_id", "published_at", "rows"],
                    "properties": {
                        "campaign": _campaign, "snapshot_id": {"type": "integer"},
                        "kind": {"type": "string", "enum": ["snapshot", "midterm"]},
                        "published_at": {"type": "string", "format": "date-time"},
                        "level": {"type": "string", "enum": ["district", "commune"]},
                        "cluster": {"type": ["string", "null"]},
                        "groups": {"type": "array", "items": {"type": "object", "properties": {
                            "code": {"type": "string"}, "name": {"type": "string"}, "name_en": {"type": ["string", "null"]}}}},
                        "rows": {"type": "array", "items": _row, "description": "the rows of this page, in rank order"},
                        "paging": _paging}}}},
                        "headers": {"ETag": {"description": "identifies this body (send it back in If-None-Match)",
                                             "schema": {"type": "string"}},
                                    "Content-Language": {"description": "language of band_label (vi or en)",
                                                         "schema": {"type": "string"}}}},
                "304": {"description": "Not modified: the If-None-Match ETag is the current body's"},
                "400": {"description": "Bad level, page, per_page or lang", "content": {"application/json": {"schema": _error}}},
                "404": {"description": "Unknown campaign or cluster, nothing published, or a page past the last",
                        "content": {"application/json": {"schema": _error}}},
            }}},
        "/openapi.json": {"get": {"operationId": "openapi", "summary": "This description",
                                  "responses": {"200": {"description": "OK"}}}},
    },
}
