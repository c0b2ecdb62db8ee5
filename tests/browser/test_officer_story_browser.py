"""Browser: the officer's entry page as a person uses it, in Chromium, in Vietnamese and in English.

1. A commune officer types one wrong value ("bốn"), saves, reloads: the value is still there,
   marked with its message, and the counter does not count it; the officer corrects it (the
   live counter follows), attaches the evidence and submits through the confirmation step.
2. The demo ward officer answers the pending clarification: evidence and an explanation on the
   asked indicator, a new value on the other; "Nộp lại hồ sơ" → confirmation → resubmitted,
   although other (locked) indicators have no files (issue 11).

Screenshots at 1366 and 375 px wide, vi and en, go to /tmp/shots/officer/.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ClarificationRequest, Entry, EntryVersion, User
from tests.browser.common import ARGS, CHROMIUM, login, screenshots, serve, switch_language
from tests.unit_helpers import PDF, World

SHOTS = Path(os.environ.get("THIDUA_SHOTS", "/tmp/shots/officer"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def _switch_language(page, lang: str) -> None:
    if page.locator("html").get_attribute("lang") != lang:
        switch_language(page, lang)
    assert page.locator("html").get_attribute("lang") == lang


def _text(page, testid: str) -> str:
    return page.locator(f'[data-testid="{testid}"]').inner_text().strip()


@pytest.fixture
def live_server(app):
    from campaign.sqlite import set_read_only

    with serve(app) as base:
        yield base, set_read_only
    set_read_only(False)


WORDS = {
    "vi": {"not_a_number": "“bốn” không phải là một số", "invalid": "1 ô chưa hợp lệ", "confirm": "Xác nhận nộp hồ sơ",
           "all_filled": "Tất cả chỉ tiêu đều đã có giá trị.", "locked": "Hồ sơ đã nộp lúc",
           "what": "hồ sơ được gửi tới Hội đồng thi đua và bị khóa", "types": "Nhận: PDF, JPEG, PNG"},
    "en": {"not_a_number": "“bốn” is not a number", "invalid": "1 invalid", "confirm": "Confirm submission",
           "all_filled": "Every indicator has a value.", "locked": "Submitted at",
           "what": "the entry is sent to the emulation council and locked", "types": "Accepted: PDF, JPEG, PNG"},
}


def _draft_story(page, base: str, username: str, campaign_id: int, lang: str, evidence: Path) -> None:
    words = WORDS[lang]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "password-123")
    page.click('[data-testid="login-submit"]')
    page.wait_for_load_state("load")
    _switch_language(page, lang)
    page.goto(f"{base}/unit/campaigns/{campaign_id}/entry")
    page.wait_for_selector('[data-testid="entry-form"]')
    entry_url = page.url
    assert _text(page, "types-A.1") == words["types"]
    assert page.get_attribute('[data-testid="file-A.1"]', "accept") == ".pdf,application/pdf,.jpg,.jpeg,image/jpeg,.png,image/png"
    # everything right except A.2, typed as a word
    for code, value in (("A.1", "67,5"), ("A.2", "bốn"), ("A.3", "3"), ("A.4", "5"), ("B.2", "Mô hình “Phố xanh”")):
        page.fill(f'[data-testid="value-{code}"]', value)
    page.select_option('[data-testid="value-A.5"]', "yes")
    page.select_option('[data-testid="value-B.1"]', "fair")
    page.click('[data-testid="save"]')
    page.wait_for_load_state("load")
    # a reload, as the officer coming back the next day
    page.goto(entry_url)
    page.wait_for_selector('[data-testid="entry-form"]')
    assert page.input_value('[data-testid="value-A.2"]') == "bốn"
    assert words["not_a_number"] in _text(page, "error-A.2")
    assert page.get_attribute('[data-testid="value-A.2"]', "aria-invalid") == "true"
    # 6 of 7 filled and valid (A.2 is not): 86 %
    assert _text(page, "completeness") == ("86 %" if lang == "vi" else "86%") and _text(page, "completeness-count") == "6/7"
    assert _text(page, "invalid-count") == words["invalid"]
    screenshots(page, SHOTS, f"draft-invalid-marked-{lang}")
    # corrected: the live counter and the mark follow without saving
    page.fill('[data-testid="value-A.2"]', "1.234,5")
    page.wait_for_function("document.querySelector('[data-testid=\"completeness-count\"]').textContent === '7/7'")
    assert _text(page, "completeness") == ("100 %" if lang == "vi" else "100%")
    assert not page.is_visible('[data-testid="invalid-count"]')
    assert _text(page, "error-A.2") == ""
    page.set_input_files('[data-testid="file-A.1"]', str(evidence))
    page.click('[data-testid="submit"]')
    page.wait_for_load_state("load")
    # the confirmation step says what will happen
    assert page.locator("h1").inner_text() == words["confirm"]
    assert words["what"] in _text(page, "confirm-what")
    # 10 (A.1: 67,5 % on 50→85 over 20) + 10 (A.2 ≥ 1.000) + 3 + 5 + 10 (A.5) + 12 (B.1 fair) = 50
    assert _text(page, "confirm-total") == ("50,00" if lang == "vi" else "50.00")
    assert _text(page, "confirm-files") == "1" and _text(page, "confirm-empty") == words["all_filled"]
    screenshots(page, SHOTS, f"confirm-submit-{lang}")
    page.dblclick('[data-testid="confirm-submit"]')  # a double click still makes one submission
    page.wait_for_load_state("load")
    assert words["locked"] in _text(page, "locked")
    screenshots(page, SHOTS, f"submitted-locked-{lang}")
    page.click('[data-testid="logout"]')
    page.wait_for_load_state("load")


def test_officer_keeps_an_invalid_value_marked_corrects_it_and_submits_after_confirming(tmp_path, factory, live_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, set_read_only = live_server
    world = World(factory)
    db.session.commit()
    set_read_only(True)
    evidence = tmp_path / "biên bản nước sạch.pdf"
    evidence.write_bytes(PDF)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for username, lang in (("canbo", "vi"), ("canbo2", "en")):
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("dialog", lambda d: d.accept())
                _draft_story(page, base, username, world.campaign.id, lang, evidence)
                page.close()
        finally:
            browser.close()
    assert errors == []
    db.session.rollback()
    entries = db.session.scalars(sa.select(Entry).where(Entry.campaign_id == world.campaign.id)).all()
    assert sorted(e.status for e in entries) == ["submitted", "submitted"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EntryVersion)) == 2  # one per unit, double click or not


def test_ward_officer_answers_the_clarification(tmp_path, demo_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    officer = db.session.scalar(sa.select(User).where(User.username == "officer-ward"))
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "van-minh-do-thi-2018"))
    entry = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == campaign.id, Entry.unit_id == officer.unit_id))
    asked = db.session.scalar(sa.select(ClarificationRequest.indicator_codes).where(ClarificationRequest.entry_id == entry.id))
    assert asked == ["1.1", "1.2"] and entry.status == "clarification_requested"
    old_12 = next(v.raw for v in entry.values if v.indicator.code == "1.2")
    locked_21 = next(v.raw for v in entry.values if v.indicator.code == "2.1")
    assert re.fullmatch(r"\d+(\.\d+)?", locked_21)  # the demo stores plain numbers, e.g. 90.5
    evidence = tmp_path / "Quy hoạch chi tiết phường.pdf"
    evidence.write_bytes(PDF)
    new_12 = "0" if old_12 != "0" else "1"
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda d: d.accept())
            login(page, demo_server, "officer-ward")
            page.goto(f"{demo_server}/unit/entries/{entry.id}")
            page.wait_for_selector('[data-testid="entry-form"]')
            assert "Đề nghị bổ sung văn bản chứng minh số liệu" in _text(page, "clarification")
            assert page.is_visible('[data-testid="asked-1.1"]') and page.is_visible('[data-testid="asked-1.2"]')
            # a locked indicator shows its value, written the Vietnamese way, and cannot be changed
            shown_21 = locked_21.removesuffix(".0").replace(".", ",")  # 90.5 -> "90,5"; 91.0 -> "91"
            assert page.input_value('[data-testid="value-2.1"]') == shown_21
            assert page.is_disabled('[data-testid="value-2.1"]')
            screenshots(page, SHOTS, "ward-clarification-vi")
            _switch_language(page, "en")
            assert "clarification requested" in _text(page, "ind-1.1")
            assert page.input_value('[data-testid="value-2.1"]') == locked_21.removesuffix(".0")
            assert page.inner_text('[data-testid="chosen-1.1"]') == "No file selected"  # the page's words
            screenshots(page, SHOTS, "ward-clarification-en")
            _switch_language(page, "vi")
            # the answer: evidence and an explanation on 1.1, a new value on 1.2
            assert page.inner_text('[data-testid="chosen-1.1"]') == "Chưa chọn tệp"
            page.set_input_files('[data-testid="file-1.1"]', str(evidence))
            assert page.inner_text('[data-testid="chosen-1.1"]') == "Quy hoạch chi tiết phường.pdf"
            page.fill('[data-testid="ex-1.1"]', "Quyết định phê duyệt quy hoạch chi tiết đính kèm.")
            page.fill('[data-testid="value-1.2"]', new_12)
            page.click('[data-testid="submit"]')
            page.wait_for_load_state("load")
            assert page.locator("h1").inner_text() == "Xác nhận nộp hồ sơ", page.inner_text("main")[:1500]
            assert "phần giải trình cho các chỉ tiêu 1.1, 1.2 được gửi tới Hội đồng thi đua" in _text(page, "confirm-what")
            screenshots(page, SHOTS, "ward-confirm-vi")
            # the same step in English (the draft is saved: going back and pressing again shows it)
            page.click('[data-testid="confirm-back"]')
            page.wait_for_load_state("load")
            _switch_language(page, "en")
            assert page.input_value('[data-testid="value-1.2"]') == new_12
            page.click('[data-testid="submit"]')
            page.wait_for_load_state("load")
            assert page.locator("h1").inner_text() == "Confirm submission"
            assert "your answer for indicators 1.1, 1.2 is sent to the emulation council" in _text(page, "confirm-what")
            screenshots(page, SHOTS, "ward-confirm-en")
            page.click('[data-testid="confirm-submit"]')
            page.wait_for_load_state("load")
            assert page.locator('[data-testid="locked"]').count() == 1, page.inner_text("main")[:1500]
            assert "Entry submitted" in page.inner_text("main")
            screenshots(page, SHOTS, "ward-resubmitted-en")
        finally:
            browser.close()
    assert errors == []
    db.session.rollback()
    entry = db.session.get(Entry, entry.id)
    assert entry.status == "resubmitted"
    values = {v.indicator.code: v for v in entry.values}
    assert values["1.2"].raw == new_12 and values["1.1"].explanation.startswith("Quyết định phê duyệt")
    assert values["2.1"].raw == locked_21  # accepted before, untouched
