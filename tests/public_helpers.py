"""Builders for the public leaderboard tests: published snapshots written directly as rows."""
from __future__ import annotations

from datetime import timedelta

from campaign.extensions import db
from campaign.models import Cluster, ScoreRun, UnitResult
from campaign.models.base import utcnow

BANDS = [{"code": "xuat_sac", "min_total": 90, "floor_pct": 0}, {"code": "tot", "min_total": 75, "floor_pct": 0},
         {"code": "hoan_thanh", "min_total": 50, "floor_pct": 0}]


def band_of(total: float) -> str | None:
    for b in BANDS:
        if total >= b["min_total"]:
            return b["code"]
    return "khong_hoan_thanh"


def publish(campaign, results: list[tuple], *, kind: str = "snapshot", published: bool = True,
            previous: ScoreRun | None = None, level: int = 2, minutes_ago: int = 0, label: str = "") -> ScoreRun:
    """results: [(unit, total, rank, {group: pts}, cluster_or_None, rank_in_cluster, (lo, hi) or None)].

    Rows are written as given (rank and ties are the scoring engine's job, not the page's).
    """
    run = ScoreRun(campaign_id=campaign.id, kind=kind, status="done", label=label,
                   framework_version_id=campaign.framework_version_id,
                   published_at=(utcnow() - timedelta(minutes=minutes_ago)) if published else None,
                   previous_snapshot_id=previous.id if previous else None)
    db.session.add(run)
    db.session.flush()
    ranks = [r[2] for r in results]
    for item in results:
        unit, total, rank, groups = item[:4]
        cluster = item[4] if len(item) > 4 else None
        rank_in_cluster = item[5] if len(item) > 5 else None
        interval = item[6] if len(item) > 6 else None
        db.session.add(UnitResult(
            run_id=run.id, unit_id=unit.id, level=unit.level if level is None else level, total=total,
            rank=rank, tied=ranks.count(rank) > 1, band=band_of(total), group_scores=groups,
            cluster_id=cluster.id if cluster else None, rank_in_cluster=rank_in_cluster,
            interval_low=interval[0] if interval else None, interval_high=interval[1] if interval else None,
            explanation={"indicators": [{"code": "I.1", "points": groups.get("I", 0), "max_points": 60}]}))
    db.session.commit()
    return run


def cluster(campaign, code: str, name: str) -> Cluster:
    c = Cluster(code=code, name=name, campaign_id=campaign.id)
    db.session.add(c)
    db.session.flush()
    return c
