"""Browser: the board of every commune-level unit of the country (3,321, two-tier) is usable on a phone
(375 px) and a desktop (1366 px): a compact chart (top 20 + distribution by band, not 3,321 bars),
50 rows a page with a pager, and "find a unit" typed without diacritics.

Screenshots: $THIDUA_SHOTS/big-board/ (default /tmp/shots).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from campaign.extensions import db
from campaign.services.results import leaderboard_cache as cache
from tests.big_board_helpers import big_board, official_units
from tests.browser.common import ARGS, CHROMIUM, serve

SHOTS = Path(os.environ.get("THIDUA_SHOTS", "/tmp/shots")) / "big-board"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture
def country_board(app, factory):
    units = official_units()  # all 34 provinces
    assert len(units) == 3321
    big_board(factory, units, slug="vn3321", step=0.02)  # 100 … 33,60
    db.session.commit()
    cache.reset_local()
    with serve(app) as base:
        yield {"base": base, "units": units}
    cache.reset_local()


def _no_page_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width,height", [(1366, 900), (375, 812)])
def test_the_country_board_is_usable_at_both_widths(country_board, width, height):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, units = country_board["base"], country_board["units"]
    dong_da = next(i for i, u in enumerate(units) if u.name == "Phường Đống Đa")
    failures: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda exc: failures.append(str(exc)))
            page.goto(f"{base}/leaderboard?campaign=vn3321", wait_until="load")
            # the compact chart: 20 units × 2 criteria groups, and at most 21 score bins per band
            bars = page.locator('[data-testid="board-chart"] .barlayer .point path')
            bars.first.wait_for(timeout=20_000)
            assert bars.count() == 40
            dist = page.locator('[data-testid="dist-chart"] .barlayer .point path')
            dist.first.wait_for(state="attached", timeout=10_000)
            drawn = page.evaluate("""() => [...document.querySelectorAll('[data-testid="dist-chart"] .barlayer .point path')]
                                       .filter(p => p.getBBox().height > 0).length""")
            assert 4 <= drawn <= 21 * 4, drawn  # every band shows, in at most 21 score bins
            box = page.locator('[data-testid="board-chart"]').bounding_box()
            assert box and box["height"] < 900, box  # not a chart of 3,321 bars
            # the first page of the table: 50 rows, then a pager; no sideways scrolling of the page
            rows = page.locator('[data-testid="leaderboard-table"] tbody tr')
            assert rows.count() == 50
            assert rows.first.get_attribute("data-testid") == f"row-{units[0].code}"
            assert page.locator('[data-testid="page-summary"]').inner_text() == "Trang 1/67 · đơn vị 1–50 trên 3.321"
            assert _no_page_scroll(page)
            page.locator('[data-testid="pager"]').scroll_into_view_if_needed()
            page.locator('[data-testid="pager"]').screenshot(path=str(_shot(f"pager-{width}.png")))
            page.screenshot(path=str(_shot(f"page1-{width}.png")), full_page=False)

            page.click('[data-testid="pager-next"]')
            page.wait_for_load_state("load")
            assert page.locator('[data-testid="page-summary"]').inner_text() == "Trang 2/67 · đơn vị 51–100 trên 3.321"
            assert rows.first.get_attribute("data-testid") == f"row-{units[50].code}"
            assert rows.first.locator('[data-testid="rank"]').inner_text() == "51"

            # find a unit, typed without diacritics: its row with its rank on the whole board
            page.fill('[data-testid="search-input"]', "phuong dong da")
            page.click('[data-testid="search-submit"]')
            page.wait_for_load_state("load")
            assert rows.count() == 1
            assert rows.first.locator("th").inner_text() == "Phường Đống Đa"
            assert rows.first.locator('[data-testid="rank"]').inner_text() == str(dong_da + 1)
            assert page.locator('[data-testid="search-summary"]').inner_text() == "1 đơn vị khớp với «phuong dong da»"
            assert _no_page_scroll(page)
            page.screenshot(path=str(_shot(f"search-{width}.png")), full_page=True)
            page.click('[data-testid="search-clear"]')
            page.wait_for_load_state("load")
            assert rows.count() == 50
        finally:
            browser.close()
    assert failures == []


def _shot(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / name
