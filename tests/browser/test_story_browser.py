"""Browser: the main story on the demo data, as a new user would click it, in Chromium.

An officer logs in (Vietnamese UI), fills the open entry of the two-Codes-of-Conduct campaign
(numbers typed the Vietnamese way, e.g. "87,5"), attaches a PDF to every indicator that needs
evidence, submits, and sees the entry locked; the UI then switches to English. A judge scores
an unfinished assignment; the admin sees the campaign's results page.
"""
from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Campaign, Entry, Unit, User
from tests.browser.common import ARGS, CHROMIUM, serve, switch_language
from tests.browser.common import login as _login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def _typed(node, value) -> str:
    """The value as an officer types it: Vietnamese decimal comma."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return str(int(value)) if isinstance(value, (int, float)) else str(value)


def _fill_entry(page, fw, evidence: Path, rng: random.Random) -> None:
    """Fill every indicator as an officer would: selects, typed numbers, evidence files."""
    from campaign.demo import demo_value

    for node in fw.indicators():
        field = page.locator(f'[data-testid="value-{node.code}"]')
        if field.count() == 0:
            continue
        tag = field.evaluate("el => el.tagName")
        if tag == "SELECT":
            options = field.locator("option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
            field.select_option("yes" if "yes" in options else options[-1])
        else:
            value = demo_value(node, 0.9, rng)
            if value is None or node.value_type in ("text", "date", "file_only"):
                value = "Đã triển khai đầy đủ (thử nghiệm)" if node.value_type != "date" else "30/06/2018"
            field.fill(_typed(node, value))
        if node.evidence.get("required"):
            page.set_input_files(f'[data-testid="file-{node.code}"]', str(evidence))


def test_officer_judge_admin_story(tmp_path, demo_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    from scoring.framework import parse_framework

    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "quy-tac-ung-xu-2018"))
    fw = parse_framework(campaign.framework_version.document)
    evidence = tmp_path / "minh-chứng Ba Đình.pdf"
    evidence.write_bytes(PDF)
    rng = random.Random(7)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            started = time.monotonic()
            _login(page, demo_server, "officer-badinh")
            assert page.url.endswith("/unit/")
            assert "Đơn vị của tôi" in page.content()
            page.goto(f"{demo_server}/unit/campaigns/{campaign.id}/entry")
            page.wait_for_selector('[data-testid="entry-form"]')
            _fill_entry(page, fw, evidence, rng)
            page.click('[data-testid="save"]')
            page.wait_for_load_state("load")
            page.click('[data-testid="submit"]')
            page.wait_for_load_state("load")
            page.click('[data-testid="confirm-submit"]')  # the confirmation step
            page.wait_for_load_state("load")
            locked = page.locator('[data-testid="locked"]')
            assert locked.count() == 1, page.locator(".field-error").all_inner_texts()
            officer_seconds = time.monotonic() - started
            print(f"officer filled and submitted {len(fw.indicators())} indicators in {officer_seconds:.1f} s")

            # the UI switches to English and stays there
            switch_language(page)
            assert page.locator("html").get_attribute("lang") == "en"
            assert "Log out" in page.content()
            page.click('[data-testid="logout"]')
            page.wait_for_load_state("load")

            # a judge finishes an unfinished assignment
            judge = db.session.scalar(sa.select(User).where(User.username == "judge1"))
            entry_id = db.session.scalar(sa.select(Assignment.entry_id).join(Entry, Entry.id == Assignment.entry_id)
                                         .where(Assignment.judge_id == judge.id, Assignment.status != "submitted",
                                                Entry.status != "clarification_requested")
                                         .order_by(Assignment.id))
            _login(page, demo_server, "judge1")
            page.goto(f"{demo_server}/judging/entries/{entry_id}")
            form = page.locator('[data-testid="score-form"]')
            for select in form.locator("select").all():
                values = select.locator("option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
                select.select_option(values[-1])
            for box in form.locator("input.points").all():
                if not box.get_attribute("placeholder"):
                    box.fill("1")
            page.click('[data-testid="submit-scores"]')
            page.wait_for_load_state("load")
            page.click('[data-testid="confirm-submit"]')  # the judge's confirmation step
            page.wait_for_load_state("load")
            assert page.url.endswith("/judging/"), page.inner_text("main")[:1500]
            assert "Scores submitted" in page.inner_text("main")  # the English UI persisted across logins
            page.click('[data-testid="logout"]')
            page.wait_for_load_state("load")

            # the admin sees the campaign's results page
            _login(page, demo_server, "admin")
            page.goto(f"{demo_server}/admin/results/{campaign.id}")
            assert page.locator("table").count() >= 1
        finally:
            browser.close()
    assert errors == []
    db.session.rollback()  # end the read snapshot taken before the browser made its changes
    entry = db.session.scalar(sa.select(Entry).join(Unit, Unit.id == Entry.unit_id)
                              .where(Entry.campaign_id == campaign.id, Unit.code == "001"))
    assert entry.status == "submitted" and entry.submitted_at is not None
    assert db.session.scalar(sa.select(Assignment.status).where(
        Assignment.judge_id == judge.id, Assignment.entry_id == entry_id)) == "submitted"


@pytest.fixture
def live_server(app):
    from campaign.sqlite import set_read_only

    with serve(app) as base:
        yield base, set_read_only
    set_read_only(False)


def test_commune_officer_submits_the_43_indicator_new_rural_form(tmp_path, factory, live_server):
    """Issue 4's check: a commune fills the 19-criteria NTM table (43 indicators, 26 with evidence)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    import yaml

    from scoring.framework import parse_framework

    base, set_read_only = live_server
    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "campaign/frameworks/ntm-2016.yaml").read_text())
    district = factory.unit("rural_district", code="271", name="Huyện Ba Vì")
    commune = factory.unit("commune", parent=district, code="09619", name="Xã Tản Lĩnh")
    campaign = factory.campaign(doc=doc, units=[commune], slug="ntm-2019")
    factory.user("officer", unit=commune, username="tanlinh")
    db.session.commit()
    set_read_only(True)
    fw = parse_framework(doc)
    evidence = tmp_path / "biên bản thẩm định.pdf"
    evidence.write_bytes(PDF)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{base}/login")
            page.fill("#username", "tanlinh")
            page.fill("#password", "password-123")
            page.click('[data-testid="login-submit"]')
            page.wait_for_load_state("load")
            started = time.monotonic()
            page.goto(f"{base}/unit/campaigns/{campaign.id}/entry")
            _fill_entry(page, fw, evidence, random.Random(3))
            page.click('[data-testid="submit"]')
            page.wait_for_load_state("load")
            page.click('[data-testid="confirm-submit"]')  # the confirmation step
            page.wait_for_load_state("load")
            assert page.locator('[data-testid="locked"]').count() == 1, page.locator(".field-error").all_inner_texts()
            print(f"43-indicator NTM form with {sum(1 for n in fw.indicators() if n.evidence.get('required'))} "
                  f"files submitted in {time.monotonic() - started:.1f} s of browser time")
        finally:
            browser.close()
    db.session.rollback()
    entry = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == campaign.id))
    assert entry.status == "submitted"
    assert len(entry.values) == len(fw.indicators())
