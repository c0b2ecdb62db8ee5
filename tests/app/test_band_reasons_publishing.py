"""Publishing says what it will do before doing it, and the public page labels what was published.

An official result is published from the appraisal stage on; while entries are still received only
a mid-term (preliminary) publication is possible, labelled as not official on the public pages.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import ScoreRun
from campaign.services.results import queue, recompute
from tests.band_reasons_helpers import board_cells
from tests.results_helpers import rich_framework, save_values

BANDS = [{"code": "tot", "min_total": 20, "label": {"vi": "Tốt", "en": "Good"}},
         {"code": "khong", "min_total": 0, "label": {"vi": "Không hoàn thành", "en": "Not completed"}}]


def _campaign(factory, status: str):
    """Five districts: two submitted (totals 25 and 10), three drafts (one of them with a high draft score)."""
    units = [factory.unit(name=f"Quận Công Bố {i}") for i in range(5)]
    doc = rich_framework(f"fw-pub-{status}")
    c = factory.campaign(doc=doc, units=units, status=status, slug=f"pub-{status}", settings={"bands": BANDS})
    for i, u in enumerate(units):
        e = factory.entry(c, u, status="submitted" if i < 2 else "draft")
        # I.2 target 10 → 15 points; I.3 yes → 10 points: 25, 10, and a 25-point draft
        save_values(e, doc, {"I.2": 12.0 if i in (0, 2) else 3.0, "I.3": True})
    db.session.commit()
    recompute.recompute_provisional(c.id)
    return c, units


def _snapshots(kind: str) -> list[ScoreRun]:
    db.session.rollback()  # end this session's transaction: the worker needs the write lock, and we need its rows
    return db.session.scalars(sa.select(ScoreRun).where(ScoreRun.kind == kind, ScoreRun.published_at.is_not(None))).all()


@pytest.fixture
def broker_down(monkeypatch):
    """The broker refuses the publish task, so the request publishes inline (its documented fallback).

    Deterministic, and no worker thread competing with the test for SQLite's write lock.
    """
    def refuse(*_args, **_kwargs):
        raise ConnectionError("broker down (test)")

    monkeypatch.setattr(queue, "send", refuse)


def test_publish_first_shows_what_will_happen_then_publishes_once_confirmed(app, client, factory, broker_down):
    admin = factory.user("admin")
    c, units = _campaign(factory, "appraisal")
    client.login(admin.username)
    page = client.submit(f"/admin/results/{c.id}/publish", {"label": "Tổng kết 2025"}, page=f"/admin/results/{c.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="publish-confirmation"' in html
    assert "2 trên 5 đơn vị đã nộp hồ sơ; 3 đơn vị sẽ được công bố là «Chưa nộp»" in html
    assert "kết quả chính thức" in html and 'value="Tổng kết 2025"' in html
    assert _snapshots("snapshot") == []  # nothing published by the first step

    client.submit(f"/admin/results/{c.id}/publish", {"label": "Tổng kết 2025", "confirmed": "1"},
                  page=f"/admin/results/{c.id}")
    [snap] = _snapshots("snapshot")
    assert snap.label == "Tổng kết 2025"

    board = client.get(f"/leaderboard?campaign={c.slug}").get_data(as_text=True)
    assert 'data-testid="run-kind">Kết quả chính thức</strong>' in board
    assert "Tổng kết 2025" in board
    # the drafts are "Chưa nộp", unranked, and the 25-point draft's score appears nowhere
    body = client.get(f"/api/v1/campaigns/{c.slug}/leaderboard").get_json()
    by = {r["unit_name"]: r for r in body["rows"]}
    assert [(by[u.name]["rank"], by[u.name]["status"]) for u in units] == [
        (1, "ranked"), (2, "ranked"), (None, "not_submitted"), (None, "not_submitted"), (None, "not_submitted")]
    cells = board_cells(board)
    assert [(cells[u.code]["rank"], cells[u.code]["score"], cells[u.code]["band"]) for u in units] == [
        ("1", "25,00", "Tốt"), ("2", "10,00", "Không hoàn thành"),
        ("–", "–", "Chưa nộp"), ("–", "–", "Chưa nộp"), ("–", "–", "Chưa nộp")]


def test_official_result_refused_while_entries_are_received_midterm_is_labelled(app, client, factory, broker_down):
    admin = factory.user("admin")
    c, _units = _campaign(factory, "open")
    client.login(admin.username)
    resp = client.submit(f"/admin/results/{c.id}/publish", {"label": "Kết quả sơ bộ", "confirmed": "1"},
                         page=f"/admin/results/{c.id}", follow_redirects=True)
    assert "Kết quả chính thức chỉ được công bố từ giai đoạn thẩm định" in resp.get_data(as_text=True)
    assert _snapshots("snapshot") == []

    page = client.submit(f"/admin/results/{c.id}/midterm", {"label": "Sơ kết 6 tháng"}, page=f"/admin/results/{c.id}")
    html = page.get_data(as_text=True)
    assert "2 trên 5 đơn vị đã nộp hồ sơ; 3 đơn vị sẽ được công bố là «Chưa nộp»" in html
    assert "«Kết quả sơ kết giữa kỳ – chưa phải kết quả chính thức»" in html
    client.submit(f"/admin/results/{c.id}/midterm", {"label": "Sơ kết 6 tháng", "confirmed": "1"},
                  page=f"/admin/results/{c.id}")
    assert len(_snapshots("midterm")) == 1
    for url in (f"/leaderboard?campaign={c.slug}", f"/leaderboard/unit/{_units[0].code}?campaign={c.slug}"):
        html = client.get(url).get_data(as_text=True)
        assert "Kết quả sơ kết giữa kỳ – chưa phải kết quả chính thức" in html, url
        assert ">Kết quả chính thức</strong>" not in html, url
    with client.session_transaction() as sess:
        sess["lang"] = "en"  # what the language switch stores
    en = client.get(f"/leaderboard?campaign={c.slug}").get_data(as_text=True)
    assert "Mid-term (preliminary) result – not the official result" in en


def test_commission_table_labels_drafts_and_gives_each_band_its_reason(app, client, factory):
    admin = factory.user("admin")
    c, units = _campaign(factory, "appraisal")
    client.login(admin.username)
    html = client.get(f"/admin/results/{c.id}").get_data(as_text=True)
    # the drafts are listed with their draft figures, labelled, unranked
    row = {u.id: html[html.index(f'result-row-{u.id}'):].split("</tr>")[0] for u in units}
    assert all("bản nháp, chưa nộp: không xếp hạng" in row[u.id] for u in units[2:])
    assert not any("bản nháp" in row[u.id] for u in units[:2])
    assert f'data-testid="total-{units[2].id}">25,00 <span' in row[units[2].id]  # the draft's own figure, labelled
    # 25 reaches "Tốt" (≥ 20); 10 does not, and says what it lacks
    assert "25,00 ≥ 20,00</div>" in row[units[0].id]
    assert "10,00 &lt; 20,00 cần cho mức Tốt" in row[units[1].id]
    # the explanation page says it in full
    run_id = db.session.scalar(sa.select(ScoreRun.id).where(ScoreRun.campaign_id == c.id, ScoreRun.kind == "provisional"))
    page = client.get(f"/admin/results/{c.id}/runs/{run_id}/units/{units[1].id}").get_data(as_text=True)
    assert "10,00 &lt; 20,00 cần cho mức Tốt" in page.split('data-testid="explain-band-reason"')[1].split("</ul>")[0]
