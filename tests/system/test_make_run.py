"""`make run`'s script as a user runs it: real Redis, real worker, gunicorn, demo data.

Started twice in a row on the same instance folder; each time the health check is all
green, the public leaderboard ranks the districts, and Ctrl-C (SIGINT) leaves no process
and no pid file behind.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from campaign.devserver import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive for our purpose
    try:
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except FileNotFoundError:
        return False


def _start(env: dict) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if "Ctrl-C stops" in line:
            # keep reading: the worker and web log to the same pipe, and a full pipe (64 KB) would block
            # them and run.py's own shutdown message
            threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
            return proc, lines
    proc.kill()
    raise AssertionError("run.py did not come up:\n" + "".join(lines[-60:]))


def _stop(proc: subprocess.Popen, run_dir: Path) -> None:
    pids = [int(p.read_text()) for p in run_dir.glob("*.pid")]
    assert pids, "run.py recorded no pid files"
    proc.send_signal(signal.SIGINT)
    proc.wait(60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    assert [pid for pid in pids if _alive(pid)] == []
    assert list(run_dir.glob("*.pid")) == []


def test_make_run_twice_and_stop_cleanly(tmp_path):
    port, redis_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
    # its own SMTP sink port too: a developer's `make run` (or a leftover) may hold the default 8025
    env.update(PORT=str(port), THIDUA_REDIS_PORT=str(redis_port), THIDUA_SMTP_SINK_PORT=str(free_port()),
               THIDUA_INSTANCE_DIR=str(tmp_path / "instance"))
    run_dir = tmp_path / "instance" / "run"
    for attempt in (1, 2):
        proc, lines = _start(env)
        try:
            output = "".join(lines)
            assert f"http://127.0.0.1:{port}/" in output and "admin-demo" in output
            if attempt == 2:
                assert "demo data not loaded" in output  # the existing database was kept
            status, body = _get(f"http://127.0.0.1:{port}/healthz")
            for _ in range(30):  # the worker may need a few seconds to answer pings
                if status == 200:
                    break
                time.sleep(1)
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
            assert status == 200, body
            assert {k: json.loads(body)[k] for k in ("database", "redis", "worker")} == dict.fromkeys(
                ("database", "redis", "worker"), "ok")
            status, page = _get(f"http://127.0.0.1:{port}/leaderboard")
            assert status == 200 and "Quận Ba Đình" in page and 'data-testid="leaderboard-table"' in page
        finally:
            _stop(proc, run_dir)
