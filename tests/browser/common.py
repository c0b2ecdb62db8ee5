"""Shared pieces of the browser tests: Debian's Chromium and a login step."""
from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def login(page, base: str, username: str, password: str | None = None) -> None:
    """Log in through the form (demo passwords are the username + "-demo")."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password or username + "-demo")
    page.click('[data-testid="login-submit"]')
    page.wait_for_load_state("load")
    assert page.locator('[data-testid="whoami"]').count() == 1
