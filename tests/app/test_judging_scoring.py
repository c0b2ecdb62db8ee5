"""A judge scores an entry through the HTTP routes: drafts are never blocked by submit-only
rules, a submit is confirmed, and the server refuses what it must.

small_framework (tests/factories.py) with DEFAULT_VALUES (tests/judging_helpers.py): I.1 is
linear 50→85 over 20 points, value 78 → (78−50)/35×20 = 16; I.2 "yes" → 20; I.3 3 models × 5
= 15; II.1 is judged (good = 40, fair = 25): the judge must choose.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, AuditLog, Campaign, ClarificationRequest, ConflictDeclaration, Entry, JudgeScore
from tests.judging_helpers import add_panel, district_campaign, node_ids


def _setup(factory, settings=None):
    campaign, districts, entries = district_campaign(factory, n_entries=2, settings=settings)
    judge = factory.user("judge", username="gk", full_name="Nguyễn Văn Giám")
    add_panel(campaign, [judge])
    a = Assignment(entry_id=entries[0].id, judge_id=judge.id)
    db.session.add(a)
    db.session.commit()
    return campaign, districts, entries, judge, a


def _field_error(body: str, name: str) -> str:
    m = re.search(rf'data-testid="error-{re.escape(name)}">([^<]*)<', body)
    return m.group(1) if m else ""


def _input_value(body: str, name: str) -> str:
    m = re.search(rf'<input[^>]*name="{re.escape(name)}" value="([^"]*)"', body)
    return m.group(1) if m else None


def _marks(a_id: int, campaign) -> dict:
    ids = {v: k for k, v in node_ids(campaign).items()}
    a = db.session.get(Assignment, a_id)
    return {ids[s.indicator_id]: (s.points, s.comment) for s in a.scores}


def test_draft_saves_what_only_a_submit_refuses_and_submit_is_confirmed(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    version_before = db.session.get(Campaign, campaign.id).inputs_version
    client.login("gk")
    home = client.get("/judging/").get_data(as_text=True)
    assert "Quận Thử 00" in home and "0/4" in home and "Chưa chấm" in home
    url = f"/judging/entries/{entries[0].id}"
    page = client.get(url).get_data(as_text=True)
    assert "16,00" in page  # the rule's points of I.1, Vietnamese decimal comma
    form = page[page.index('id="score-form"'):page.index("</form>", page.index('id="score-form"'))]
    assert " required" not in form  # no browser bubble can block "Lưu nháp"

    # a point that differs from the rule (12 ≠ 16) without a comment: the draft is saved
    resp = client.submit(url + "/score", {"action": "save", "points-I.1": "12"}, page=url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url)
    reloaded = client.get(url).get_data(as_text=True)
    assert "Đã lưu nháp." in reloaded
    assert _input_value(reloaded, "points-I.1") == "12"
    # the empty I.2 and I.3 confirmed the rule's points; II.1 stays unmarked
    assert _marks(a.id, campaign) == {"I.1": (12, ""), "I.2": (20, ""), "I.3": (15, "")}

    # submit is refused: the messages sit next to the fields, in Vietnamese, values kept
    resp = client.submit(url + "/score", {"action": "submit", "points-I.1": "12,5", "points-I.3": "15"}, page=url)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert _field_error(body, "comment-I.1") == ("Điểm 12,50 khác điểm tính theo quy tắc (16,00): "
                                                 "cần ghi nhận xét giải thích trước khi nộp.")
    assert _field_error(body, "points-II.1") == "Cần chấm điểm chỉ tiêu này trước khi nộp."
    assert "Những gì bạn nhập đã được lưu nháp." in body
    # and at the top, each item to fix as a link to its field (a walk found the one error far down the page)
    summary = body[body.index('data-testid="error-summary"'):body.index('id="score-form"')]
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [("comment-I.1", "Nhận xét I.1"),
                                                                      ("points-II.1", "Điểm II.1")]
    assert "Cần chấm điểm chỉ tiêu này trước khi nộp." in summary
    assert 'id="points-II.1"' in body and 'id="comment-I.1"' in body  # where the links lead
    assert _input_value(body, "points-I.1") == "12,5"
    assert _marks(a.id, campaign)["I.1"] == (12.5, "")  # the refused submit lost nothing
    assert db.session.get(Assignment, a.id).status == "draft"

    # with the comment and II.1 chosen, the submit asks for confirmation first
    data = {"action": "submit", "points-I.1": "12,5", "comment-I.1": "Số liệu chưa khớp", "public-I.1": "y",
            "points-II.1": "40"}
    resp = client.submit(url + "/score", data, page=url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url + "/submit")
    assert db.session.get(Assignment, a.id).status == "draft"  # not yet
    confirm = client.get(url + "/submit").get_data(as_text=True)
    # 12.5 + 20 + 15 + 40 = 87.5 of 100
    assert re.search(r'data-testid="confirm-total">87,50<', confirm)
    assert "Đã chấm 4/4 chỉ tiêu" in confirm and "I.1" in confirm
    assert "không sửa được điểm nữa" in confirm
    resp = client.submit(url + "/submit", {"digest": re.search(r'name="digest"[^>]*value="([^"]+)"', confirm)
                                           .group(1)}, page=url + "/submit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/judging/")
    assert "Đã nộp điểm." in client.get("/judging/").get_data(as_text=True)
    a = db.session.get(Assignment, a.id)
    assert a.status == "submitted" and a.submitted_at is not None
    assert _marks(a.id, campaign)["II.1"] == (40, "")
    assert db.session.get(Entry, entries[0].id).status == "appraised"  # its only judge submitted
    assert db.session.get(Campaign, campaign.id).inputs_version >= version_before + 3
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "assignment")
                                 .order_by(AuditLog.id)).all()
    assert actions == ["judging.save_draft"] * 3 + ["judging.submit"]
    # after submission the judge can no longer change anything
    resp = client.submit(url + "/score", {"action": "save", "points-I.1": "5", "comment-I.1": "y"}, page=url)
    assert resp.status_code == 409
    assert "Điểm đã nộp" in client.get(url).get_data(as_text=True)


def test_invalid_points_refuse_the_draft_and_keep_what_was_typed(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    client.login("gk")
    url = f"/judging/entries/{entries[0].id}"
    resp = client.submit(url + "/score", {"action": "save", "points-I.1": "mười hai", "points-I.3": "21",
                                          "comment-I.1": "Chưa rõ"}, page=url)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert _field_error(body, "points-I.1") == "Điểm không hợp lệ: hãy nhập một số, ví dụ 12,5."
    assert _field_error(body, "points-I.3") == "Điểm phải trong khoảng 0,00 đến 20,00."  # as the table shows 20,00
    assert _input_value(body, "points-I.1") == "mười hai" and "Chưa rõ</textarea>" in body
    assert 'data-unsaved="1"' in body  # the page warns before leaving: this is not stored
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JudgeScore)) == 0


def test_fields_left_empty_come_back_empty_after_a_refused_submit(client, factory):
    """Empty = "confirm the rule's points": stored as the rule's points, shown again as an empty field."""
    campaign, districts, entries, judge, a = _setup(factory)
    client.login("gk")
    url = f"/judging/entries/{entries[0].id}"
    resp = client.submit(url + "/score", {"action": "submit", "points-I.1": "4", "points-II.1": "40"}, page=url)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    # 4 against the rule's 16 (see the module docstring): the numbers as the table writes them
    assert _field_error(body, "comment-I.1") == ("Điểm 4,00 khác điểm tính theo quy tắc (16,00): "
                                                 "cần ghi nhận xét giải thích trước khi nộp.")
    assert "16,00" in body
    for page in (body, client.get(url).get_data(as_text=True)):  # the refused page, then a later visit
        assert _input_value(page, "points-I.1") == "4"
        assert _input_value(page, "points-I.2") == "" and _input_value(page, "points-I.3") == ""
    # what the empty fields confirmed is stored: I.2 "yes" → 20, I.3 → 15
    assert _marks(a.id, campaign) == {"I.1": (4, ""), "I.2": (20, ""), "I.3": (15, ""), "II.1": (40, "")}


def test_confirmation_of_marks_changed_since_is_refused(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    client.login("gk")
    url = f"/judging/entries/{entries[0].id}"
    client.submit(url + "/score", {"action": "submit", "points-II.1": "40"}, page=url)
    confirm = client.get(url + "/submit").get_data(as_text=True)
    digest = re.search(r'name="digest"[^>]*value="([^"]+)"', confirm).group(1)
    # another tab saves a different draft before the confirmation is pressed
    client.submit(url + "/score", {"action": "save", "points-II.1": "25"}, page=url)
    resp = client.submit(url + "/submit", {"digest": digest}, page=url + "/submit")
    assert resp.status_code == 409 and "hãy xem lại rồi nộp" in resp.get_data(as_text=True)
    assert db.session.get(Assignment, a.id).status == "draft"


def test_not_assigned_and_not_there_get_the_same_answer(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    client.login("gk")
    token = client.csrf("/judging/")
    answers = []
    for entry_id in (entries[1].id, 987654):  # exists but not assigned / does not exist
        page = client.get(f"/judging/entries/{entry_id}")
        post = client.post(f"/judging/entries/{entry_id}/score",
                           data={"csrf_token": token, "action": "submit", "points-II.1": "40"})
        clarify = client.post(f"/judging/entries/{entry_id}/clarify",
                              data={"csrf_token": token, "codes": "I.1", "message": "?"})
        confirm = client.get(f"/judging/entries/{entry_id}/submit")
        answers.append([(r.status_code, "Không tìm thấy hồ sơ." in r.get_data(as_text=True))
                        for r in (page, post, clarify, confirm)])
    assert answers[0] == answers[1] == [(404, True)] * 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JudgeScore)) == 0


def test_conflicted_judge_post_is_refused_by_the_server(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    # the assignment exists (made before the conflict came to light) but the judge declares one
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
    assert "Giám khảo tự khai báo xung đột" in resp.get_data(as_text=True)  # not blind: the reason is told
    client.post("/logout", data={"csrf_token": token})
    client.login("insider")
    token = client.csrf("/judging/")
    resp = client.post(f"/judging/entries/{entries[1].id}/score",
                       data={"csrf_token": token, "action": "save", "points-II.1": "40"})
    assert resp.status_code == 403
    assert client.get(f"/judging/entries/{entries[1].id}").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JudgeScore)) == 0


def test_reopen_is_confirmed_with_a_reason_by_an_admin(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    factory.user("admin", username="boss")
    a.status = "submitted"
    entries[0].status = "appraised"
    db.session.commit()
    client.login("gk")
    token = client.csrf("/judging/")
    assert client.post(f"/judging/admin/assignments/{a.id}/reopen",
                       data={"csrf_token": token, "reason": "tôi muốn sửa"}).status_code == 403
    assert db.session.get(Assignment, a.id).status == "submitted"
    client.post("/logout", data={"csrf_token": token})
    client.login("boss")
    table = client.get(f"/judging/admin/campaigns/{campaign.id}/assignments").get_data(as_text=True)
    assert "Nguyễn Văn Giám" in table and "Đã nộp" in table and ">submitted<" not in table
    url = f"/judging/admin/assignments/{a.id}/reopen"
    page = client.get(url).get_data(as_text=True)  # the confirmation step states what will happen
    assert "Nguyễn Văn Giám" in page and "Quận Thử 00" in page
    assert "Điểm trở về bản nháp" in page and "Kết quả tạm tính sẽ được tính lại." in page
    assert db.session.get(Assignment, a.id).status == "submitted"  # looking changes nothing
    resp = client.submit(url, {"reason": "  "})
    assert resp.status_code == 400
    assert re.search(r'data-testid="reopen-error">Cần nêu lý do mở lại.<', resp.get_data(as_text=True))
    assert client.submit(url, {"reason": "Nhầm điểm II.1"}).status_code == 302
    a = db.session.get(Assignment, a.id)
    assert (a.status, a.reopened_reason) == ("draft", "Nhầm điểm II.1")
    assert db.session.get(Entry, entries[0].id).status == "submitted"
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "judging.reopen"))
    assert row.reason == "Nhầm điểm II.1" and row.actor_role == "admin"


def test_clarification_request(client, factory):
    campaign, districts, entries, judge, a = _setup(factory)
    client.login("gk")
    url = f"/judging/entries/{entries[0].id}"
    resp = client.submit(url + "/clarify", {"codes": ["I.1"], "message": " "}, page=url)
    assert resp.status_code == 400
    assert 'data-testid="clarify-error">Cần ghi nội dung yêu cầu giải trình.<' in resp.get_data(as_text=True)
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
    assert db.session.get(Assignment, a.id).status == "draft"
    assert _marks(a.id, campaign)["II.1"] == (40, "")
    # unknown codes are refused
    assert client.submit(url + "/clarify", {"codes": ["Z.9"], "message": "?"}, page=url).status_code == 400


def test_values_and_statuses_are_words_not_codes(client, factory):
    campaign, districts, entries, judge, a = _setup(factory, settings={"aggregation": "trimmed_mean"})
    factory.user("admin", username="boss")
    db.session.commit()
    client.login("gk")
    page = client.get(f"/judging/entries/{entries[0].id}").get_data(as_text=True)
    value = lambda code: re.sub(r"\s+", " ", re.search(  # noqa: E731
        rf'data-testid="value-{re.escape(code)}"[^>]*>(.*?)</td>', page, re.S).group(1)).strip()
    assert value("I.2") == "Có"  # stored as "yes"
    assert value("II.1") == "Tốt"  # stored as the choice code "good"
    assert value("I.1") == "78 %"
    assert ">Tốt (40,00)</option>" in page and "good" not in page
    client.post("/logout", data={"csrf_token": client.csrf("/judging/")})
    client.login("boss")
    admin = client.get("/judging/admin/").get_data(as_text=True)
    assert "Đang thẩm định" in admin and ">appraisal<" not in admin
    table = client.get(f"/judging/admin/campaigns/{campaign.id}/assignments").get_data(as_text=True)
    assert re.search(r'data-testid="assignment-status">Chưa chấm<', table)
    council = client.get(f"/judging/admin/campaigns/{campaign.id}/council").get_data(as_text=True)
    assert "Trung bình bỏ điểm cao nhất và thấp nhất" in council and "trimmed_mean" not in council
    stats = client.get(f"/judging/admin/campaigns/{campaign.id}/stats").get_data(as_text=True)
    assert "<td>Nguyễn Văn Giám</td>" in stats and "<td>gk</td>" not in stats


def test_the_judges_list_puts_what_is_left_to_score_first(client, factory):
    """Walk finding: the entries still to score sat after the submitted ones (5 after 15), within a
    campaign and across campaigns (an earlier campaign's submitted entries came first)."""
    campaign, districts, entries, judge, a = _setup(factory)
    a.status = "submitted"
    db.session.add(Assignment(entry_id=entries[1].id, judge_id=judge.id))
    later, later_districts, later_entries = district_campaign(factory, n_entries=1)
    later_districts[0].name = "Quận Đợt Sau"  # its own name: the page is searched by names
    add_panel(later, [judge])
    db.session.add(Assignment(entry_id=later_entries[0].id, judge_id=judge.id))
    db.session.commit()
    assert entries[0].blind_code < entries[1].blind_code and campaign.id < later.id  # the old order: a, b, c
    client.login("gk")
    home = client.get("/judging/").get_data(as_text=True)
    label = {e.id: db.session.get(type(districts[0]), e.unit_id).name for e in (*entries, *later_entries)}
    where = [home.index(label[e.id]) for e in (entries[1], later_entries[0], entries[0])]
    assert where == sorted(where)  # both left to score, then the submitted one
