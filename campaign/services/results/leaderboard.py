"""Read published snapshots for the public pages (never provisional results).

Everything public goes through ``load_directory()``: the published runs (kind snapshot or
midterm, ``published_at`` set) of campaigns with ``results_public``. A provisional or what-if
run is never listed there, so no page, export or API response can reach one.

Builders return plain JSON-able dicts (cached in Redis by leaderboard_cache) and run few,
set-based statements: directory 1, all rows of a run 1, unit page +1, overview +1.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import (
    Campaign,
    CampaignUnit,
    Cluster,
    Entry,
    EvidenceFile,
    FrameworkVersion,
    IndicatorNode,
    MapLayer,
    ScoreRun,
    Unit,
    UnitLineage,
    UnitResult,
)
from campaign.models.base import JSONType
from campaign.models.judging import Assignment, JudgeScore

PUBLIC_KINDS = ("snapshot", "midterm")
LEVELS = {"district": 2, "commune": 3}
SUBMITTED = ("submitted", "resubmitted", "appraised", "clarification_requested")


# ---------------------------------------------------------------- directory (1 statement)
def _name(node: dict, lang: str) -> str:
    name = node.get("name")
    if isinstance(name, dict):
        return name.get(lang) or name.get("vi") or node.get("code", "")
    return name or node.get("code", "")


def framework_labels(document: dict | None) -> dict:
    """Top-level groups and every node's names from a framework document."""
    groups, criteria = [], {}

    def walk(node: dict, top: str):
        criteria[node["code"]] = {"vi": _name(node, "vi"), "en": _name(node, "en"), "group": top,
                                  "max_points": node.get("max_points")}
        for child in node.get("children") or []:
            walk(child, top)

    for g in (document or {}).get("groups") or []:
        groups.append({"code": g["code"], "name": _name(g, "vi"), "name_en": _name(g, "en"),
                       "kind": g.get("kind", "regular"), "max_points": g.get("max_points"),
                       "floor_pct": g.get("floor_pct")})
        walk(g, g["code"])
    return {"groups": groups, "criteria": criteria}


def load_directory() -> dict:
    """Every public campaign with its published runs, newest publish first. ONE statement."""
    fv_id = sa.func.coalesce(ScoreRun.framework_version_id, Campaign.framework_version_id)
    rows = db.session.execute(
        sa.select(ScoreRun.id, ScoreRun.campaign_id, ScoreRun.kind, ScoreRun.label, ScoreRun.published_at,
                  ScoreRun.previous_snapshot_id, Campaign.slug, Campaign.name, Campaign.name_en,
                  Campaign.settings, ScoreRun.settings.label("run_settings"), Campaign.period_start,
                  Campaign.period_end, FrameworkVersion.document)
        .join(Campaign, Campaign.id == ScoreRun.campaign_id)
        .outerjoin(FrameworkVersion, FrameworkVersion.id == fv_id)
        .where(ScoreRun.kind.in_(PUBLIC_KINDS), ScoreRun.published_at.is_not(None),
               ScoreRun.status == "done", Campaign.results_public.is_(True))
        .order_by(ScoreRun.published_at.desc(), ScoreRun.id.desc())
    ).all()
    campaigns: dict[int, dict] = {}
    for r in rows:
        camp = campaigns.get(r.campaign_id)
        if camp is None:
            # The bands and intervals the newest publication was computed with (a snapshot keeps its
            # run's settings): editing the campaign's bands later must not relabel what was published.
            # (A run without recorded settings, from before they were kept, falls back to the campaign's.)
            settings = r.run_settings or r.settings or {}
            camp = campaigns[r.campaign_id] = {
                "id": r.campaign_id, "slug": r.slug, "name": r.name, "name_en": r.name_en,
                "year": r.period_end.year if r.period_end else (r.period_start.year if r.period_start else None),
                "bands": [b for b in settings.get("bands") or [] if isinstance(b, dict) and "code" in b],
                "show_intervals": bool(settings.get("show_intervals")),
                "labels": framework_labels(r.document), "runs": []}
        camp["runs"].append({"id": r.id, "kind": r.kind, "label": r.label or "",
                             "published_at": r.published_at.isoformat(), "previous_snapshot_id": r.previous_snapshot_id})
    published_ids = {r.id for r in rows}
    for camp in campaigns.values():
        runs = camp["runs"]
        for i, run in enumerate(runs):
            # change is measured against the previous PUBLISHED result, never a provisional one
            prev = run["previous_snapshot_id"]
            if prev not in published_ids:
                prev = runs[i + 1]["id"] if i + 1 < len(runs) else None
            run["previous_id"] = prev
    return {"campaigns": list(campaigns.values())}


def resolve(directory: dict, ref: str | int | None) -> dict | None:
    """A public campaign by id or slug; the latest published one when ref is empty."""
    campaigns = directory["campaigns"]
    if ref in (None, ""):
        return campaigns[0] if campaigns else None
    ref = str(ref)
    for camp in campaigns:
        if camp["slug"] == ref or str(camp["id"]) == ref:
            return camp
    return None


def published_at(run: dict) -> datetime:
    return datetime.fromisoformat(run["published_at"])


# ---------------------------------------------------------------- rows (1 statement)
def _rows_query(run_id: int, prev_id: int | None):
    prev = sa.orm.aliased(UnitResult)
    parent = sa.orm.aliased(Unit)
    return (
        sa.select(UnitResult.unit_id, UnitResult.run_id, UnitResult.level, UnitResult.status, UnitResult.total,
                  UnitResult.rank,
                  UnitResult.rank_in_cluster, UnitResult.tied, UnitResult.band, UnitResult.group_scores,
                  UnitResult.band_note,
                  UnitResult.interval_low, UnitResult.interval_high, Unit.code, Unit.name, Unit.name_en,
                  Unit.latitude, Unit.longitude, parent.code.label("parent_code"),
                  Cluster.code.label("cluster_code"), Cluster.name.label("cluster_name"),
                  Cluster.name_en.label("cluster_name_en"), prev.rank.label("prev_rank"),
                  prev.rank_in_cluster.label("prev_rank_in_cluster"), prev.total.label("prev_total"),
                  sa.exists().where(UnitLineage.successor_id == UnitResult.unit_id).label("has_lineage"))
        .join(Unit, Unit.id == UnitResult.unit_id)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .outerjoin(Cluster, Cluster.id == UnitResult.cluster_id)
        .outerjoin(prev, sa.and_(prev.run_id == (prev_id if prev_id is not None else -1),
                                 prev.unit_id == UnitResult.unit_id))
    )


def _row_dict(r) -> dict:
    return {"code": r.code, "name": r.name, "name_en": r.name_en, "level": r.level, "status": r.status,
            "total": r.total,
            "overall_rank": r.rank, "rank_in_cluster": r.rank_in_cluster, "band": r.band,
            "group_scores": r.group_scores or {}, "interval_low": r.interval_low, "interval_high": r.interval_high,
            "band_note": r.band_note,  # failed conditions, criteria met: the band's reason (issue 16)
            "lat": r.latitude, "lon": r.longitude, "parent_code": r.parent_code, "cluster": r.cluster_code,
            "cluster_name": r.cluster_name, "cluster_name_en": r.cluster_name_en,
            "prev_rank": r.prev_rank, "prev_rank_in_cluster": r.prev_rank_in_cluster, "prev_total": r.prev_total,
            "unit_id": r.unit_id, "has_lineage": bool(r.has_lineage)}  # formed from older units (unit_lineage)


def shape_rows(rows: list[dict], *, in_cluster: bool, show_intervals: bool) -> list[dict]:
    """Displayed rank, ties, change since the previous published result, statistical ties."""
    for row in rows:
        if in_cluster and row["rank_in_cluster"] is not None:
            row["rank"], prev = row["rank_in_cluster"], row["prev_rank_in_cluster"]
        else:
            row["rank"], prev = row["overall_rank"], row["prev_rank"]
        row["is_new"] = prev is None
        row["change"] = None if prev is None or row["rank"] is None else prev - row["rank"]
        row["delta"] = None if row["prev_total"] is None else round(row["total"] - row["prev_total"], 4)
    rows = sorted(rows, key=lambda x: (x["rank"] is None, x["rank"] or 0, -(x["total"] or 0), x["code"]))
    counts: dict = {}
    for row in rows:
        counts[row["rank"]] = counts.get(row["rank"], 0) + 1
    for row in rows:
        row["tied"] = row["rank"] is not None and counts[row["rank"]] > 1
        row["stat_tied"] = False
    if show_intervals:
        def overlap(a, b):
            return (a["interval_low"] is not None and b["interval_low"] is not None
                    and a["interval_low"] <= b["interval_high"] and b["interval_low"] <= a["interval_high"])
        for a, b in zip(rows, rows[1:], strict=False):  # neighbours: one pair fewer than rows
            if overlap(a, b):
                a["stat_tied"] = b["stat_tied"] = True
    return rows


def run_rows(camp: dict, run: dict | None = None) -> list[dict]:
    """Every unit's result (both levels) of the campaign's published run. ONE statement."""
    run = run or camp["runs"][0]
    return [_row_dict(r) for r in db.session.execute(
        _rows_query(run["id"], run["previous_id"]).where(UnitResult.run_id == run["id"]))]


def board_data(camp: dict, level: str, cluster: str | None, rows: list[dict] | None = None,
               run: dict | None = None) -> dict:
    """The ranked table of one level (and cluster). No SQL when ``rows`` (run_rows) is given."""
    run = run or camp["runs"][0]
    level = level if level in LEVELS else "district"
    level_no = LEVELS[level]
    if rows is None:
        rows = run_rows(camp, run)
    raw = [dict(r) for r in rows if r["level"] == level_no]
    clusters = {}
    for row in raw:
        if row["cluster"]:
            clusters[row["cluster"]] = {"code": row["cluster"], "name": row["cluster_name"],
                                        "name_en": row["cluster_name_en"]}
    if cluster and cluster in clusters:
        raw = [r for r in raw if r["cluster"] == cluster]
    else:
        cluster = None
    shaped = shape_rows(raw, in_cluster=cluster is not None, show_intervals=camp["show_intervals"])
    return {"campaign": {k: camp[k] for k in ("id", "slug", "name", "name_en")}, "run": run,
            "level": level, "cluster": cluster,
            "clusters": sorted(clusters.values(), key=lambda c: c["code"]),
            "groups": camp["labels"]["groups"], "bands": camp["bands"], "show_intervals": camp["show_intervals"],
            "rows": shaped}


def api_rows(data: dict) -> list[dict]:
    return [{"unit_code": r["code"], "unit_name": r["name"], "score": r["total"], "rank": r["rank"],
             "tied": r["tied"], "overall_rank": r["overall_rank"], "band": r["band"], "cluster": r["cluster"],
             "group_scores": r["group_scores"], "change": r["change"],
             "interval": ([r["interval_low"], r["interval_high"]] if data["show_intervals"] and r["interval_low"] is not None
                          else None), "statistically_tied": r["stat_tied"]}
            for r in data["rows"]]


# ---------------------------------------------------------------- unit page (1 statement + run_rows)
def unit_data(camp: dict, code: str, rows: list[dict]) -> dict | None:
    """The unit's page data. ``rows`` is run_rows(camp) (cached); adds ONE statement."""
    run = camp["runs"][0]
    me = next((r for r in rows if r["code"] == code), None)
    if me is None:
        return None
    same_level = [dict(r) for r in rows if r["level"] == me["level"]]
    shaped = shape_rows(same_level, in_cluster=False, show_intervals=camp["show_intervals"])
    me_shaped = next(r for r in shaped if r["code"] == code)
    groups = camp["labels"]["groups"]
    n = len(shaped) or 1
    city_avg = {g["code"]: round(sum((r["group_scores"] or {}).get(g["code"], 0) for r in shaped) / n, 2)
                for g in groups}
    peers = [r for r in shaped if me["cluster"] and r["cluster"] == me["cluster"]]
    best = max(peers, key=lambda r: r["total"]) if peers else None
    children = shape_rows([dict(r) for r in rows if r["parent_code"] == code], in_cluster=False, show_intervals=False)
    history, explanation_doc, material = _unit_history_and_material(camp, code)
    for item in material["evidence"] + material["comments"]:  # the indicator's name, never a bare code
        label = camp["labels"]["criteria"].get(item["indicator"] or "", {})
        item.update(name=label.get("vi") or item["indicator"], name_en=label.get("en"))
    criteria = []
    for item in (explanation_doc or {}).get("indicators") or []:
        label = camp["labels"]["criteria"].get(item.get("code"), {})
        criteria.append({"code": item.get("code"), "name": label.get("vi", item.get("code")),
                         "name_en": label.get("en"), "group": label.get("group"),
                         "points": item.get("points"), "max_points": item.get("max_points")})
    hist = [{"run_id": r["id"], "kind": r["kind"], "label": r["label"], "published_at": r["published_at"],
             **history[r["id"]]} for r in reversed(camp["runs"]) if r["id"] in history]
    return {"campaign": {k: camp[k] for k in ("id", "slug", "name", "name_en")}, "run": run, "unit": me_shaped,
            "count": len(shaped), "groups": groups, "bands": camp["bands"], "show_intervals": camp["show_intervals"],
            "city_avg": city_avg, "city_avg_total": round(sum(r["total"] for r in shaped) / n, 2),
            "cluster_best": best and {"code": best["code"], "name": best["name"], "name_en": best["name_en"],
                                      "total": best["total"], "group_scores": best["group_scores"]},
            "criteria": criteria, "children": children, "rollup": (explanation_doc or {}).get("rollup"),
            "history": hist, **material}


def _unit_history_and_material(camp: dict, code: str) -> tuple[dict, dict | None, dict]:
    """ONE statement (UNION ALL): the unit's results in every published run of the campaign (with
    the current run's explanation), its public evidence files and the judges' public comments."""
    run_ids = [r["id"] for r in camp["runs"]]
    current = camp["runs"][0]["id"]
    unit_id = (sa.select(Unit.id).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)  # codes are reused over time
               .where(Unit.code == code, CampaignUnit.campaign_id == camp["id"]).limit(1).scalar_subquery())
    unit_entry = (sa.select(Entry.id).where(Entry.campaign_id == camp["id"], Entry.unit_id == unit_id)
                  .scalar_subquery())
    null_text, null_int = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Integer)
    null_float, null_json = sa.cast(sa.null(), sa.Float), sa.cast(sa.null(), JSONType)
    null_bool = sa.cast(sa.null(), sa.Boolean)
    history = (sa.select(sa.literal("run").label("kind"), UnitResult.run_id.label("id"), null_text.label("text"),
                         null_text.label("indicator"), UnitResult.total.label("total"), UnitResult.rank.label("rank"),
                         UnitResult.band.label("band"), UnitResult.status.label("status"), UnitResult.tied.label("tied"),
                         sa.case((UnitResult.run_id == current, UnitResult.explanation), else_=null_json)
                         .label("explanation"))
               .where(UnitResult.unit_id == unit_id, UnitResult.run_id.in_(run_ids)))
    files = (sa.select(sa.literal("file").label("kind"), EvidenceFile.id.label("id"),
                       EvidenceFile.original_name.label("text"), IndicatorNode.code.label("indicator"),
                       null_float.label("total"), null_int.label("rank"), null_text.label("band"),
                       null_text.label("status"), null_bool.label("tied"), null_json.label("explanation"))
             .outerjoin(IndicatorNode, IndicatorNode.id == EvidenceFile.indicator_id)
             .where(EvidenceFile.entry_id == unit_entry, EvidenceFile.is_public.is_(True),
                    EvidenceFile.status == "accepted", EvidenceFile.deleted_at.is_(None)))
    comments = (sa.select(sa.literal("comment").label("kind"), JudgeScore.id.label("id"),
                          JudgeScore.comment.label("text"), IndicatorNode.code.label("indicator"),
                          null_float.label("total"), null_int.label("rank"), null_text.label("band"),
                          null_text.label("status"), null_bool.label("tied"), null_json.label("explanation"))
                .join(Assignment, Assignment.id == JudgeScore.assignment_id)
                .join(IndicatorNode, IndicatorNode.id == JudgeScore.indicator_id)
                .where(Assignment.entry_id == unit_entry, Assignment.status == "submitted",
                       JudgeScore.comment_public.is_(True), JudgeScore.comment != ""))
    union = sa.union_all(history, files, comments).subquery()
    stmt = sa.select(union.c.kind, union.c.id, union.c.text, union.c.indicator, union.c.total, union.c.rank,
                     union.c.band, union.c.status, union.c.tied,
                     sa.type_coerce(union.c.explanation, JSONType).label("explanation"))
    hist, explanation, material = {}, None, {"evidence": [], "comments": []}
    for r in db.session.execute(stmt):
        if r.kind == "run":
            hist[r.id] = {"total": r.total, "rank": r.rank, "band": r.band, "status": r.status, "tied": bool(r.tied)}
            if r.id == current:
                explanation = r.explanation
        else:
            material["evidence" if r.kind == "file" else "comments"].append(
                {"id": r.id, "text": r.text, "indicator": r.indicator})
    for items in material.values():
        items.sort(key=lambda x: (x["indicator"] or "", x["id"]))
    return hist, explanation, material


# ---------------------------------------------------------------- overview (1 statement + run_rows)
def overview_data(camp: dict, rows: list[dict]) -> dict:
    participants = (sa.select(sa.func.count()).select_from(CampaignUnit)
                    .where(CampaignUnit.campaign_id == camp["id"]).scalar_subquery())
    submitted = (sa.select(sa.func.count()).select_from(Entry)
                 .where(Entry.campaign_id == camp["id"], Entry.status.in_(SUBMITTED)).scalar_subquery())
    layer = sa.type_coerce(sa.select(MapLayer.geojson).where(MapLayer.active.is_(True))
                           .order_by(MapLayer.id.desc()).limit(1).scalar_subquery(), JSONType)
    counts = db.session.execute(sa.select(participants.label("p"), submitted.label("s"), layer.label("g"))).one()
    return {"campaign": {k: camp[k] for k in ("id", "slug", "name", "name_en")}, "run": camp["runs"][0],
            "groups": camp["labels"]["groups"], "bands": camp["bands"], "rows": rows,
            "participants": counts.p, "submitted": counts.s, "geojson": counts.g}
