"""Story: the commission publishes a mid-term result of a campaign still receiving entries.

As admin on the demo: an official publication of the open "Codes of Conduct" campaign is refused
(only from the appraisal stage on); the mid-term publication first shows a confirmation stating
what will happen — 23 of the 30 districts submitted, 7 will be published as not submitted
(the demo leaves 4 entries as drafts, 3 districts without an entry) — and, once confirmed, the
public board shows the publication labelled as not official, the 7 as "Chưa nộp". Screenshots in
Vietnamese and English at 1366 and 375 px go to /tmp/shots/admin/.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign
from tests.browser.common import ARGS, CHROMIUM, login, switch_language

SHOTS = Path("/tmp/shots/admin")
SLUG = "quy-tac-ung-xu-2018"

pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def _reload_until(page, url: str, selector: str) -> None:
    """Reload until the worker's publication shows (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + 60
    while True:
        page.goto(url, wait_until="load")
        if page.locator(selector).count() or time.monotonic() > deadline:
            return
        time.sleep(0.5)


@pytest.mark.parametrize("lang,width,height", [("vi", 1366, 768), ("en", 375, 812)])
def test_admin_publishes_a_labelled_midterm_after_a_confirmation_with_the_counts(demo_server, celery_worker,
                                                                                 lang, width, height):
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == SLUG))
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            login(page, demo_server, "admin")
            if lang == "en":
                switch_language(page)
            results = f"{demo_server}/admin/results/{campaign_id}"

            # An official result while entries are still received: refused, with the way out.
            page.goto(results, wait_until="load")
            # On a phone the cluster is a line under the unit's name, not a column of one word per line (walk finding)
            row = page.locator('[data-testid="provisional-table"] tbody tr').first.locator("td")
            cluster = (row.nth(3).text_content() or "").strip()
            assert cluster and cluster != "–"
            phone = width <= 640
            assert page.locator('[data-testid="provisional-table"] thead th').nth(3).is_visible() is not phone
            assert (cluster in row.nth(2).inner_text()) is phone
            # and the table fits the screen: rows stack on a phone instead of scrolling sideways (615 px in 357)
            assert page.locator('[data-testid="provisional-table"]').bounding_box()["width"] <= width
            page.click('[data-testid="publish"]')
            page.wait_for_load_state("load")
            refusal = page.locator(".flash, [role=alert], .alert").all_inner_texts()
            expected = ("chỉ được công bố từ giai đoạn thẩm định" if lang == "vi"
                        else "can only be published from the appraisal stage")
            assert any(expected in t for t in refusal), refusal
            page.screenshot(path=str(SHOTS / f"refused-{lang}-{width}.png"), full_page=False)

            # The mid-term publication: first the confirmation, with the counts.
            page.click('[data-testid="publish-midterm"]')
            page.wait_for_load_state("load")
            counts = page.locator('[data-testid="publish-counts"]').inner_text()
            assert counts.startswith("23 trên 30 đơn vị đã nộp hồ sơ; 7 đơn vị sẽ được công bố là «Chưa nộp»"
                                     if lang == "vi" else "23 of 30 units submitted; 7 will be published as"), counts
            effect = page.locator('[data-testid="publish-effect"]').inner_text()
            assert ("chưa phải kết quả chính thức" if lang == "vi" else "not the official result") in effect
            page.screenshot(path=str(SHOTS / f"confirm-{lang}-{width}.png"), full_page=True)
            page.click('[data-testid="confirm-publish"]')
            page.wait_for_load_state("load")

            # The public board: the publication labelled as not official, the 7 shown as not submitted.
            board = f"{demo_server}/leaderboard?campaign={SLUG}"
            _reload_until(page, board, '[data-testid="run-kind"]')
            kind = page.locator('[data-testid="run-kind"]').inner_text()
            assert kind == ("Kết quả sơ kết giữa kỳ – chưa phải kết quả chính thức" if lang == "vi"
                            else "Mid-term (preliminary) result – not the official result"), kind
            assert page.locator('tr[data-status="not_submitted"]').count() == 7
            assert page.locator('tr[data-status="not_submitted"] [data-testid="score"]').all_inner_texts() == ["–"] * 7
            page.screenshot(path=str(SHOTS / f"published-{lang}-{width}.png"), full_page=False)
            page.locator('tr[data-status="not_submitted"]').first.scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"published-not-submitted-{lang}-{width}.png"), full_page=False)
        finally:
            browser.close()
    assert errors == []
