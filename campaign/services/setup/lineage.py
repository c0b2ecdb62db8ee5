"""Reading unit lineage: which old units a unit was formed from, and what they published.

A predecessor's results stay its own: they are listed per predecessor (and per the district it
belonged to), never added up or drawn as the successor's trend.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from campaign.extensions import db
from campaign.labels import N_
from campaign.models import Campaign, ScoreRun, Unit, UnitLineage, UnitResult

EVENT_LABELS = {"merger": N_("sáp nhập"), "split": N_("một phần (đơn vị cũ được chia)"),
                "rename": N_("đổi tên"), "kept": N_("giữ nguyên")}


def predecessors(unit_id: int) -> list[dict]:
    """The units ``unit_id`` was formed from, with the event and the district each belonged to."""
    pred, parent = aliased(Unit), aliased(Unit)
    rows = db.session.execute(
        sa.select(UnitLineage, pred, parent).join(pred, pred.id == UnitLineage.predecessor_id)
        .outerjoin(parent, parent.id == pred.parent_id)
        .where(UnitLineage.successor_id == unit_id).order_by(parent.code, pred.code)).all()
    return [{"event": link.event, "effective": link.effective, "source": link.source, "unit": p, "parent": par}
            for link, p, par in rows]


def successors(unit_id: int) -> list[dict]:
    succ = aliased(Unit)
    rows = db.session.execute(
        sa.select(UnitLineage, succ).join(succ, succ.id == UnitLineage.successor_id)
        .where(UnitLineage.predecessor_id == unit_id).order_by(succ.code)).all()
    return [{"event": link.event, "effective": link.effective, "unit": s} for link, s in rows]


def children_successors(unit_id: int) -> list[dict]:
    """Where the units below ``unit_id`` went: for a district ended by the 2025 reform, whose own
    page had no successor (the lineage links communes and wards, not districts). One entry per new
    unit, with the old units of ``unit_id`` it was formed from."""
    child, succ = aliased(Unit), aliased(Unit)
    rows = db.session.execute(
        sa.select(UnitLineage, child, succ).join(child, child.id == UnitLineage.predecessor_id)
        .join(succ, succ.id == UnitLineage.successor_id)
        .where(child.parent_id == unit_id).order_by(succ.code, child.code)).all()
    out: dict[int, dict] = {}
    for link, old, new in rows:
        out.setdefault(new.id, {"unit": new, "effective": link.effective, "from": []})["from"].append(old)
    return list(out.values())


def public_lineage(unit_id: int) -> dict | None:
    """For a unit's public page: its predecessors grouped by former district, each with its own published
    results (latest published run of each campaign), and the district's own. Two statements, no GROUP BY
    (the public pages' budget); called only for units that have lineage. None without predecessors."""
    preds = predecessors(unit_id)
    if not preds:
        return None
    ids = {p["unit"].id for p in preds} | {p["parent"].id for p in preds if p["parent"] is not None}
    results = _published_results(ids)
    groups: dict[int | None, dict] = {}
    for p in preds:
        parent = p["parent"]
        key = parent.id if parent is not None else None
        group = groups.setdefault(key, {"district": parent, "district_results": results.get(key, []) if key else [],
                                        "units": []})
        group["units"].append({**p, "results": results.get(p["unit"].id, [])})
    return {"effective": preds[0]["effective"], "groups": list(groups.values())}


def _published_results(unit_ids: set[int]) -> dict[int, list[dict]]:
    """unit id -> its result in the latest published run of each campaign, oldest campaign first."""
    newer = aliased(ScoreRun)
    others = aliased(UnitResult)
    count = (sa.select(sa.func.count()).where(others.run_id == UnitResult.run_id, others.level == UnitResult.level)
             .scalar_subquery())
    rows = db.session.execute(
        sa.select(UnitResult.unit_id, UnitResult.total, UnitResult.rank, count.label("n"), Campaign)
        .join(ScoreRun, ScoreRun.id == UnitResult.run_id).join(Campaign, Campaign.id == ScoreRun.campaign_id)
        .where(UnitResult.unit_id.in_(unit_ids), ScoreRun.published_at.is_not(None),
               ~sa.exists().where(newer.campaign_id == ScoreRun.campaign_id, newer.published_at.is_not(None),
                                  newer.id > ScoreRun.id))
        .order_by(Campaign.period_end, Campaign.id)).all()
    out: dict[int, list[dict]] = {}
    for unit_id, total, rank, n, campaign in rows:
        out.setdefault(unit_id, []).append({"campaign": campaign, "total": total, "rank": rank, "count": n})
    return out
