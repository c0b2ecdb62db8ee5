"""A judge scores an entry through the HTTP routes; the server refuses what it must."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import (Assignment, AuditLog, Campaign, ClarificationRequest, ConflictDeclaration, Entry,
                             EvidenceFile, JudgeScore)
from tests.judging_helpers import add_panel, district_campaign, node_ids


def _setup(factory, settings=None):
    campaign, districts, entries = district_campaign(factory, n_entries=2, settings=settings)
    judge = factory.user("judge", username="gk")
    add_panel(campaign, [judge])
    a = Assignment(entry_id=entries[0].id, judge_id=judge.id)
    db.session.add(a)
    db.session.commit()
    return campaign, districts, entries, judge, a


def test_judge_scores_an_entry_end_to_end(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    version_before = db.session.get(Campaign, campaign.id).inputs_version
    client.login("gk")
    home = client.get("/judging/").get_data(as_text=True)
    assert "Quận Thử 00" in home and "0/4" in home
    url = f"/judging/entries/{entries[0].id}"
    page = client.get(url).get_data(as_text=True)
    assert "78" in page and "16" in page  # value and computed points of I.1 ((78-50)/35×20)
    assert "Tốt" in page  # rubric descriptor of the judged indicator

    # adjusting I.1 without a comment is refused and the typed values are kept
    resp = client.submit(url + "/score", {"action": "save", "points-I.1": "12", "points-II.1": "25"}, page=url)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert 'data-testid="error-I.1"' in body and 'value="12"' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JudgeScore)) == 0

    # draft: I.1 adjusted with a comment; others left empty confirm the computed points
    resp = client.submit(url + "/score", {"action": "save", "points-I.1": "12", "comment-I.1": "Số liệu chưa khớp",
                                          "public-I.1": "1"}, page=url)
    assert resp.status_code == 302
    a = db.session.get(Assignment, a.id)
    assert a.status == "draft"
    scores = {s.indicator_id: s for s in a.scores}
    ids = node_ids(campaign)
    assert scores[ids["I.1"]].points == 12 and scores[ids["I.1"]].comment_public
    assert scores[ids["I.2"]].points == 20 and scores[ids["I.3"]].points == 15
    assert ids["II.1"] not in scores  # judged indicator needs the judge's choice

    # submitting without the judged indicator is refused
    resp = client.submit(url + "/score", {"action": "submit", "points-I.1": "12", "comment-I.1": "x"}, page=url)
    assert resp.status_code == 400 and 'data-testid="error-II.1"' in resp.get_data(as_text=True)
    # out-of-range points are refused
    resp = client.submit(url + "/score", {"action": "submit", "points-I.1": "21", "comment-I.1": "x",
                                          "points-II.1": "40"}, page=url)
    assert resp.status_code == 400 and 'data-testid="error-I.1"' in resp.get_data(as_text=True)
    resp = client.submit(url + "/score", {"action": "submit", "points-I.1": "12", "comment-I.1": "x",
                                          "points-II.1": "40"}, page=url)
    assert resp.status_code == 302
    a = db.session.get(Assignment, a.id)
    assert a.status == "submitted" and a.submitted_at is not None
    assert {s.indicator_id: s.points for s in a.scores}[ids["II.1"]] == 40
    assert db.session.get(Entry, entries[0].id).status == "appraised"  # its only judge submitted
    assert db.session.get(Campaign, campaign.id).inputs_version >= version_before + 2  # draft + submit
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "assignment")).all()
    assert actions == ["judging.save_draft", "judging.submit"]
    # after submission the judge can no longer change anything
    resp = client.submit(url + "/score", {"action": "save", "points-I.1": "5", "comment-I.1": "y"}, page=url)
    assert resp.status_code == 409
    assert "Điểm đã nộp" in client.get(url).get_data(as_text=True)


def test_unassigned_judge_is_refused(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    other = factory.user("judge", username="outsider")
    add_panel(campaign, [other])
    db.session.commit()
    client.login("outsider")
    url = f"/judging/entries/{entries[0].id}"
    assert client.get(url).status_code == 403
    token = client.csrf("/judging/")
    resp = client.post(url + "/score", data={"csrf_token": token, "action": "submit", "points-II.1": "40"})
    assert resp.status_code == 403
    resp = client.post(url + "/clarify", data={"csrf_token": token, "codes": "I.1", "message": "?"})
    assert resp.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JudgeScore)) == 0


def test_conflicted_judge_post_is_refused_by_the_server(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    # the assignment exists (e.g. made before the conflict came to light) but the judge declares one
    db.session.add(ConflictDeclaration(judge_id=judge.id, unit_id=districts[0].id, reason="Người nhà"))
    # and a second judge who works for the unit itself, assigned directly in the database
    insider = factory.user("judge", username="insider", unit=districts[1])
    db.session.add(Assignment(entry_id=entries[1].id, judge_id=insider.id))
    db.session.commit()
    client.login("gk")
    token = client.csrf("/judging/")
    resp = client.post(f"/judging/entries/{entries[0].id}/score",
                       data={"csrf_token": token, "action": "submit", "points-II.1": "40"})
    assert resp.status_code == 403
    assert "xung đột lợi ích" in resp.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    client.login("insider")
    token = client.csrf("/judging/")
    resp = client.post(f"/judging/entries/{entries[1].id}/score",
                       data={"csrf_token": token, "action": "save", "points-II.1": "40"})
    assert resp.status_code == 403
    assert client.get(f"/judging/entries/{entries[1].id}").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JudgeScore)) == 0


def test_reopen_only_by_admin_with_reason(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    factory.user("admin", username="boss")
    a.status = "submitted"
    db.session.commit()
    client.login("gk")
    token = client.csrf("/judging/")
    assert client.post(f"/judging/admin/assignments/{a.id}/reopen",
                       data={"csrf_token": token, "reason": "tôi muốn sửa"}).status_code == 403
    assert db.session.get(Assignment, a.id).status == "submitted"
    client.post("/logout", data={"csrf_token": token})
    client.login("boss")
    page = f"/judging/admin/campaigns/{campaign.id}/assignments"
    assert client.submit(f"/judging/admin/assignments/{a.id}/reopen", {"reason": "  "}, page=page).status_code == 400
    assert client.submit(f"/judging/admin/assignments/{a.id}/reopen", {"reason": "Nhầm điểm II.1"},
                         page=page).status_code == 302
    a = db.session.get(Assignment, a.id)
    assert (a.status, a.reopened_reason) == ("draft", "Nhầm điểm II.1")
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "judging.reopen"))
    assert row.reason == "Nhầm điểm II.1" and row.actor_role == "admin"


def test_clarification_request(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    client.login("gk")
    url = f"/judging/entries/{entries[0].id}"
    resp = client.submit(url + "/clarify", {"codes": ["I.1", "I.3"], "message": "Bổ sung quyết định công nhận"},
                         page=url)
    assert resp.status_code == 302
    req = db.session.scalar(sa.select(ClarificationRequest))
    assert req.indicator_codes == ["I.1", "I.3"] and req.requested_by_id == judge.id
    assert db.session.get(Entry, entries[0].id).status == "clarification_requested"
    # while waiting, a submit is kept as a draft (nothing typed is lost) and the judge is told why
    resp = client.submit(url + "/score", {"action": "submit", "points-II.1": "40"}, page=url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url)
    assert "chờ đơn vị giải trình" in client.get(url).get_data(as_text=True)
    a = db.session.get(Assignment, a.id)
    assert a.status != "submitted"
    assert [s.points for s in a.scores if s.points == 40] == [40]
    # unknown codes are refused
    assert client.submit(url + "/clarify", {"codes": ["Z.9"], "message": "?"}, page=url).status_code == 400


def test_blind_mode_hides_unit_names_everywhere(client, factory, app, tmp_path):
    campaign, districts, entries, judge, a = _setup(factory, settings={"blind": True})
    entry = entries[0]
    entry.narrative = "Báo cáo của Quận Thử 00 năm nay"
    iv = entry.values[0]
    iv.explanation = "Theo số liệu quận thử 00 cung cấp"
    import os
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    with open(os.path.join(app.config["UPLOAD_FOLDER"], "abc123"), "wb") as fh:
        fh.write(b"%PDF-1.4 test")
    f = EvidenceFile(entry_id=entry.id, indicator_id=iv.indicator_id, sha256="0" * 64, size=13,
                     mime="application/pdf", original_name="Quận Thử 00 - báo cáo BHYT.pdf", storage_name="abc123")
    db.session.add(f)
    db.session.commit()
    name, code = districts[0].name, districts[0].code
    client.login("gk")
    pages = [client.get("/judging/"), client.get(f"/judging/entries/{entry.id}"), client.get("/judging/conflicts")]
    for resp in pages[:2]:
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert name not in body and name.lower() not in body.lower() and code not in body
        assert entry.blind_code in body
    assert f"{entry.blind_code}-01.pdf" in pages[1].get_data(as_text=True)
    download = client.get(f"/judging/evidence/{f.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    disposition = download.headers["Content-Disposition"]
    assert entry.blind_code in disposition and "Qu" not in disposition
    # a failed save re-renders the page: still blind
    url = f"/judging/entries/{entry.id}"
    resp = client.submit(url + "/score", {"action": "save", "points-I.1": "abc"}, page=url)
    assert resp.status_code == 400 and name not in resp.get_data(as_text=True)
    # the evidence of an entry the judge is not assigned to is refused
    other = EvidenceFile(entry_id=entries[1].id, sha256="1" * 64, size=1, mime="application/pdf",
                         original_name="x.pdf", storage_name="abc123")
    db.session.add(other)
    db.session.commit()
    assert client.get(f"/judging/evidence/{other.id}").status_code == 403


def test_not_blind_shows_unit_name_and_file_name(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    db.session.add(EvidenceFile(entry_id=entries[0].id, sha256="0" * 64, size=1, mime="application/pdf",
                                original_name="bao-cao.pdf", storage_name="nofile"))
    db.session.commit()
    client.login("gk")
    body = client.get(f"/judging/entries/{entries[0].id}").get_data(as_text=True)
    assert "Quận Thử 00" in body and "bao-cao.pdf" in body


def test_not_blind_download_keeps_vietnamese_file_name(client, factory, app):
    import os
    campaign, districts, entries, judge, a = _setup(factory)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    with open(os.path.join(app.config["UPLOAD_FOLDER"], "f1.pdf"), "wb") as fh:
        fh.write(b"%PDF-1.4 x")
    f = EvidenceFile(entry_id=entries[0].id, sha256="2" * 64, size=10, mime="application/pdf",
                     original_name="Báo cáo Quận.pdf", storage_name="f1.pdf")
    db.session.add(f)
    db.session.commit()
    client.login("gk")
    resp = client.get(f"/judging/evidence/{f.id}")
    assert resp.status_code == 200 and resp.data == b"%PDF-1.4 x"
    assert "B%C3%A1o%20c%C3%A1o" in resp.headers["Content-Disposition"]
