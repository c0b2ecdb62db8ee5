"""Reading unit lineage: which old units a unit was formed from, and what they published.

A predecessor's results stay its own: they are listed per predecessor (and per the district it
belonged to), never added up or drawn as the successor's trend.
"""
from __future__ import annotations

from datetime import date

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


def current_unit_id(code: str, on: date | None = None) -> int | None:
    """The unit that holds ``code`` on ``on`` (today by default): codes are reused over time."""
    on = on or date.today()
    return db.session.scalar(sa.select(Unit.id).where(
        Unit.code == code, sa.or_(Unit.valid_from.is_(None), Unit.valid_from <= on),
        sa.or_(Unit.valid_to.is_(None), Unit.valid_to > on)).order_by(Unit.valid_from.desc().nulls_last()).limit(1))


def public_lineage(code: str, year: int | None = None) -> dict | None:
    """For a unit's public page (a campaign of ``year``): its predecessors grouped by former district, each
    with its own published results (latest published snapshot of each campaign), and the district's own.
    None without lineage."""
    unit_id = current_unit_id(code, date(year, 12, 31) if year else None)
    preds = predecessors(unit_id) if unit_id else []
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
    latest = (sa.select(ScoreRun.campaign_id, sa.func.max(ScoreRun.id).label("run_id"))
              .where(ScoreRun.published_at.is_not(None)).group_by(ScoreRun.campaign_id).subquery())
    count = (sa.select(UnitResult.run_id, UnitResult.level, sa.func.count().label("n"))
             .group_by(UnitResult.run_id, UnitResult.level).subquery())
    rows = db.session.execute(
        sa.select(UnitResult.unit_id, UnitResult.total, UnitResult.rank, count.c.n, Campaign)
        .join(latest, latest.c.run_id == UnitResult.run_id)
        .join(Campaign, Campaign.id == latest.c.campaign_id)
        .join(count, sa.and_(count.c.run_id == UnitResult.run_id, count.c.level == UnitResult.level))
        .where(UnitResult.unit_id.in_(unit_ids)).order_by(Campaign.period_end, Campaign.id)).all()
    out: dict[int, list[dict]] = {}
    for unit_id, total, rank, n, campaign in rows:
        out.setdefault(unit_id, []).append({"campaign": campaign, "total": total, "rank": rank, "count": n})
    return out
