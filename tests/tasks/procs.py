"""Real Celery worker / beat subprocesses for the pipeline tests (killed only by recorded PID)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def env_for(app, redis_url: str, tmp_path: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({
        "THIDUA_CONFIG": "config.IntegrationTestConfig",
        "THIDUA_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "THIDUA_REDIS_URL": redis_url,
        "THIDUA_INSTANCE_DIR": str(tmp_path / "instance"),
        "THIDUA_SWEEP_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


class Proc:
    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        with open(log, "ab") as fh:  # the child keeps its own descriptor
            self.p = subprocess.Popen(args, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        self.pid = self.p.pid

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.log.read_text(errors="replace"):
                return
            if self.p.poll() is not None:
                raise RuntimeError(f"process exited: {self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{text!r} not seen in {self.log}: {self.log.read_text(errors='replace')[-3000:]}")

    def kill(self) -> None:
        """SIGKILL by recorded PID."""
        if self.p.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.p.wait(10)

    def stop(self) -> None:
        if self.p.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(10)


def start_worker(env: dict, tmp_path: Path, name: str) -> Proc:
    args = [sys.executable, "-m", "celery", "-A", "wsgi:celery_app", "worker", "--pool=solo", "--loglevel=INFO",
            "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    w = Proc(args, env, tmp_path / f"{name}.log")
    w.wait_for_log("ready.", 60)
    return w


def start_beat(env: dict, tmp_path: Path) -> Proc:
    args = [sys.executable, "-m", "celery", "-A", "wsgi:celery_app", "beat", "--loglevel=INFO",
            "-s", str(tmp_path / "beat-schedule")]
    b = Proc(args, env, tmp_path / "beat.log")
    b.wait_for_log("beat: Starting", 60)
    return b


def wait_until(pred, timeout: float, interval: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()
