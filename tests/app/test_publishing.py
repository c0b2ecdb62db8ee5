"""Publishing: one snapshot per data version, drafts never published with a score."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import ScoreRun, UnitResult
from campaign.services.errors import Conflict
from campaign.services.results import publishing, recompute
from campaign.services.results.freshness import mark_stale
from tests.admin_helpers import request_ctx  # noqa: F401 - fixture
from tests.results_helpers import rich_framework, save_values

FULL = {"I.1": 90.0, "I.2": 12.0, "I.3": True, "I.4": 7.0, "II.1": 7.0, "II.2": "good", "II.3": 4.0,
        "B.1": 4.0, "P.1": 1.0}  # 41 + 42 + 5 − 4 = 84 (see test_recompute_engine's hand example)


def _campaign(factory):
    doc = rich_framework("fw-pub")
    a, b, c = factory.unit(), factory.unit(), factory.unit()
    camp = factory.campaign(doc=doc, units=[a, b, c],
                            settings={"bands": [{"code": "tot", "min_total": 50}], "award_quota_pct": 100})
    ea = factory.entry(camp, a, status="submitted")
    eb = factory.entry(camp, b)  # a draft
    save_values(ea, doc, FULL)
    save_values(eb, doc, {**FULL, "P.1": 0.0})  # 88: would be first
    db.session.commit()
    recompute.recompute_provisional(camp.id)
    return camp, a, b, c, doc, ea


def _rows(run_id: int) -> dict:
    return {r.unit_id: r for r in db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == run_id))}


def test_published_snapshot_ranks_only_submitted_entries_and_shows_no_draft_score(app, factory):
    camp, a, b, c, _doc, _ea = _campaign(factory)
    prov = _rows(recompute.provisional_run(camp.id).id)
    assert (prov[b.id].status, prov[b.id].total, prov[b.id].rank) == ("not_submitted", 88.0, None)  # draft, provisional
    snap_id = publishing.publish(camp.id, kind="snapshot")
    rows = _rows(snap_id)
    assert (rows[a.id].status, rows[a.id].total, rows[a.id].rank, rows[a.id].band) == ("ranked", 84.0, 1, "tot")
    for u in (b, c):  # the draft and the unit without an entry
        r = rows[u.id]
        assert (r.status, r.total, r.own_total, r.rank, r.band, r.award, r.group_scores) == (
            "not_submitted", 0.0, None, None, None, None, {})
        assert r.explanation == {"v": 2, "status": "not_submitted"}
        detail = recompute.explain(snap_id, u.id)  # the explanation page of the published row
        assert detail["total"] == 0.0 and detail["status"] == "not_submitted" and "indicators" not in detail
    assert len(recompute.explain(recompute.provisional_run(camp.id).id, b.id)["indicators"]) == 9  # draft, provisional


@pytest.mark.usefixtures("request_ctx")
def test_republishing_unchanged_data_is_refused_with_a_message(app, factory):
    camp, _a, _b, _c, doc, ea = _campaign(factory)
    first = publishing.publish(camp.id)
    with pytest.raises(Conflict) as exc:
        publishing.publish(camp.id)
    assert exc.value.message == ("Kết quả này đã được công bố; dữ liệu chưa thay đổi từ lần công bố trước "
                                 "nên không công bố lại.")
    with pytest.raises(Conflict):
        publishing.request_publish(camp.id, None)  # refused before anything is queued
    # A mid-term publication is another kind; new data may be published again.
    assert publishing.publish(camp.id, kind="midterm") != first
    save_values(ea, doc, {"P.1": 2.0})
    mark_stale(camp.id, entries=[ea.id])
    db.session.commit()
    recompute.recompute_provisional(camp.id)
    second = publishing.publish(camp.id)
    assert second != first
    assert db.session.get(ScoreRun, second).previous_snapshot_id == first


def test_two_admins_publishing_at_once_make_one_snapshot(app, factory):
    camp, *_ = _campaign(factory)
    cid = camp.id
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list = []

    def press_publish(user_no: int) -> None:
        with app.test_request_context():  # services translate their messages
            barrier.wait()
            try:
                outcomes.append(("ok", publishing.publish(cid, kind="snapshot", label=f"admin {user_no}")))
            except Conflict as exc:
                outcomes.append(("refused", str(exc)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press_publish, args=(k,)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"]
    snaps = list(db.session.scalars(sa.select(ScoreRun).where(ScoreRun.campaign_id == cid,
                                                              ScoreRun.kind == "snapshot")))
    assert len(snaps) == 1
