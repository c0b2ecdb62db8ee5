"""Unit officer's evidence form: drafts, validation messages, self-score, submission, concurrency."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, Campaign, DeadlineExtension, Entry, EntryVersion, IndicatorNode, IndicatorValue
from campaign.models.base import utcnow
from tests.unit_helpers import GOOD, World, confirm, error_box, field_value, lock_version, open_entry, save, submit


@pytest.fixture
def world(factory):
    return World(factory)


def _values(entry_id):
    rows = db.session.execute(sa.select(IndicatorNode.code, IndicatorValue)
                              .join(IndicatorValue, IndicatorValue.indicator_id == IndicatorNode.id)
                              .where(IndicatorValue.entry_id == entry_id)).all()
    return {code: iv for code, iv in rows}


def test_dashboard_lists_my_campaign_with_countdown_and_completeness(client, world):
    client.login("canbo")
    html = client.get("/unit/").get_data(as_text=True)
    assert world.campaign.name in html
    assert "Còn 6 ngày" in html or "Còn 7 ngày" in html  # deadline = now + 7 days
    assert "Bắt đầu điền hồ sơ" in html
    entry_id = open_entry(client, world)
    save(client, entry_id, {"A.1": "70", "A.2": "10"})
    html = client.get("/unit/").get_data(as_text=True)
    assert 'data-testid="completeness">29 %' in html  # 2 of 7 indicators filled
    assert "Bản nháp" in html
    # what the evidence count counts: a file or, where allowed, an explanation (a walk read "Minh chứng 1/12"
    # after typing only an explanation, while the confirmation said 0 files)
    assert re.search(r"Minh chứng \(tệp hoặc giải trình\): \d+/\d+", html)


def test_form_is_generated_from_the_framework(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    for code in ("A.1", "A.2", "A.3", "A.4", "A.5", "B.1", "B.2"):
        assert f'data-testid="ind-{code}"' in html
    assert 'data-testid="group-A"' in html and 'data-testid="group-B"' in html
    assert "Theo báo cáo thống kê" in html  # guidance
    assert 'name="na-A.5"' in html and 'name="na-A.1"' not in html  # NA only where allowed
    assert 'name="ex-A.1"' in html and 'name="ex-A.2"' not in html  # explanation only where evidence+allowed
    assert '<select' in html and 'value="fair"' in html  # choice list
    assert "<script>" not in html.split("</main>")[0]  # no inline script


def test_good_draft_is_saved_with_engine_points_audit_and_stale_mark(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    before = db.session.get(Campaign, world.campaign.id).inputs_version
    resp = save(client, entry_id, GOOD)
    assert resp.status_code == 303
    db.session.expire_all()
    vals = _values(entry_id)
    # Vietnamese '1.234,5' read as 1234.5; points by hand: A.1 (67.5-50)/35*20 = 10, A.2 ≥1000 → 10,
    # A.3 3×1, A.4 5×1, A.5 yes → 10, B.1 fair → 12, B.2 text (judges) → 0
    assert vals["A.2"].value_num == 1234.5 and vals["A.2"].raw == "1.234,5"
    assert {c: v.points for c, v in vals.items()} == {"A.1": 10, "A.2": 10, "A.3": 3, "A.4": 5, "A.5": 10,
                                                      "B.1": 12, "B.2": 0}
    assert db.session.get(Entry, entry_id).self_total == 50
    assert db.session.get(Campaign, world.campaign.id).inputs_version > before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "entry.save_values")) == 1


def test_international_decimal_point_accepted(client, world):
    """'1234.5' (no grouping, decimal point) is as good as '1.234,5'."""
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {"A.2": "1234.5"}).status_code == 303
    db.session.expire_all()
    assert _values(entry_id)["A.2"].value_num == 1234.5


@pytest.mark.parametrize("code,typed,message", [
    ("A.2", "abc", "không phải là một số"),                    # type: not a number
    ("A.2", "1.234", "không rõ nghĩa"),                        # Vietnamese number: ambiguous 1234 or 1.234
    ("A.2", "12,500", "không rõ nghĩa"),                       # ambiguous the other way round
    ("A.2", "-5", "khoảng 0 – 100000"),                         # range (min)
    ("A.2", "100.001", "không rõ nghĩa"),                      # grouping that reads as a decimal too
    ("A.2", "200000", "khoảng 0 – 100000"),                     # range (max)
    ("A.1", "101", "Tỷ lệ phải từ 0 đến 100%"),                 # percentage above 100
    ("A.1", "-1", "Tỷ lệ phải từ 0 đến 100%"),                  # percentage below 0
    ("A.3", "2,5", "số nguyên"),                               # count must be whole
    ("A.3", "abc", "không phải là một số nguyên. Ví dụ hợp lệ: 1234 hoặc 1.234"),  # a count's examples are whole
    ("B.1", "excellent", "không nằm trong danh sách"),         # choice not in list
    ("A.5", "maybe", "Có hoặc Không"),                         # yes/no
    ("A.2", "1e9", "không phải là một số"),                    # exponent
    ("A.2", "NaN", "không phải là một số"),                    # not a finite number
    ("A.2", "٣", "không phải là một số"),                      # a digit of another script (float() reads it)
    ("A.2", "12\x0034", "không phải là một số"),              # NUL byte
    ("A.2", "1\u200b000", "không phải là một số"),            # zero-width space
    ("A.2", "9" * 5000, "khoảng 0 – 100000"),                  # absurdly long
    ("A.1", "50%", "không phải là một số"),                    # unit typed in
])
def test_each_validation_rule_shows_message_next_to_field_and_keeps_typed_value(client, world, code, typed, message):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = save(client, entry_id, {**GOOD, code: typed})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert message in error_box(html, code)
    kept = typed.replace("\x00", "\ufffd")  # a NUL is kept as a visible U+FFFD (PostgreSQL refuses NUL)
    if code not in ("B.1", "A.5"):  # selects cannot show an out-of-list value
        assert field_value(html, code) == kept
    # the other fields keep what was typed too
    assert field_value(html, "A.4") == "5"
    # the draft is kept as typed: reopening shows the raw text
    db.session.expire_all()
    assert _values(entry_id)[code].raw == kept


def test_cross_field_check_uses_framework_message_in_users_language(client, world):
    """A.3 (supported) = 7 > A.4 (all poor households) = 5 is refused, message from the framework."""
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = save(client, entry_id, {**GOOD, "A.3": "7", "A.4": "5"})
    assert resp.status_code == 422
    assert "không thể vượt tổng số hộ nghèo" in error_box(resp.get_data(as_text=True), "A.3")
    client.submit("/lang/en", {"next": "/unit/"}, page="/unit/")
    resp = save(client, entry_id, {**GOOD, "A.3": "7", "A.4": "5"})
    assert "cannot exceed all poor households" in error_box(resp.get_data(as_text=True), "A.3")


def test_required_fields_block_submission_but_not_the_draft(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {"A.3": "1", "A.4": "2"}).status_code == 303  # draft saved without A.1/A.2/A.5
    resp = submit(client, entry_id, {"A.3": "1", "A.4": "2"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "bắt buộc" in error_box(html, "A.2") and "bắt buộc" in error_box(html, "A.5")
    assert db.session.get(Entry, entry_id).status == "draft"


def test_evidence_or_explanation_required_on_submit(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = submit(client, entry_id, GOOD)
    assert resp.status_code == 422
    assert "giải trình" in error_box(resp.get_data(as_text=True), "A.1")
    resp = submit(client, entry_id, GOOD, explanations={"A.1": "Báo cáo đang chờ ký"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "submitted"


def test_na_gives_full_points_where_allowed(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    save(client, entry_id, {**GOOD, "A.5": ""}, na=("A.5",))
    db.session.expire_all()
    assert _values(entry_id)["A.5"].is_na and _values(entry_id)["A.5"].points == 10


def test_a_count_typed_with_thousands_groups_is_that_whole_number(client, world):
    """'1.234' households (Vietnamese grouping) or '1,234' is one thousand two hundred thirty-four for a
    count, which cannot have a decimal part; for a decimal number (A.2) '1.234' stays ambiguous."""
    client.login("canbo")
    entry_id = open_entry(client, world)
    from tests.unit_helpers import payload

    resp = client.submit(f"/unit/entries/{entry_id}/preview", payload({"A.3": "1.200", "A.4": "1.234", "A.2": "1.234"}),
                         page=f"/unit/entries/{entry_id}")
    body = resp.get_json()["indicators"]
    assert body["A.4"]["errors"] == [] and body["A.4"]["points"] == 10  # 1,234 × 1 pt, capped at 10
    assert body["A.3"]["errors"] == []  # 1,200 ≤ 1,234: the cross-check reads the same numbers
    assert "không rõ nghĩa" in body["A.2"]["errors"][0]
    assert save(client, entry_id, {"A.3": "1.200", "A.4": "1,234"}).status_code == 303
    db.session.expire_all()
    vals = _values(entry_id)
    assert (vals["A.4"].raw, vals["A.4"].value_num, vals["A.4"].points) == ("1234", 1234.0, 10)
    assert (vals["A.3"].raw, vals["A.3"].value_num) == ("1200", 1200.0)
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "A.4") == "1234" and error_box(html, "A.4") == ""
    # '0.123' is not a grouped number: a count refuses it as not whole
    assert save(client, entry_id, {"A.4": "0.123"}).status_code == 422


def test_live_preview_uses_the_engine_without_saving(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    from tests.unit_helpers import payload

    resp = client.submit(f"/unit/entries/{entry_id}/preview", payload({"A.1": "85", "A.2": "999", "B.1": "good"}),
                         page=f"/unit/entries/{entry_id}")
    body = resp.get_json()
    # A.1 at target → 20, A.2 below target → 0, B.1 good → 20
    assert body["total"] == 40
    assert body["indicators"]["A.1"]["points"] == 20 and body["indicators"]["A.2"]["points"] == 0
    resp = client.submit(f"/unit/entries/{entry_id}/preview", payload({"A.2": "1.234"}), page=f"/unit/entries/{entry_id}")
    assert "không rõ nghĩa" in resp.get_json()["indicators"]["A.2"]["errors"][0]
    assert _values(entry_id) == {}


def test_submit_refused_after_deadline_without_extension(client, world):
    world.campaign.submission_deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = submit(client, entry_id, GOOD, explanations={"A.1": "chờ"})
    assert resp.status_code == 400
    assert "Đã quá hạn nộp hồ sơ" in resp.get_data(as_text=True)
    assert field_value(resp.get_data(as_text=True), "A.2") == "1.234,5"  # data still on screen
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "draft"
    assert _values(entry_id)["A.2"].raw == "1.234,5"  # and saved as draft


def test_submit_allowed_after_deadline_with_extension(client, world):
    world.campaign.submission_deadline = utcnow() - timedelta(hours=1)
    db.session.add(DeadlineExtension(campaign_id=world.campaign.id, unit_id=world.commune.id,
                                     new_deadline=utcnow() + timedelta(days=1), reason="bão lụt"))
    db.session.commit()
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = submit(client, entry_id, GOOD, explanations={"A.1": "chờ"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "submitted"


def test_double_submit_creates_one_submission(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    step = save(client, entry_id, GOOD, explanations={"A.1": "chờ"}, action="submit")
    first = confirm(client, entry_id, step)
    second = confirm(client, entry_id, step)  # double click on "Xác nhận nộp": the same form again
    assert first.status_code == 303 and second.status_code == 303
    assert "đã được nộp trước đó" in client.get(second.headers["Location"]).get_data(as_text=True)
    again = save(client, entry_id, GOOD, explanations={"A.1": "chờ"}, action="submit", lock=1)  # an old tab
    assert again.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EntryVersion)
                             .where(EntryVersion.entry_id == entry_id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "entry.submit")) == 1
    page = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "đang khóa" in page and 'data-testid="submit"' not in page


def test_submitted_entry_cannot_be_changed(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    submit(client, entry_id, GOOD, explanations={"A.1": "chờ"})
    resp = save(client, entry_id, {**GOOD, "A.2": "5"})
    assert resp.status_code == 400
    db.session.expire_all()
    assert _values(entry_id)["A.2"].raw == "1.234,5"


def test_two_tabs_second_save_is_refused_with_data_kept(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    lock = lock_version(client, entry_id)
    assert save(client, entry_id, {"A.2": "100"}, lock=lock).status_code == 303  # tab 1
    resp = save(client, entry_id, {"A.2": "200"}, lock=lock)  # tab 2, loaded at the same version
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "vừa được lưu ở một tab" in html
    assert field_value(html, "A.2") == "200"  # what tab 2 typed is still on screen
    db.session.expire_all()
    assert _values(entry_id)["A.2"].raw == "100"  # no silent overwrite


def test_other_units_entry_is_not_reachable(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    save(client, entry_id, GOOD)
    client.submit("/logout", {}, page="/unit/")
    client.login("canbo2")
    assert client.get(f"/unit/entries/{entry_id}").status_code == 404
    assert client.get(f"/unit/entries/{entry_id}/versions").status_code == 404
    assert client.get(f"/unit/entries/{entry_id}/xlsx").status_code == 404
    from tests.unit_helpers import payload

    token = client.csrf("/unit/")
    resp = client.post(f"/unit/entries/{entry_id}", data={**payload({"A.2": "1"}, lock=1), "csrf_token": token})
    assert resp.status_code == 404
    resp = client.post(f"/unit/entries/{entry_id}/preview", data={**payload({}), "csrf_token": token})
    assert resp.status_code == 404
    db.session.expire_all()
    assert _values(entry_id)["A.2"].raw == "1.234,5"


def test_mass_assignment_fields_are_ignored(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    from tests.unit_helpers import payload

    data = payload(GOOD, lock=lock_version(client, entry_id))
    data.update({"unit_id": world.other.id, "status": "appraised", "self_total": "100", "points-A.1": "20"})
    client.submit(f"/unit/entries/{entry_id}", data)
    db.session.expire_all()
    entry = db.session.get(Entry, entry_id)
    assert entry.unit_id == world.commune.id and entry.status == "draft" and entry.self_total == 50


def test_roles_other_than_officer_cannot_use_the_form(client, world):
    client.login("hoidong")
    assert client.get("/unit/").status_code == 403


def test_markup_in_a_text_answer_is_kept_as_text_and_never_runs(client, world):
    """A narrative with HTML/script is a valid answer: stored as typed, shown escaped."""
    client.login("canbo")
    entry_id = open_entry(client, world)
    typed = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    assert save(client, entry_id, {**GOOD, "B.2": typed}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    db.session.expire_all()
    assert _values(entry_id)["B.2"].raw == typed
