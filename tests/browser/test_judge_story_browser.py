"""Browser: a judge's draft survives, a refused submit says why next to the field, a submit is
confirmed (issue 11, judge drafts and confirmations), on the demo data in Debian's Chromium.

judge1 types points that differ from the rule without a comment: "Lưu nháp" saves (no browser
bubble), a reload shows the value, "Nộp điểm…" is refused with a Vietnamese message next to the
comment field and every value kept; with a comment the submit goes to a confirmation page and
is confirmed. Screenshots at 1366 and 375 px in both languages go to /tmp/shots/judge/.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Entry, User
from tests.browser.common import ARGS, CHROMIUM, screenshots, switch_language
from tests.browser.common import login as _login

SHOTS = Path(os.environ.get("THIDUA_SHOTS", "/tmp/shots")) / "judge"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def _unfinished(judge_id: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(Assignment.entry_id).join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.judge_id == judge_id, Assignment.status != "submitted",
               Entry.status.in_(("submitted", "resubmitted", "appraised")))
        .order_by(Assignment.id)))


def _rule_row(page):
    """The first indicator whose rule gives positive points and whose mark is typed (not chosen)."""
    for row in page.locator("tr.indicator-row").all():
        computed = row.get_attribute("data-computed")
        if computed and float(computed) >= 1 and row.locator("input.points").count():
            return row, float(computed)
    raise AssertionError("no rule-scored indicator on the page")


def test_judge_draft_refused_submit_and_confirmation(demo_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    judge = db.session.scalar(sa.select(User).where(User.username == "judge1"))
    entries = _unfinished(judge.id)
    assert entries, "the demo leaves judge1 unfinished assignments"
    entry_id = entries[0]
    url = f"{demo_server}/judging/entries/{entry_id}"
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            _login(page, demo_server, "judge1")
            page.goto(url)
            row, computed = _rule_row(page)
            code = row.get_attribute("data-testid").removeprefix("indicator-")
            typed = f"{computed - 0.5:.1f}".replace(".", ",")  # differs from the rule's points
            points = page.locator(f'[data-testid="points-{code}"]')
            comment = page.locator(f'[data-testid="comment-{code}"]')
            points.fill(typed)
            comment.fill("")
            assert page.locator(f'[data-testid="indicator-{code}"] .comment-hint').is_visible()  # a hint, no block
            assert page.evaluate("document.getElementById('score-form').checkValidity()")  # no browser bubble

            # leaving with unsaved changes asks first
            asked: list[str] = []
            page.once("dialog", lambda d: (asked.append(d.type), d.dismiss()))  # dismiss = stay on the page
            page.click('[data-testid="nav-judging-dashboard"]', no_wait_after=True)  # returns once answered
            assert asked == ["beforeunload"]
            assert page.url == url and page.locator(f'[data-testid="points-{code}"]').input_value() == typed

            page.click('[data-testid="save-draft"]')
            page.wait_for_load_state("load")
            assert page.url == url
            assert "Đã lưu nháp." in page.inner_text("main")
            page.reload()
            assert page.locator(f'[data-testid="points-{code}"]').input_value() == typed
            screenshots(page, SHOTS, "entry-draft-vi")

            # choose a level wherever the judge must, then submit: refused, next to the comment field
            chosen = {}
            for select in page.locator('#score-form select').all():
                if not select.input_value():
                    values = select.locator("option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
                    select.select_option(values[0])
                chosen[select.get_attribute("name")] = select.input_value()
            page.click('[data-testid="submit-scores"]')
            page.wait_for_load_state("load")
            error = page.locator(f'[data-testid="error-comment-{code}"]')
            assert error.is_visible()
            assert "khác điểm tính theo quy tắc" in error.inner_text() and "cần ghi nhận xét" in error.inner_text()
            assert "Những gì bạn nhập đã được lưu nháp." in page.inner_text("main")
            assert page.locator(f'[data-testid="points-{code}"]').input_value() == typed
            for name, value in chosen.items():
                assert page.locator(f'select[name="{name}"]').input_value() == value
            screenshots(page, SHOTS, "entry-refused-vi")

            page.locator(f'[data-testid="comment-{code}"]').fill("Số liệu minh chứng chưa khớp với báo cáo")
            page.click('[data-testid="submit-scores"]')
            page.wait_for_load_state("load")
            assert page.url == url + "/submit"
            summary = page.inner_text('[data-testid="confirm-summary"]')
            assert "Tổng điểm theo điểm bạn chấm" in summary and code in summary
            assert "không sửa được điểm nữa" in summary
            screenshots(page, SHOTS, "confirm-vi")
            page.click('[data-testid="confirm-submit"]')
            page.wait_for_load_state("load")
            assert page.url.endswith("/judging/") and "Đã nộp điểm." in page.inner_text("main")

            # English: the same pages, one click away
            switch_language(page)
            screenshots(page, SHOTS, "dashboard-en")
            other = entries[1] if len(entries) > 1 else entry_id
            page.goto(f"{demo_server}/judging/entries/{other}")
            assert "Scoring" in page.inner_text("header") or page.locator("html").get_attribute("lang") == "en"
            screenshots(page, SHOTS, "entry-en")
            if other != entry_id:
                page.click('[data-testid="submit-scores"]')
                page.wait_for_load_state("load")
                screenshots(page, SHOTS, "entry-refused-en")
                if page.url.endswith("/submit"):
                    assert "Submit scores" in page.inner_text("main")
                else:
                    assert page.locator(".field-error").count() >= 1
                    assert "trước khi nộp" not in page.inner_text("main")  # no Vietnamese message in English
        finally:
            browser.close()
    assert errors == []
    db.session.rollback()
    assert db.session.scalar(sa.select(Assignment.status).where(
        Assignment.judge_id == judge.id, Assignment.entry_id == entry_id)) == "submitted"
