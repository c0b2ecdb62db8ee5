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


class SQLCounter:
    """Counts SQL statements sent to the database (transaction control BEGIN/COMMIT/ROLLBACK,
    which SQLAlchemy issues around any statement, is listed separately)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []
        self.control: list[str] = []
        self.param_sets: list[int] = []  # per statement: rows it was executed for (executemany)

    def _hook(self, conn, cursor, statement, params, context, executemany):
        if statement.strip().upper() in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            self.control.append(statement)
        else:
            self.statements.append(statement)
            self.param_sets.append(len(params) if executemany else 1)

    def rows(self, *prefixes: str) -> int:
        """Rows sent with the statements that start with one of ``prefixes`` (case-insensitive)."""
        heads = tuple(p.upper() for p in prefixes)
        return sum(n for st, n in zip(self.statements, self.param_sets, strict=True) if st.lstrip().upper().startswith(heads))

    def ran(self, *prefixes: str) -> bool:
        """Whether a statement starting with one of ``prefixes`` ran (e.g. ``"DELETE FROM unit_result"``)."""
        heads = tuple(p.upper() for p in prefixes)
        return any(st.lstrip().upper().startswith(heads) for st in self.statements)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._hook)


def rows_of(html: str) -> list[dict]:
    """(code, rank cell text, score text, band text, band reason, change text) of the ranked table rows."""
    import re

    out = []
    for m in re.finditer(r'<tr data-testid="row-([^"]+)" data-rank="([^"]*)"(?: class="tied")?>(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'<td[^>]*data-testid="(rank|score|band|change|interval)">(.*?)</td>', m.group(3), re.S))
        strip = lambda s: re.sub(r"<[^>]+>", "", s or "").strip()  # noqa: E731
        out.append({"code": m.group(1), "rank": m.group(2), "tied": 'class="tied"' in m.group(0),
                    "rank_text": strip(cells.get("rank")), "score": strip(cells.get("score")),
                    "band": strip(re.sub(r'<div[^>]*data-testid="band-reason".*?</div>', "", cells.get("band") or "",
                                         flags=re.S)),
                    "reason": strip("".join(re.findall(r'data-testid="band-reason">(.*?)</div>', cells.get("band") or "",
                                                       re.S))),
                    "change": strip(cells.get("change")),
                    "interval": cells.get("interval", "")})
    return out
