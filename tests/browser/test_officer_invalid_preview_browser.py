"""Browser: an invalid value in the officer's draft earns nothing in the live preview, and its message sits
right under the value field, above the explanation box, on a phone (375 px) as on a desktop."""
from __future__ import annotations

import os

import pytest

from campaign.extensions import db
from tests.browser.common import ARGS, CHROMIUM, login, serve
from tests.unit_helpers import GOOD, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture
def live_server(app):
    from campaign.sqlite import set_read_only

    with serve(app) as base:
        yield base, set_read_only
    set_read_only(False)


def _text(page, testid: str) -> str:
    return page.locator(f'[data-testid="{testid}"]').inner_text().strip()


def _wait_text(page, testid: str, text: str) -> None:
    page.wait_for_function("([t, x]) => document.querySelector(`[data-testid=\"${t}\"]`).textContent.trim() === x",
                           arg=[testid, text])


def test_live_preview_skips_an_invalid_value_and_its_message_sits_under_the_value(factory, live_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, set_read_only = live_server
    world = World(factory)
    db.session.commit()
    set_read_only(True)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 812})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda d: d.accept())
            login(page, base, "canbo", "password-123")
            page.goto(f"{base}/unit/campaigns/{world.campaign.id}/entry")
            page.wait_for_selector('[data-testid="entry-form"]')
            for code in ("A.1", "A.2", "A.3", "A.4", "B.2"):
                page.fill(f'[data-testid="value-{code}"]', GOOD[code])
            page.select_option('[data-testid="value-A.5"]', "yes")
            page.select_option('[data-testid="value-B.1"]', "fair")
            _wait_text(page, "self-total", "50,00")  # 10 + 10 + 3 + 5 + 10 + 12
            assert _text(page, "pts-A.1") == "10,00"
            # 150 %: out of range; counted it would earn the full 20 (total 60). Not counted: 40
            page.fill('[data-testid="value-A.1"]', "150")
            _wait_text(page, "self-total", "40,00")
            assert _text(page, "pts-A.1") == "–" and _text(page, "gpts-A") == "28,00"
            assert "Tỷ lệ phải từ 0 đến 100%" in _text(page, "error-A.1")
            page.fill('[data-testid="ex-A.1"]', "Báo cáo đang chờ ký")
            page.click('[data-testid="save"]')
            page.wait_for_load_state("load")
            page.wait_for_selector('[data-testid="entry-form"]')
            assert _text(page, "self-total") == "40,00" and _text(page, "pts-A.1") == "–"
            # on the phone, the message is between "Giá trị" and "Giải trình"
            value = page.locator('[data-testid="value-A.1"]').bounding_box()
            message = page.locator('[data-testid="error-A.1"]').bounding_box()
            explanation = page.locator('[data-testid="ex-A.1"]').bounding_box()
            assert "Tỷ lệ phải từ 0 đến 100%" in _text(page, "error-A.1")
            assert value["y"] + value["height"] <= message["y"] < explanation["y"], (value, message, explanation)
            # corrected: counted again without saving
            page.fill('[data-testid="value-A.1"]', "67,5")
            _wait_text(page, "self-total", "50,00")
            assert _text(page, "pts-A.1") == "10,00" and _text(page, "error-A.1") == ""
            page.close()
        finally:
            browser.close()
    assert errors == []
