"""Publishing: freezing the provisional result as an immutable snapshot, once per data version.

Two admins pressing "Công bố" at once must give ONE snapshot: the campaign row is locked for the
publication (``FOR UPDATE`` on PostgreSQL; SQLite's writers are serialised by ``BEGIN
IMMEDIATE``), and a publication of data already published under the same kind (same inputs
digest) is refused with a message. A unit that did not submit is published as "not submitted":
no rank, band, award or score — never its draft's figures.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, UnitResult, User
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError
from campaign.services.results import leaderboard_cache, queue
from campaign.services.results.writes import provisional_run
from campaign.services.setup.campaigns import get_campaign

log = logging.getLogger(__name__)
KINDS = ("snapshot", "midterm")


def _check(campaign_id: int, kind: str, *, lock: bool) -> tuple[Campaign, ScoreRun]:
    """The campaign and its provisional run, if publishing them now is allowed (else a translated error)."""
    if kind not in KINDS:
        raise DomainError(_("Loại công bố không hợp lệ."))
    c = get_campaign(campaign_id, lock=lock, refresh=True)
    run = provisional_run(campaign_id)
    if c.is_stale or run is None or run.inputs_version != c.inputs_version:
        raise Conflict(_("Kết quả tạm tính chưa cập nhật; hãy chờ tính lại xong rồi công bố."))
    same = db.session.scalar(sa.select(ScoreRun.id).where(
        ScoreRun.campaign_id == campaign_id, ScoreRun.kind == kind, ScoreRun.published_at.is_not(None),
        ScoreRun.inputs_digest == run.inputs_digest).limit(1))
    if same is not None:
        raise Conflict(_("Kết quả này đã được công bố; dữ liệu chưa thay đổi từ lần công bố trước "
                         "nên không công bố lại."))
    return c, run


def publish(campaign_id: int, user_id: int | None = None, kind: str = "snapshot", label: str = "") -> int:
    """Freeze the provisional result as an immutable snapshot (or mid-term) run; return its id."""
    _c, run = _check(campaign_id, kind, lock=True)
    previous = db.session.scalar(sa.select(ScoreRun.id).where(
        ScoreRun.campaign_id == campaign_id, ScoreRun.kind == kind, ScoreRun.published_at.is_not(None))
        .order_by(ScoreRun.published_at.desc(), ScoreRun.id.desc()).limit(1))
    now = utcnow()
    snap = ScoreRun(campaign_id=campaign_id, kind=kind, status="done", inputs_version=run.inputs_version,
                    inputs_digest=run.inputs_digest, framework_version_id=run.framework_version_id,
                    settings=dict(run.settings or {}), normalisation=run.normalisation, label=label or "", progress=1.0,
                    started_at=run.started_at, finished_at=run.finished_at, published_at=now,
                    published_by_id=user_id, previous_snapshot_id=previous)
    db.session.add(snap)
    db.session.flush()
    t = UnitResult.__table__
    cols = [c_.name for c_ in t.columns if c_.name not in ("id", "run_id")]
    db.session.execute(sa.insert(UnitResult).from_select(
        ["run_id", *cols], sa.select(sa.literal(snap.id), *[t.c[c_] for c_ in cols]).where(t.c.run_id == run.id)))
    # Not submitted: published without any figure of the draft.
    db.session.execute(t.update().where(t.c.run_id == snap.id, t.c.status == "not_submitted")
                       .values(total=0.0, own_total=None, self_total=None, group_scores={}, interval_low=None,
                               interval_high=None, flagged=False,
                               explanation={"v": 2, "status": "not_submitted"}))
    n_not = db.session.scalar(sa.select(sa.func.count()).select_from(t)
                              .where(t.c.run_id == snap.id, t.c.status == "not_submitted"))
    audit.record("results.publish", "score_run", snap.id, campaign_id=campaign_id,
                 after={"kind": kind, "label": label, "inputs_digest": run.inputs_digest,
                        "inputs_version": run.inputs_version, "previous_snapshot_id": previous,
                        "not_submitted": n_not},
                 actor=db.session.get(User, user_id) if user_id is not None else None)
    db.session.commit()
    leaderboard_cache.warm(snap.id)  # new cache generation + the hot public pages built now (never raises)
    return snap.id


def request_publish(campaign_id: int, user_id: int | None, kind: str = "snapshot", label: str = "") -> bool:
    """Check the guard now, then publish in the worker (or inline if the pipeline is down).

    Returns True when enqueued, False when it was published inline.
    """
    _check(campaign_id, kind, lock=False)
    db.session.rollback()  # end the read (and SQLite's write lock) before the worker publishes
    try:
        queue.send(queue.PUBLISH_SNAPSHOT, [campaign_id, user_id, kind, label])
        return True
    except Exception as exc:  # noqa: BLE001 - broker down: publishing is a small copy, do it here
        log.warning("publish of campaign %s not enqueued (%s); publishing inline", campaign_id, exc)
        publish(campaign_id, user_id=user_id, kind=kind, label=label)
        return False


def latest_runs(campaign_id: int) -> dict:
    """The provisional run and the published runs (newest first) of a campaign."""
    runs = list(db.session.scalars(sa.select(ScoreRun).where(ScoreRun.campaign_id == campaign_id,
                                                             ScoreRun.kind.in_(("snapshot", "midterm")))
                                   .order_by(ScoreRun.published_at.desc(), ScoreRun.id.desc())))
    return {"provisional": provisional_run(campaign_id), "published": runs}
