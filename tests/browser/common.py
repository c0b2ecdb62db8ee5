"""Shared pieces of the browser tests: Debian's Chromium and a login step."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
