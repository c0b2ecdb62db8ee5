"""A draft as the officer left it: invalid values stay marked, the counter is honest, submitting asks first."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from campaign.extensions import db
from campaign.models import Entry
from tests.unit_helpers import GOOD, World, confirm, error_box, field_value, open_entry, payload, save

BAD = {**GOOD, "A.1": "150", "A.2": "bốn", "A.4": "2,5", "A.3": ""}


@pytest.fixture
def world(factory):
    return World(factory)


def _counter(html: str) -> tuple[str, str, str]:
    pct = re.search(r'data-testid="completeness"[^>]*>([^<]*)<', html).group(1)
    count = re.search(r'data-testid="completeness-count"[^>]*>([^<]*)<', html).group(1)
    invalid = re.search(r'<span[^>]*data-testid="invalid-count"[^>]*>([^<]*)<', html)
    hidden = re.search(r'<span[^>]*data-testid="invalid-count"[^>]*\bhidden\b', html)
    return pct, count, "" if hidden else invalid.group(1)


def test_invalid_values_stay_marked_after_a_reload_and_do_not_count_as_filled(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, BAD).status_code == 422
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)  # a reload, days later
    assert field_value(html, "A.1") == "150" and field_value(html, "A.2") == "bốn" and field_value(html, "A.4") == "2,5"
    assert "Tỷ lệ phải từ 0 đến 100%" in error_box(html, "A.1")
    assert "“bốn” không phải là một số" in error_box(html, "A.2")
    assert "Phải là số nguyên" in error_box(html, "A.4")
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*name="v-A.2"|<input[^>]*name="v-A.2"[^>]*aria-invalid="true"',
                     html)
    assert 'data-testid="ind-A.2"' in html and re.search(r'class="card indicator invalid" id="ind-A.2"', html)
    # filled and valid: A.5, B.1, B.2 → 3 of 7 = 43 %; A.1, A.2, A.4 are wrong, A.3 empty
    assert _counter(html) == ("43 %", "3/7", "3 ô chưa hợp lệ")
    # corrected: 6 of 7 (A.3 still empty) = 86 %, no marks left
    assert save(client, entry_id, {**BAD, "A.1": "67,5", "A.2": "1.234,5", "A.4": "5"}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert error_box(html, "A.2").strip() == "" and "aria-invalid=\"true\"" not in html
    assert _counter(html) == ("86 %", "6/7", "")


def test_the_live_counter_gets_the_same_count_as_the_page(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    body = client.submit(f"/unit/entries/{entry_id}/preview", payload(BAD), page=f"/unit/entries/{entry_id}").get_json()
    assert body["completeness"]["filled"] == 3 and body["completeness"]["invalid"] == 3
    assert body["completeness"]["pct"] == 43
    assert "không phải là một số" in body["indicators"]["A.2"]["errors"][0]
    good = client.submit(f"/unit/entries/{entry_id}/preview", payload(GOOD), page=f"/unit/entries/{entry_id}").get_json()
    assert good["completeness"]["filled"] == 7 and good["completeness"]["invalid"] == 0


def test_the_live_counter_is_drawn_by_unit_js_from_the_servers_answer():
    js = (Path(__file__).resolve().parents[2] / "static/js/unit.js").read_text()
    assert "showCompleteness(result.completeness)" in js and "data-complete-count" in js


def test_submit_asks_for_confirmation_stating_what_will_happen(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    values = {**GOOD, "A.3": "", "A.4": ""}
    resp = save(client, entry_id, values, explanations={"A.1": "Báo cáo đang chờ ký"}, action="submit")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Xác nhận nộp hồ sơ" in html
    assert "hồ sơ được gửi tới Hội đồng thi đua và bị khóa" in html
    assert "Chỉ tiêu còn để trống (không bắt buộc): 2" in html
    assert "A.3 · Số hộ nghèo được hỗ trợ" in html and "A.4 · Tổng số hộ nghèo" in html
    # 10 (A.1 67,5 %) + 10 (A.2) + 0 + 0 + 10 (A.5) + 12 (B.1 fair) = 42
    assert re.search(r'data-testid="confirm-total">42,00<', html)
    assert re.search(r'data-testid="confirm-files">0<', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script: works under the CSP, and without JS
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "draft"  # nothing locked before the confirmation
    assert field_value(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True), "A.2") == "1.234,5"  # saved
    done = confirm(client, entry_id, resp)
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Đã nộp hồ sơ" in page and 'data-testid="locked"' in page
    assert "Số có thể viết" not in page  # no typing hints on a locked entry
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "submitted"


def test_a_change_made_after_the_confirmation_page_is_not_submitted_unseen(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    step = save(client, entry_id, GOOD, explanations={"A.1": "chờ"}, action="submit")
    assert save(client, entry_id, {**GOOD, "A.2": "5"}, explanations={"A.1": "chờ"}).status_code == 303  # another tab
    done = confirm(client, entry_id, step)
    assert done.status_code == 303
    assert "Hồ sơ đã thay đổi sau khi bạn mở trang xác nhận" in client.get(done.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "draft"


def test_unit_views_leave_the_database_to_the_services():
    views = (Path(__file__).resolve().parents[2] / "campaign/unit/views.py").read_text()
    assert "db.session" not in views and "rollback" not in views and "refresh(" not in views
