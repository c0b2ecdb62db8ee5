"""Notifications derived from audit rows: who is told what, once, in their language; reminders
only to units that have not submitted (controlled clock); opt-outs; the bell."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from campaign.devserver import free_port
from campaign.extensions import db
from campaign.models import Entry, Notification, ScoreRun, UnitResult
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.accounts import mail, notifications
from tests.accounts_helpers import smtp  # noqa: F401  (fixture)

DEADLINE = datetime(2026, 11, 30, 10, 0)  # UTC = 17:00 in Hà Nội


def _world(factory):
    district = factory.unit("urban_district", name="Quận Ba Đình", code="001")
    a = factory.unit("ward", parent=district, name="Phường Phúc Xá", code="00001")
    b = factory.unit("ward", parent=district, name="Phường Trúc Bạch", code="00004")
    c = factory.unit("ward", parent=district, name="Phường Vĩnh Phúc", code="00006")
    campaign = factory.campaign(units=[a, b, c], status="open", name="Dân vận khéo 2026",
                                name_en="Skilful mass mobilisation 2026", submission_deadline=DEADLINE)
    officers = {u.code: factory.user("officer", unit=u, username=f"cb-{u.code}", email=f"cb{u.code}@xa.example")
                for u in (a, b, c)}
    factory.entry(campaign, a, status="draft")
    factory.entry(campaign, b, status="submitted")
    # c has no entry at all
    db.session.commit()
    return campaign, (a, b, c), officers


def _mine(user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_reminders_go_only_to_units_that_have_not_submitted(app, factory):
    campaign, (a, b, c), officers = _world(factory)
    # 2 days and 1 hour before: only the 7-day reminder is due
    notifications.send_deadline_reminders(now=DEADLINE - timedelta(days=2, hours=1))
    assert [(n.kind, n.params["days"]) for n in _mine(officers["00001"])] == [("deadline", 7)]
    assert [(n.kind, n.params["days"]) for n in _mine(officers["00006"])] == [("deadline", 7)]
    assert _mine(officers["00004"]) == []  # submitted: never reminded
    # one hour later the 2-day reminder is due; running twice sends it once
    for _ in range(2):
        notifications.send_deadline_reminders(now=DEADLINE - timedelta(days=1, hours=23))
    assert [n.params["days"] for n in _mine(officers["00001"])] == [7, 2]
    # the morning of the deadline day (07:00 in Hà Nội = 00:00 UTC)
    notifications.send_deadline_reminders(now=DEADLINE - timedelta(hours=10))
    assert [n.params["days"] for n in _mine(officers["00006"])] == [7, 2, 0]
    assert _mine(officers["00004"]) == []
    # after the deadline nothing more
    notifications.send_deadline_reminders(now=DEADLINE + timedelta(minutes=1))
    assert len(_mine(officers["00001"])) == 3


def test_a_unit_that_submits_gets_no_further_reminder(app, factory):
    campaign, (a, b, c), officers = _world(factory)
    notifications.send_deadline_reminders(now=DEADLINE - timedelta(days=3))
    db.session.execute(sa.update(Entry).where(Entry.unit_id == a.id).values(status="submitted"))
    db.session.commit()
    notifications.send_deadline_reminders(now=DEADLINE - timedelta(hours=2))
    assert [n.params["days"] for n in _mine(officers["00001"])] == [7]
    assert [n.params["days"] for n in _mine(officers["00006"])] == [7, 0]


def test_clarification_reaches_the_units_officer_in_their_language_once(app, factory, smtp):  # noqa: F811
    campaign, (a, b, c), officers = _world(factory)
    officers["00004"].locale = "en"
    e = db.session.scalar(sa.select(Entry).where(Entry.unit_id == b.id))
    audit.record("judging.clarification_requested", "entry", e.id, campaign_id=campaign.id, unit_id=b.id,
                 after={"status": "clarification_requested", "indicator_codes": ["I.1", "I.3"]})
    db.session.commit()
    ids = notifications.process_events()
    assert notifications.process_events() == []  # a second pass (a retried task) adds nothing
    assert len(ids) == 1
    assert mail.send_notification(ids[0]) == "sent"
    assert mail.send_notification(ids[0]) == "skipped"  # a duplicate task sends nothing
    [msg] = smtp.messages()
    assert msg.to == "cb00004@xa.example"
    assert msg.subject == "Clarification requested: “Skilful mass mobilisation 2026”"
    assert "needs clarification on indicators I.1, I.3" in msg.text
    assert "needs clarification on indicators I.1, I.3" in msg.html
    assert f"http://thidua.example/unit/entries/{e.id}" in msg.text
    assert msg.language == "en"
    # nobody else was told
    assert _mine(officers["00001"]) == [] and _mine(officers["00006"]) == []


def test_results_published_tell_each_unit_its_rank_and_band_unless_opted_out(app, factory, smtp):  # noqa: F811
    campaign, (a, b, c), officers = _world(factory)
    officers["00006"].notify_opt_out = ["results_published"]
    run = ScoreRun(campaign_id=campaign.id, kind="snapshot", status="done")
    db.session.add(run)
    db.session.flush()
    for unit, rank, band, total in ((a, 2, "tot", 81.5), (b, 1, "xuat_sac", 93.25), (c, 3, "hoan_thanh", 60.0)):
        db.session.add(UnitResult(run_id=run.id, unit_id=unit.id, level=3, total=total, rank=rank, band=band))
    audit.record("results.publish", "score_run", run.id, campaign_id=campaign.id, after={"kind": "snapshot"})
    db.session.commit()
    for nid in notifications.process_events():
        mail.send_notification(nid)
    subjects = {m.to: (m.subject, m.text) for m in smtp.messages()}
    assert set(subjects) == {"cb00001@xa.example", "cb00004@xa.example"}  # 00006 opted out of e-mail
    assert subjects["cb00004@xa.example"][0] == "Kết quả phong trào “Dân vận khéo 2026” đã được công bố"
    assert "Phường Trúc Bạch: hạng 1, xếp loại Xuất sắc." in subjects["cb00004@xa.example"][1]
    assert "Phường Phúc Xá: hạng 2, xếp loại Tốt." in subjects["cb00001@xa.example"][1]
    # the opted-out officer still has it in the app
    [n] = _mine(officers["00006"])
    assert n.kind == "results_published" and n.email_state == "none"


def test_obligations_cannot_be_turned_off(app, client, factory):
    campaign, (a, b, c), officers = _world(factory)
    client.login("cb-00001")
    page = client.get("/account").get_data(as_text=True)
    assert 'value="results_published"' in page and 'value="clarification_requested"' not in page
    assert 'value="deadline"' not in page
    # a crafted post cannot turn reminders or clarifications off: those kinds are dropped
    resp = client.submit("/account", {"email": "moi@xa.example", "locale": "en",
                                      "opt_out": ["deadline", "clarification_requested", "campaign_opened"]})
    assert resp.status_code == 302
    db.session.refresh(officers["00001"])
    assert officers["00001"].notify_opt_out == ["campaign_opened"] and officers["00001"].email == "moi@xa.example"
    assert "Account settings saved." in client.get("/account").get_data(as_text=True)  # English now
    # a bad address is refused next to the field, the rest of the draft kept
    resp = client.submit("/account", {"email": "khong-phai-email", "locale": "en"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "The e-mail address is not valid." in html and 'value="khong-phai-email"' in html


def test_bell_shows_the_unread_count_and_the_list_marks_read(app, client, factory):
    campaign, (a, b, c), officers = _world(factory)
    notifications.send_deadline_reminders(now=DEADLINE - timedelta(hours=3))
    client.login("cb-00001")
    home = client.get("/account").get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "Hôm nay là hạn nộp hồ sơ “Dân vận khéo 2026”" in page
    assert "Đơn vị của bạn chưa nộp hồ sơ. Hạn nộp: 30/11/2026 17:00." in page
    client.submit("/notifications/read", {}, page="/notifications")
    assert 'data-testid="unread-count"' not in client.get("/account").get_data(as_text=True)
    # another officer's notification cannot be marked
    other = _mine(officers["00006"])[0]
    resp = client.submit("/notifications/read", {"id": str(other.id)}, page="/notifications")
    db.session.refresh(other)
    assert other.read_at is None and resp.status_code == 302


def test_judges_are_told_of_their_assignments_and_officers_of_an_opened_campaign(app, factory):
    from campaign.services.judging import assignment
    from tests.judging_helpers import add_panel, district_campaign

    campaign, districts, entries = district_campaign(factory, n_entries=3, settings={"judges_per_entry": 2})
    judges = [factory.user("judge", username=f"gk{i}", email=f"gk{i}@so.example") for i in range(2)]
    add_panel(campaign, judges)
    officer = factory.user("officer", unit=districts[0], username="cb-q0")
    db.session.commit()
    assignment.apply_auto(campaign.id)
    audit.record("campaign.status", "campaign", campaign.id, campaign_id=campaign.id,
                 before={"status": "draft"}, after={"status": "open"})
    db.session.commit()
    notifications.process_events()
    for judge in judges:
        [n] = _mine(judge)
        assert n.kind == "judge_assigned" and n.params["n"] == 3  # every entry, both judges
        with force_locale("vi"):
            title, body = notifications.text_of(n, "vi")
        assert title == f"Phân công chấm: “{campaign.name}”" and body.startswith("Bạn được phân công chấm 3 hồ sơ.")
    [opened] = _mine(officer)
    assert opened.kind == "campaign_opened"
    with force_locale("en"):
        assert notifications.text_of(opened, "en")[0] == f"“{campaign.name}” is open for submissions"


def test_smtp_down_keeps_the_message_pending_then_failed_on_the_last_try(app, factory):
    campaign, (a, b, c), officers = _world(factory)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=2)  # nobody listens there
    [nid] = notifications.send_deadline_reminders(now=DEADLINE - timedelta(hours=1))[:1]
    with pytest.raises(mail.MailNotSent):
        mail.send_notification(nid)
    n = db.session.get(Notification, nid)
    db.session.refresh(n)
    assert n.email_state == "pending" and n.email_error  # the task retries it later
    with pytest.raises(mail.MailNotSent):
        mail.send_notification(nid, final=True)
    db.session.refresh(n)
    assert n.email_state == "failed" and n.read_at is None  # still in the app's list


def test_a_claim_left_by_a_dead_worker_is_released_after_ten_minutes(app, factory):
    campaign, (a, b, c), officers = _world(factory)
    ids = notifications.send_deadline_reminders(now=DEADLINE - timedelta(hours=1))
    assert len(ids) == 2  # Phúc Xá (draft) and Vĩnh Phúc (no entry); Trúc Bạch submitted
    fresh, stale = (db.session.get(Notification, i) for i in ids)
    fresh.email_state, fresh.emailed_at = "sending", utcnow() - timedelta(minutes=9)
    stale.email_state, stale.emailed_at = "sending", utcnow() - timedelta(minutes=11)
    db.session.commit()
    assert mail.pending_ids() == [stale.id]


def test_judges_with_unsubmitted_scores_are_reminded_of_the_appraisal_deadline(app, factory):
    from campaign.models import Assignment
    from tests.judging_helpers import district_campaign

    campaign, districts, entries = district_campaign(factory, n_entries=3)
    campaign.appraisal_deadline = DEADLINE
    busy, done = factory.user("judge", username="gk-busy"), factory.user("judge", username="gk-done")
    for e in entries:
        db.session.add(Assignment(entry_id=e.id, judge_id=busy.id, status="submitted" if e is entries[0] else "draft"))
        db.session.add(Assignment(entry_id=e.id, judge_id=done.id, status="submitted"))
    db.session.commit()
    notifications.send_deadline_reminders(now=DEADLINE - timedelta(days=1, hours=12))
    [n] = _mine(busy)
    assert (n.kind, n.params["days"], n.params["n"]) == ("judging_deadline", 2, 2)
    with force_locale("vi"):
        assert notifications.text_of(n, "vi") == (f"Còn 2 ngày đến hạn chấm “{campaign.name}”",
                                                   "Bạn còn 2 hồ sơ chưa nộp điểm. Hạn thẩm định: 30/11/2026 17:00.")
    assert _mine(done) == []
