"""The officer's self-score preview counts only valid values; each message sits under the field it is about.

A draft keeps what was typed, wrong or not ("150 %", "12,5" households): the preview gives such a cell
no points (its badge shows "–", the field's message says why) and feeds it to no computed indicator,
on the page rendered after "Lưu nháp" and in the live preview's answer alike.
"""
from __future__ import annotations

import re

import pytest

from campaign.extensions import db
from campaign.models import Entry
from tests.unit_helpers import GOOD, World, error_box, open_entry, payload, save
from tests.values_constructs_helpers import DOC

# GOOD scores 50 (A: 10 + 10 + 3 + 5 + 10 = 38, B: 12). A.1 at 150 % would be capped at its 20 points,
# A.4 at 12,5 households at its 10: counted, the total would be 65. Not counted: 50 - 10 - 5 = 35.
WRONG = {**GOOD, "A.1": "150", "A.4": "12,5"}


@pytest.fixture
def world(factory):
    return World(factory)


def _shown(html: str, testid: str) -> str:
    m = re.search(r'data-testid="' + re.escape(testid) + r'"[^>]*>([^<]*)<', html)
    assert m, testid
    return m.group(1).strip()


def test_a_saved_invalid_value_earns_nothing_in_the_page_preview(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, WRONG).status_code == 422  # kept as a draft, marked
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)  # the page after a reload
    assert "Tỷ lệ phải từ 0 đến 100%" in error_box(html, "A.1")
    assert "Phải là số nguyên" in error_box(html, "A.4")
    assert _shown(html, "self-total") == "35,00"
    assert _shown(html, "pts-A.1") == "–" and _shown(html, "pts-A.4") == "–"
    assert _shown(html, "pts-A.2") == "10,00" and _shown(html, "pts-A.3") == "3,00"
    assert _shown(html, "gpts-A") == "23,00"  # 10 + 3 + 10
    # corrected, they count again: 50
    assert save(client, entry_id, GOOD).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert _shown(html, "self-total") == "50,00" and _shown(html, "pts-A.1") == "10,00" and _shown(html, "pts-A.4") == "5,00"


def test_the_live_preview_does_not_count_an_invalid_value(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    url = f"/unit/entries/{entry_id}"
    body = client.submit(f"{url}/preview", payload(WRONG), page=url).get_json()
    assert body["total"] == 35
    assert body["indicators"]["A.1"]["counted"] is False and body["indicators"]["A.1"]["points"] == 0
    assert body["indicators"]["A.4"]["counted"] is False and body["indicators"]["A.2"]["counted"] is True
    assert body["groups"]["A"]["points"] == 23


def test_an_invalid_value_cannot_be_submitted(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    resp = save(client, entry_id, WRONG, action="submit")
    assert resp.status_code == 422 and "Hồ sơ chưa được nộp vì còn lỗi." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Entry, entry_id).status == "draft"


def test_an_invalid_operand_feeds_no_computed_indicator(client, factory):
    from tests.app.test_computed_indicators import open_entry as open_doc_entry
    from tests.app.test_computed_indicators import save as save_doc

    ward = factory.unit("ward", name="Phường Điện Biên", code="00100")
    factory.user("officer", unit=ward, username="canbo")
    campaign = factory.campaign(DOC, units=[ward])
    db.session.commit()
    client.login("canbo")
    entry_id = open_doc_entry(client, campaign.id)
    # 45,5 trained of 50: not a whole number. Read as 91 % it would earn (91 - 50) / 50 × 20 = 16,40
    assert save_doc(client, entry_id, {"1a": "45,5", "1b": "50"}).status_code == 422
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "Phải là số nguyên" in error_box(html, "1a")
    assert _shown(html, "computed-1c") == "–" and _shown(html, "pts-1c") == "0,00" and _shown(html, "gpts-1") == "0,00"
    # 60 trained of 50: a share of 120 % is wrong itself; counted it would earn the full 20
    assert save_doc(client, entry_id, {"1a": "60", "1b": "50"}).status_code == 422
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "Tỷ lệ phải từ 0 đến 100%" in error_box(html, "1c")
    assert _shown(html, "computed-1c") == "120,00" and _shown(html, "pts-1c") == "–" and _shown(html, "gpts-1") == "0,00"
    # 45 of 50: 90 % → (90 - 50) / 50 × 20 = 16
    assert save_doc(client, entry_id, {"1a": "45", "1b": "50"}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert _shown(html, "computed-1c") == "90,00" and _shown(html, "pts-1c") == "16,00"


def _position(html: str, pattern: str) -> int:
    m = re.search(pattern, html, re.S)
    assert m, pattern
    return m.start()


def test_each_message_sits_under_the_field_it_is_about(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    html = save(client, entry_id, WRONG, explanations={"A.1": "Báo cáo đang chờ ký"}).get_data(as_text=True)
    value = _position(html, r'<input[^>]*data-testid="value-A.1"')
    message = _position(html, r'data-testid="error-A.1"[^>]*>\s*<div>Tỷ lệ phải từ 0 đến 100%')
    explanation = _position(html, r'<textarea[^>]*data-testid="ex-A.1"')
    assert value < message < explanation  # under "Giá trị", above "Giải trình"
    # the evidence message is about the files and the explanation: under the explanation
    html = save(client, entry_id, GOOD, action="submit").get_data(as_text=True)
    evidence = _position(html, r'data-testid="error-more-A.1"[^>]*>\s*<div>Cần đính kèm tệp minh chứng')
    assert _position(html, r'<textarea[^>]*data-testid="ex-A.1"') < evidence
    under_value = re.search(r'data-testid="error-A.1"[^>]*>((?:\s*<div>.*?</div>)*)\s*</div>', html, re.S).group(1)
    assert "Cần đính kèm" not in under_value
