"""R10: warm shutdown with real processes — SIGTERM lets work in flight finish.

* A Celery worker told to stop (SIGTERM) in the middle of a recompute finishes it, writes
  the result (equal to a clean recompute) and exits 0; the task ran once.
* gunicorn told to stop while a request is still arriving (half its body sent) answers that
  request completely, then exits 0 and accepts no new connection.
"""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

import pytest
import redis

from campaign.devserver import free_port
from campaign.extensions import db
from campaign.models import Entry
from campaign.services.results import recompute
from campaign.services.results.freshness import mark_stale
from tests.results_helpers import random_campaign, save_values

from .procs import ROOT, env_for, start_worker, wait_until
from .results import clean_rows, is_fresh, provisional_rows

pytestmark = pytest.mark.celery


def test_sigterm_mid_recompute_finishes_the_task_then_exits(app, factory, redis_url, tmp_path):
    c, doc, data = random_campaign(factory, random.Random(21), n_units=15)
    cid = c.id
    recompute.recompute_provisional(cid)
    before = provisional_rows(cid)
    save_values(db.session.get(Entry, next(iter(data))), doc, {"I.2": 0.0, "II.1": 0.0, "I.3": False})
    worker = start_worker(env_for(app, redis_url, tmp_path, THIDUA_TEST_RECOMPUTE_DELAY="3"), tmp_path, "term")
    try:
        mark_stale(cid)
        db.session.commit()
        r = redis.Redis.from_url(redis_url)
        key = recompute.PROGRESS_KEY.format(cid)
        assert wait_until(lambda: json.loads(r.get(key) or "{}").get("phase") == "computing", 20), \
            worker.log.read_text()[-2000:]
        assert not is_fresh(cid)
        os.kill(worker.pid, signal.SIGTERM)  # warm shutdown, by recorded pid
        code = worker.p.wait(30)
    finally:
        worker.kill()
    log = worker.log.read_text(errors="replace")
    assert code == 0, log[-2000:]
    assert is_fresh(cid), log[-2000:]  # the recompute in flight completed before the exit
    assert log.count("thidua.recompute_campaign[") >= 1 and log.count("succeeded") == 1, log[-2000:]
    got = provisional_rows(cid)
    assert got != before
    assert got == clean_rows(cid)


def test_sigterm_to_gunicorn_completes_the_request_in_flight(tmp_path, redis_url):
    port = free_port()
    env = dict(os.environ, THIDUA_CONFIG="config.DevelopmentConfig", THIDUA_REDIS_URL=redis_url,
               THIDUA_DATABASE_URL=f"sqlite:///{tmp_path / 'web.sqlite'}", THIDUA_INSTANCE_DIR=str(tmp_path),
               THIDUA_SECRET_KEY="graceful-test", WEB_CONCURRENCY="1", PYTHONUNBUFFERED="1")
    with open(tmp_path / "gunicorn.log", "ab") as log:  # the server keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b",
                                 f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: _answers(port), 30), (tmp_path / "gunicorn.log").read_text()[-2000:]
        body = b"username=someone&password=" + b"x" * 4000
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:100])
        time.sleep(0.5)  # the worker is now reading the body
        os.kill(proc.pid, signal.SIGTERM)
        time.sleep(1.0)
        sock.sendall(body[100:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        sock.close()
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    status_line = answer.split(b"\r\n", 1)[0]
    # A complete answer (the form has no CSRF token: refused with 400, as it should be).
    assert status_line == b"HTTP/1.1 400 BAD REQUEST", answer[:300]
    assert b"</html>" in answer
    assert code == 0
    assert not _answers(port)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
