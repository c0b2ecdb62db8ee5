"""The commission's results page: a running recompute's progress reads in the page's language.

The poller (static/js/results.js) writes what it reads from status.json: "45 %" and the step in
Vietnamese ("45 % (Đang tính điểm)", the percent sign never on a line of its own), "45% (Computing the
scores)" in English; a step the page does not know is left unsaid, never shown as its code. The status
answer is stubbed in the browser (a recompute's progress lives in Redis for seconds only). Screenshots in
/tmp/shots/results/.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from campaign.extensions import db
from tests.browser.common import ARGS, CHROMIUM, login, serve, switch_language
from tests.factories import PASSWORD

SHOTS = Path("/tmp/shots/results")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture
def results_server(app, factory):
    from campaign.sqlite import set_read_only

    factory.user("admin", username="progress-admin")
    camp = factory.campaign(units=[factory.unit(code="00501", name="Quận Tiến Độ")], slug="tien-do")
    db.session.commit()
    token = set_read_only(True)  # the test thread only reads: the server thread keeps the write lock
    with serve(app) as base:
        yield base, camp.id
    set_read_only(False)
    del token


@pytest.mark.parametrize("lang,expected,unknown", [
    ("vi", "45\u00a0% (Đang tính điểm)", "12\u00a0%"),
    ("en", "45% (Computing the scores)", "12%"),
])
def test_progress_reads_in_the_pages_language(results_server, lang, expected, unknown):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, campaign_id = results_server
    answers = [{"progress": 0.452, "phase": "computing"}, {"progress": 0.12, "phase": "some-new-step"}]
    errors: list[str] = []

    def status(route):
        running = answers[0] if len(answers) == 2 else answers[-1]
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"campaign_id": campaign_id, "stale": True, "running": running}))

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            login(page, base, "progress-admin", PASSWORD)
            if lang == "en":
                switch_language(page)
            page.route("**/status.json", status)
            page.goto(f"{base}/admin/results/{campaign_id}", wait_until="load")
            text = page.locator("#progress-text")
            sync_api.expect(text).to_have_text(expected, timeout=10000)
            assert text.inner_text() == expected  # the exact characters, the no-break space included
            assert page.locator("[role=progressbar]").get_attribute("aria-valuenow") == "45"
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"progress-{lang}-1366.png"))
            answers.pop(0)  # the next poll: a step the page has no words for
            sync_api.expect(text).to_have_text(unknown, timeout=10000)
        finally:
            browser.close()
    assert errors == []
