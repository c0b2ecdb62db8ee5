"""Campaign lifecycle: allowed transitions, refused ones with clear messages, history and audit."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, Campaign, CampaignUnit, StatusChange
from campaign.models.base import utcnow
from campaign.services.errors import Conflict
from campaign.services.setup import lifecycle
from tests.admin_helpers import admin_client, ready_campaign, request_ctx  # noqa: F401

pytestmark = pytest.mark.usefixtures("request_ctx")


def test_draft_opens_when_ready_and_is_recorded(factory):
    c, _ = ready_campaign(factory)
    admin = factory.user("admin")
    lifecycle.transition(c.id, "open", user_id=admin.id, note="Phát động")
    assert db.session.get(Campaign, c.id).status == "open"
    change = db.session.scalar(sa.select(StatusChange).where(StatusChange.campaign_id == c.id))
    assert (change.from_status, change.to_status, change.by_id, change.note) == ("draft", "open", admin.id, "Phát động")
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "campaign.status"))
    assert log.before == {"status": "draft"} and log.after == {"status": "open"} and log.actor_id == admin.id


@pytest.mark.parametrize("missing, expected", [
    ("framework", "Chưa chọn bộ tiêu chí"),
    ("participants", "Chưa có đơn vị tham gia"),
    ("deadline", "Chưa đặt hạn nộp bài"),
    ("past_deadline", "Hạn nộp bài đã qua"),
    ("period", "Chưa đặt thời gian thực hiện"),
])
def test_cannot_open_without_framework_participants_deadline(factory, missing, expected):
    c, _ = ready_campaign(factory)
    if missing == "framework":
        c.framework_version_id = None
    elif missing == "participants":
        db.session.execute(sa.delete(CampaignUnit).where(CampaignUnit.campaign_id == c.id))
    elif missing == "deadline":
        c.submission_deadline = None
    elif missing == "past_deadline":
        c.submission_deadline = utcnow() - timedelta(hours=1)
    else:
        c.period_start = None
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        lifecycle.transition(c.id, "open")
    assert expected in exc.value.message
    assert db.session.get(Campaign, c.id).status == "draft"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatusChange)) == 0


def test_all_missing_conditions_listed_together(factory):
    c = factory.campaign(status="draft", submission_deadline=None)
    c.framework_version_id = None
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        lifecycle.transition(c.id, "open")
    for text in ("bộ tiêu chí", "đơn vị tham gia", "hạn nộp"):
        assert text in exc.value.message


def test_skipping_steps_is_refused(factory):
    c, _ = ready_campaign(factory)
    for target in ("appraisal", "published", "closed"):
        with pytest.raises(Conflict, match="Không thể chuyển từ"):
            lifecycle.transition(c.id, target)


def test_appraisal_before_deadline_needs_explicit_early_close(factory):
    c, _ = ready_campaign(factory, status="open")
    with pytest.raises(Conflict, match="Hạn nộp bài chưa hết"):
        lifecycle.transition(c.id, "appraisal")
    lifecycle.transition(c.id, "appraisal", force=True)
    assert db.session.get(Campaign, c.id).status == "appraisal"
    assert "sớm" in db.session.scalar(sa.select(StatusChange.note))


def test_back_to_draft_only_without_entries(factory):
    c, units = ready_campaign(factory, status="open")
    factory.entry(c, units[0])
    db.session.commit()
    with pytest.raises(Conflict, match="1 bài dự thi"):
        lifecycle.transition(c.id, "draft")
    c2, _ = ready_campaign(factory, status="open")
    lifecycle.transition(c2.id, "draft")
    assert db.session.get(Campaign, c2.id).status == "draft"


def test_cannot_publish_while_stale(factory):
    c, _ = ready_campaign(factory, status="appraisal", submission_deadline=utcnow() - timedelta(days=1))
    c.inputs_version, c.computed_version = 3, 2
    db.session.commit()
    with pytest.raises(Conflict, match="chưa cập nhật"):
        lifecycle.transition(c.id, "published")
    assert db.session.get(Campaign, c.id).status == "appraisal"


def test_published_closes_and_closed_is_final(factory):
    c, _ = ready_campaign(factory, status="published")
    lifecycle.transition(c.id, "closed")
    assert db.session.get(Campaign, c.id).status == "closed"
    for target in ("open", "draft", "published"):
        with pytest.raises(Conflict):
            lifecycle.transition(c.id, target)


def test_same_status_is_idempotent(factory):
    c, _ = ready_campaign(factory, status="open")
    lifecycle.transition(c.id, "open")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatusChange)) == 0


def test_archived_campaign_cannot_move(factory):
    c, _ = ready_campaign(factory)
    c.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(Conflict, match="lưu trữ"):
        lifecycle.transition(c.id, "open")


def test_midterm_only_while_running(factory):
    c, _ = ready_campaign(factory)
    with pytest.raises(Conflict, match="sơ kết"):
        lifecycle.midterm_review(c.id)
    c2, _ = ready_campaign(factory, status="open")
    c2.inputs_version = 1
    db.session.commit()
    with pytest.raises(Conflict, match="chưa cập nhật"):
        lifecycle.midterm_review(c2.id)


def test_full_lifecycle_in_browser(client, factory):
    admin_client(client, factory)
    c, _ = ready_campaign(factory)
    page = f"/admin/campaigns/{c.id}"
    # first press: the confirmation says what will happen and changes nothing
    r = client.submit(f"/admin/campaigns/{c.id}/status", {"to": "open", "note": "Phát động"}, page=page)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Xác nhận: Mở nhận bài" in html
    assert "Các đơn vị tham gia thấy phong trào và bắt đầu nhập, nộp hồ sơ." in html
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "draft"
    r = client.submit(f"/admin/campaigns/{c.id}/status", {"to": "open", "note": "Phát động", "confirmed": "1"}, page=page)
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "open"
    # a move that cannot happen yet says why on its confirmation, and its button is disabled
    html = client.submit(f"/admin/campaigns/{c.id}/status", {"to": "appraisal"}, page=page).get_data(as_text=True)
    assert "Hạn nộp bài chưa hết" in html and 'data-testid="confirm-move" disabled' in html
    assert "Đơn vị chưa nộp sẽ được xếp là «Chưa nộp»." in html
    r = client.submit(f"/admin/campaigns/{c.id}/status", {"to": "appraisal", "confirmed": "1"}, page=page)
    assert "Hạn nộp bài chưa hết" in client.get(r.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "open"
    client.submit(f"/admin/campaigns/{c.id}/status", {"to": "appraisal", "force": "y", "confirmed": "1"}, page=page)
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "appraisal"
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="status-history"' in html and "Phát động" in html


def test_publishing_moves_state_the_counts_before_anything_is_published(client, factory):
    from campaign.models import ScoreRun
    from campaign.services.results import recompute

    admin_client(client, factory)
    c, units = ready_campaign(factory, status="open")
    factory.entry(c, units[0], status="submitted")
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    page = f"/admin/campaigns/{c.id}"
    html = client.submit(f"/admin/campaigns/{c.id}/midterm", {"label": "Sơ kết 6 tháng"}, page=page).get_data(as_text=True)
    n = len(units)
    assert "Xác nhận: Công bố kết quả sơ kết" in html and "không phải kết quả chính thức" in html
    assert f"1 trên {n} đơn vị đã nộp hồ sơ; {n - 1} đơn vị sẽ được công bố là «Chưa nộp»" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRun).where(
        ScoreRun.campaign_id == c.id, ScoreRun.published_at.is_not(None))) == 0
    client.submit(f"/admin/campaigns/{c.id}/midterm", {"label": "Sơ kết 6 tháng", "confirmed": "1"}, page=page)
    lifecycle.transition(c.id, "appraisal", force=True)
    recompute.recompute_provisional(c.id, force=True)
    html = client.submit(f"/admin/campaigns/{c.id}/status", {"to": "published"}, page=page).get_data(as_text=True)
    assert "Kết quả chính thức được công bố ngay trên trang công khai" in html
    assert f"1 trên {n} đơn vị đã nộp hồ sơ" in html
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "appraisal"
    client.submit(f"/admin/campaigns/{c.id}/status", {"to": "published", "confirmed": "1"}, page=page)
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "published"
    kinds = db.session.scalars(sa.select(ScoreRun.kind).where(
        ScoreRun.campaign_id == c.id, ScoreRun.published_at.is_not(None)).order_by(ScoreRun.id)).all()
    assert kinds == ["midterm", "snapshot"]


def test_publish_freezes_a_snapshot_and_midterm_is_its_own_result(factory):
    from campaign.models import ScoreRun

    recompute = pytest.importorskip("campaign.services.results.recompute")
    c, units = ready_campaign(factory, status="open")
    factory.entry(c, units[0])
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    lifecycle.midterm_review(c.id, label="Sơ kết 6 tháng")
    assert db.session.get(Campaign, c.id).status == "open"
    lifecycle.transition(c.id, "appraisal", force=True)
    recompute.recompute_provisional(c.id, force=True)
    lifecycle.transition(c.id, "published")
    runs = db.session.execute(sa.select(ScoreRun.kind, ScoreRun.label).where(
        ScoreRun.campaign_id == c.id, ScoreRun.published_at.is_not(None)).order_by(ScoreRun.id)).all()
    assert [r.kind for r in runs] == ["midterm", "snapshot"] and runs[0].label == "Sơ kết 6 tháng"
    assert db.session.get(Campaign, c.id).status == "published"


def test_transition_buttons_post_exactly_what_the_page_renders(client, factory):
    """Submit the rendered form as a browser would (all its inputs), not a hand-made payload."""
    import re

    admin_client(client, factory)
    c, _ = ready_campaign(factory)
    html = client.get(f"/admin/campaigns/{c.id}").get_data(as_text=True)
    form = next(f for f in re.findall(r"<form[^>]*>.*?</form>", html, re.S) if 'data-testid="move-open"' in f)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    assert data["to"] == ["open"]  # exactly one target, no empty duplicate
    confirmation = client.post(f"/admin/campaigns/{c.id}/status", data=data).get_data(as_text=True)
    form = next(f for f in re.findall(r"<form[^>]*>.*?</form>", confirmation, re.S) if 'data-testid="confirm-move"' in f)
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        data.setdefault(name, []).append(value)
    assert data["to"] == ["open"] and data["confirmed"] == ["1"]
    r = client.post(f"/admin/campaigns/{c.id}/status", data=data)
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "open"


def test_campaign_page_disables_a_move_it_explains_it_cannot_make_and_names_its_actions_as_actions(client, factory):
    """Cold walk: "Back to draft" was offered under "cannot go back to draft"; the archive button read
    "Archived" like the badge; the single framework was labelled "Frameworks"."""
    import re

    admin_client(client, factory)
    c, units = ready_campaign(factory, status="open")
    factory.entry(c, units[0])
    db.session.commit()
    html = client.get(f"/admin/campaigns/{c.id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*data-testid="move-draft"[^>]*>', html).group(0)
    assert "disabled" in button and 'aria-describedby="move-problems-draft"' in button
    assert "không thể trả phong trào về nháp" in re.search(r'<ul [^>]*id="move-problems-draft".*?</ul>', html, re.S).group(0)
    opening = re.search(r'<button[^>]*data-testid="move-appraisal"[^>]*>', html).group(0)
    assert "disabled" not in opening  # a move that can be made stays a button
    archive = re.search(r'<button[^>]*data-testid="archive-campaign"[^>]*>', html).group(0)
    assert "disabled" in archive and 'aria-describedby="archive-problem"' in archive  # open: not yet archivable
    assert "Chỉ lưu trữ được phong trào ở trạng thái nháp hoặc đã kết thúc (hiện tại: Đang nhận bài)." in html
    client.post("/lang/en", data={"next": f"/admin/campaigns/{c.id}"})
    html = client.get(f"/admin/campaigns/{c.id}").get_data(as_text=True)
    assert re.search(r'data-testid="archive-campaign"[^>]*>Archive</button>', html)
    assert re.search(r'data-testid="campaign-framework">Framework</a>', html)
    c.archived_at = utcnow()  # (archiving itself: test_admin_campaigns)
    db.session.commit()
    html = client.get(f"/admin/campaigns/{c.id}").get_data(as_text=True)
    assert '<span class="badge">Archived</span>' in html and 'data-testid="archive-campaign">Unarchive</button>' in html
    assert 'data-testid="archive-problem"' not in html  # unarchiving is always possible
