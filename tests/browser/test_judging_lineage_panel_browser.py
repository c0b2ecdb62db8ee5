"""Browser: on a phone (375 px) the commission's panel page shows every judge's "Bỏ khỏi hội đồng" button whole,
inside the screen (it was cut off at the right edge), and the judge whose work unit has closed says so."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign
from tests.browser.common import ARGS, CHROMIUM, login

SHOTS = Path(os.environ.get("THIDUA_SHOTS", "/tmp/shots")) / "judging"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def test_panel_remove_buttons_fit_a_phone_screen(demo_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == "van-minh-do-thi-2018"))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 812})
            login(page, demo_server, "admin")
            page.goto(f"{demo_server}/judging/admin/campaigns/{campaign_id}/panel", wait_until="load")
            buttons = page.get_by_role("button", name="Bỏ khỏi hội đồng")
            assert buttons.count() == 6  # the demo's six judges
            for i in range(buttons.count()):
                box = buttons.nth(i).bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            dung = page.locator('[data-testid="member-judge1"]')
            assert "Quận Hoàn Kiếm (ngừng hoạt động từ 01/07/2025)" in dung.inner_text()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "panel-375.png"), full_page=True)
        finally:
            browser.close()
