"""Browser: the public leaderboard renders its Plotly chart with no request leaving 127.0.0.1."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from campaign.services.results import leaderboard_cache as cache
from tests.browser.common import ARGS, CHROMIUM, serve
from tests.public_helpers import BANDS, publish

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture
def live_server(app):
    cache.reset_local()
    with serve(app) as base:
        yield base
    cache.reset_local()


def test_leaderboard_chart_renders_offline(factory, live_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    units = [factory.unit(code=code, name=name) for code, name in
             (("001", "Quận Ba Đình"), ("002", "Quận Hoàn Kiếm"), ("003", "Quận Tây Hồ"))]
    camp = factory.campaign(units=units, slug="demo", settings={"bands": BANDS})
    publish(camp, [(units[1], 92, 1, {"I": 52, "II": 40}), (units[0], 80, 2, {"I": 50, "II": 30}),
                   (units[2], 80, 2, {"I": 45, "II": 35})])

    hosts, failures = set(), []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.on("request", lambda req: hosts.add(urlsplit(req.url).hostname))
            page.on("pageerror", lambda exc: failures.append(str(exc)))
            page.goto(f"{live_server}/leaderboard", wait_until="load")
            page.wait_for_selector(".js-plotly-plot", timeout=20_000)
            bars = page.locator('[data-testid="board-chart"] .barlayer .point path')
            bars.first.wait_for(timeout=10_000)
            assert bars.count() >= 6  # 3 units × 2 criteria groups, stacked
            assert page.locator('[data-testid="leaderboard-table"] tbody tr').count() == 3
            # the band threshold lines are drawn (one shape per band)
            assert page.locator('[data-testid="board-chart"] .shapelayer path').count() == 3
            # the table fits a phone: no horizontal scroll of the whole page
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        finally:
            browser.close()
    assert failures == []
    assert hosts == {"127.0.0.1"}, hosts


def test_the_score_range_is_named_on_a_phone(factory, live_server):
    """Walk finding: on a phone (column headers hidden, rows as cards) the range read "876,75 – 891,05 ≈"
    with nothing saying what it is; on a wide screen its column header names it."""
    sync_api = pytest.importorskip("playwright.sync_api")
    units = [factory.unit(code=f"00{i}", name=f"Quận {i}") for i in (1, 2)]
    camp = factory.campaign(units=units, slug="papi", settings={"bands": BANDS, "show_intervals": True})
    publish(camp, [(units[0], 90, 1, {"I": 90}, None, None, (86, 94)), (units[1], 86, 2, {"I": 86}, None, None, (84, 88))])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for width, named in ((375, True), (1366, False)):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(f"{live_server}/leaderboard", wait_until="load")
                cell = page.locator('[data-testid="row-001"] [data-testid="interval"]').inner_text().strip()
                assert cell.startswith("Khoảng điểm:") is named, (width, cell)
                assert "86,00 – 94,00" in cell
                page.close()
        finally:
            browser.close()


def test_switching_campaign_opens_the_new_one_at_its_own_level(factory, live_server):
    """On a commune board, choosing another campaign opens that campaign at its own first level
    (districts), not at the level the previous campaign was showing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    boards = []
    for slug in ("alpha", "beta"):
        label = slug.capitalize()
        district = factory.unit(name=f"Quận {label}")
        wards = [factory.unit("ward", parent=district, name=f"Phường {label} {k}") for k in (1, 2)]
        camp = factory.campaign(units=[district, *wards], slug=slug, name=f"Phong trào {label}",
                                settings={"bands": BANDS})
        publish(camp, [(district, 90, 1, {"I": 50, "II": 40}), (wards[0], 85, 1, {"I": 45, "II": 40}),
                       (wards[1], 80, 2, {"I": 40, "II": 40})], level=None)
        boards.append(camp)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{live_server}/leaderboard?campaign=alpha&level=commune", wait_until="load")
            table = page.locator('[data-testid="leaderboard-table"] tbody')
            assert "Phường Alpha 1" in table.inner_text()
            with page.expect_navigation():
                page.select_option("#f-campaign", "beta")
            assert "level=" not in page.url
            assert page.locator("#f-level option:checked").inner_text().startswith("Cấp huyện")
            assert "Quận Beta" in table.inner_text() and "Phường" not in table.inner_text()
            # the level can still be chosen on the new campaign
            with page.expect_navigation():
                page.select_option("#f-level", "commune")
            assert "Phường Beta 1" in table.inner_text()
        finally:
            browser.close()
