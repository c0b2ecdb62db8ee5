"""The audit log on a phone (375 px): each row is a card, the changed fields before and after stacked under their
names, on screen (the before/after columns were off to the right of a sideways-scrolling table). Screenshots in
/tmp/shots/audit/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from campaign.extensions import db
from campaign.services.setup.campaigns import default_settings, update_campaign
from tests.browser.common import ARGS, CHROMIUM, login, serve
from tests.factories import PASSWORD

SHOTS = Path("/tmp/shots/audit")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture
def audit_server(app, factory):
    from campaign.sqlite import set_read_only

    admin = factory.user("admin", username="audit-admin")
    camp = factory.campaign(name="Phong trào Nhật Ký", settings=default_settings())
    db.session.commit()
    update_campaign(camp.id, {"settings": {"judges_per_entry": 4}}, user_id=admin.id)
    token = set_read_only(True)  # the test thread only reads: the server thread keeps the write lock
    with serve(app) as base:
        yield base
    set_read_only(False)
    del token


@pytest.mark.parametrize("width,height", [(375, 812), (1366, 900)])
def test_before_and_after_are_on_screen_on_a_phone(audit_server, width, height):
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            login(page, audit_server, "audit-admin", PASSWORD)
            page.goto(f"{audit_server}/admin/audit", wait_until="load")
            row = page.locator('[data-testid="audit-row"]', has_text="Sửa phong trào").first
            page.screenshot(path=str(SHOTS / f"audit-{width}.png"), full_page=True)
            for testid, value in (("audit-before", "Số giám khảo chấm mỗi bài: 3"),
                                  ("audit-after", "Số giám khảo chấm mỗi bài: 4")):
                cell = row.locator(f'[data-testid="{testid}"]')
                assert value in cell.inner_text()
                box = cell.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (testid, box)  # on screen, no sideways scroll
            if width <= 640:  # stacked: after under before, each under its name
                before, after = (row.locator(f'[data-testid="{t}"]').bounding_box() for t in ("audit-before", "audit-after"))
                assert after["y"] >= before["y"] + before["height"] - 1
                # the column heads are off screen (for screen readers): each cell says its name instead
                assert page.locator('[data-testid="audit-rows"] thead').bounding_box()["width"] <= 1
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            browser.close()
