"""Browser: the new-campaign form's band table is usable on a phone and on a laptop (its inputs
shrank to slivers at 375 px: "90" read "9", a band name "Hoà")."""
from __future__ import annotations

import os

import pytest

from tests.browser.common import ARGS, CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.mark.parametrize("width", [375, 1366])
def test_band_inputs_keep_a_readable_width(demo_server, width):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800})
            login(page, demo_server, "admin")
            page.goto(f"{demo_server}/admin/campaigns/new", wait_until="load")
            minimum = page.locator('[data-testid="band-min-0"]')
            assert minimum.input_value() == "90"
            assert minimum.bounding_box()["width"] >= 80
            name = page.locator('[data-testid="bands"] td.band-name input').first
            assert name.input_value() == "Hoàn thành xuất sắc nhiệm vụ"
            assert name.bounding_box()["width"] >= 200  # 13 rem: the whole name shows
            # the page itself does not scroll sideways: the table scrolls in its own box
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        finally:
            browser.close()
