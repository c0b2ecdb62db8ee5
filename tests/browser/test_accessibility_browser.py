"""Browser: axe-core (WCAG 2.0/2.1 A and AA rules) finds no serious or critical problem on the
main pages of every role, in Vietnamese and in English, on the demo data.

axe.min.js comes from the pinned ``axe-playwright-python`` wheel and is injected from disk
(no network). Minor/moderate findings are printed, not failed on.
"""
from __future__ import annotations

import importlib.resources
import os

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Campaign, User
from tests.browser.common import ARGS, CHROMIUM, login, switch_language

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_js() -> str:
    axe = pytest.importorskip("axe_playwright_python")
    return (importlib.resources.files(axe) / "axe.min.js").read_text(encoding="utf-8")


def _scan(page, script: str, url: str) -> list[dict]:
    page.goto(url, wait_until="load")
    page.add_script_tag(content=script)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", RULES)
    return [{"page": url, "rule": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


def test_main_pages_have_no_serious_accessibility_violations(demo_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    script = _axe_js()
    base = demo_server
    open_campaign = db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == "quy-tac-ung-xu-2018"))
    results = db.session.scalar(sa.select(Campaign.id).where(Campaign.status == "published").order_by(Campaign.id))
    judge_id = db.session.scalar(sa.select(User.id).where(User.username == "judge1"))
    judged_entry = db.session.scalar(sa.select(Assignment.entry_id).where(Assignment.judge_id == judge_id)
                                     .order_by(Assignment.id))
    pages = {
        None: ["/leaderboard", "/leaderboard/overview", "/login"],
        "officer-badinh": ["/unit/", f"/unit/campaigns/{open_campaign}/entry"],
        "judge1": ["/judging/", f"/judging/entries/{judged_entry}"],
        "admin": ["/admin/", f"/admin/campaigns/{results}", f"/admin/results/{results}", "/judging/admin/"],
    }
    found: list[dict] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for lang in ("vi", "en"):
                for user, urls in pages.items():
                    context = browser.new_context(bypass_csp=True)  # to inject axe; the app keeps its CSP
                    page = context.new_page()
                    if user:
                        login(page, base, user)
                    else:
                        page.goto(base + "/leaderboard")
                    if lang == "en":
                        switch_language(page)
                    assert page.locator("html").get_attribute("lang") == lang
                    for url in urls:
                        found += [dict(v, lang=lang) for v in _scan(page, script, base + url)]
                    context.close()
        finally:
            browser.close()
    for v in found:
        if v["impact"] not in ("serious", "critical"):
            print(f"axe {v['impact']}: {v['rule']} on {v['page']} ({v['lang']}): {v['targets']}")
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], "\n".join(f"{v['impact']} {v['rule']} ({v['help']}) on {v['page']} [{v['lang']}]: "
                                    f"{v['targets']}" for v in serious)
