"""Read published snapshots for the public pages (never provisional results)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import Campaign, ScoreRun, Unit, UnitResult


@dataclass
class Board:
    campaign: Campaign | None
    run: ScoreRun | None
    rows: list[dict] = field(default_factory=list)


def latest_snapshot(campaign_id: int | None = None) -> ScoreRun | None:
    q = sa.select(ScoreRun).where(ScoreRun.kind == "snapshot", ScoreRun.published_at.is_not(None))
    if campaign_id is not None:
        q = q.where(ScoreRun.campaign_id == campaign_id)
    return db.session.scalar(q.order_by(ScoreRun.published_at.desc(), ScoreRun.id.desc()).limit(1))


def latest_public_board(level: int = 2) -> Board:
    run = latest_snapshot()
    if run is None:
        return Board(None, None)
    campaign = db.session.get(Campaign, run.campaign_id)
    rows = db.session.execute(
        sa.select(UnitResult, Unit.name, Unit.code)
        .join(Unit, Unit.id == UnitResult.unit_id)
        .where(UnitResult.run_id == run.id, UnitResult.level == level)
        .order_by(UnitResult.rank, Unit.code)
    ).all()
    return Board(campaign, run, [
        {"rank": r.rank, "tied": r.tied, "unit": name, "code": code, "total": r.total, "band": r.band}
        for r, name, code in rows
    ])
