"""The login limit is summed across gunicorn worker processes (S6), not per process.

gunicorn runs with ``--max-requests 1``: every request is served by a different, freshly
forked worker (the access log's pid proves it), so a per-process counter could never
reach the limit. Four wrong passwords, then the right one: refused with 429.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from campaign.devserver import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
LIMIT = 4


def _make_db(url: str, redis_url: str, instance: Path) -> None:
    from campaign import create_app
    from campaign.extensions import db
    from campaign.models import User

    app = create_app("config.DevelopmentConfig", SQLALCHEMY_DATABASE_URI=url, REDIS_URL=redis_url,
                     SECRET_KEY="gunicorn-limit-test", UPLOAD_FOLDER=str(instance / "uploads"))
    with app.app_context():
        db.create_all()
        user = User(username="officer", role="viewer")
        user.set_password("right-password")
        db.session.add(user)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _login(opener, base: str, password: str) -> int:
    html = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"username": "officer", "password": password, "csrf_token": token}).encode()
    try:
        return opener.open(urllib.request.Request(base + "/login", data=data), timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_failed_logins_are_counted_across_worker_processes(tmp_path, redis_url):
    db_url = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    _make_db(db_url, redis_url, tmp_path)
    port = free_port()
    env = dict(os.environ, THIDUA_CONFIG="config.DevelopmentConfig", THIDUA_DATABASE_URL=db_url,
               THIDUA_REDIS_URL=redis_url, THIDUA_SECRET_KEY="gunicorn-limit-test", THIDUA_INSTANCE_DIR=str(tmp_path),
               THIDUA_LOGIN_RATE_LIMIT=str(LIMIT), PYTHONUNBUFFERED="1")
    log = tmp_path / "access.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "3", "--max-requests", "1", "--preload", "-b", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/ping", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        statuses = [_login(opener, base, "wrong-password") for _ in range(LIMIT)]
        statuses.append(_login(opener, base, "right-password"))
    finally:
        proc.terminate()
        proc.wait(30)
    assert statuses == [401] * LIMIT + [429]
    posts = [line.split() for line in log.read_text().splitlines() if " POST /login " in line]
    assert len(posts) == LIMIT + 1
    assert len({p[0] for p in posts}) == LIMIT + 1  # every attempt in a different worker process
