"""Shared pieces of the browser tests: Debian's Chromium and a login step."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def switch_language(page, to: str = "en") -> None:
    """Click the language switch and wait for the page in the other language: the click returns before
    its navigation starts, so waiting for "load" alone may see the old page (a race under load)."""
    page.click('[data-testid="lang-switch"]')
    page.locator(f'html[lang="{to}"]').wait_for(state="attached")
    page.wait_for_load_state("load")


@contextmanager
def serve(app) -> Iterator[str]:
    """The app on a free loopback port in a thread (werkzeug, threaded); yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


WIDTHS = ((1366, 900), (375, 812))  # desktop and phone


def screenshots(page, folder: Path, name: str) -> None:
    """Full-page screenshots of what is on screen at desktop and phone widths (``<name>-<width>.png``)."""
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    if size:
        page.set_viewport_size(size)


@contextmanager
def logged_in_page(base: str, username: str, width: int = 1366, height: int = 800) -> Iterator:
    """A page of Debian's Chromium at ``width``, logged in as ``username``; the browser closes after."""
    import pytest

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            login(page, base, username)
            yield page
        finally:
            browser.close()
