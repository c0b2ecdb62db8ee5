"""`make run`: Redis (unless THIDUA_REDIS_URL is set), a local SMTP sink (unless THIDUA_SMTP_HOST
is set), migrations, demo data, a Celery worker with beat, and gunicorn on 127.0.0.1:$PORT. Ctrl-C stops everything it started."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from campaign.devserver import start_redis, wait_for_port  # noqa: E402
from config import INSTANCE_DIR  # noqa: E402

BIN = Path(sys.executable).parent
RUN_DIR = INSTANCE_DIR / "run"
DEMO_LOGINS = [
    ("admin", "admin", "Quản trị / commission staff"),
    ("officer-badinh", "officer", "Cán bộ Quận Ba Đình (district officer)"),
    ("officer-ward", "officer", "Cán bộ một phường (demo) của Ba Đình (ward officer)"),
    ("judge1", "judge", "Giám khảo / judge (also judge2 … judge6)"),
    ("viewer", "viewer", "Người xem / viewer"),
]


def main() -> int:
    port = int(os.environ.get("PORT", "5000"))
    env = dict(os.environ, THIDUA_CONFIG=os.environ.get("THIDUA_CONFIG", "config.DevelopmentConfig"))
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    children: list[tuple[str, subprocess.Popen]] = []

    def stop(*_args) -> None:
        for _name, proc in reversed(children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc in reversed(children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid_file in RUN_DIR.glob("*.pid"):
            pid_file.unlink(missing_ok=True)
        print("\nstopped: " + ", ".join(name for name, _proc in children), flush=True)

    try:
        if "THIDUA_REDIS_URL" not in os.environ:
            redis_port = int(os.environ.get("THIDUA_REDIS_PORT", "6390"))
            _kill_stale(RUN_DIR / "redis.pid")
            redis = start_redis(redis_port, INSTANCE_DIR / "redis")
            children.append(("redis", redis))
            (RUN_DIR / "redis.pid").write_text(str(redis.pid))
            env["THIDUA_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        if "THIDUA_SMTP_HOST" not in os.environ:
            # A local SMTP sink: every e-mail the worker sends lands in instance/mail (listed at /admin/mail).
            smtp_port = int(os.environ.get("THIDUA_SMTP_SINK_PORT", "8025"))
            mail_dir = INSTANCE_DIR / "mail"
            _kill_stale(RUN_DIR / "mail.pid")
            sink = subprocess.Popen([sys.executable, "-m", "campaign.services.accounts.mailsink", "--port", str(smtp_port),
                                     "--dir", str(mail_dir)], env=env, cwd=ROOT, start_new_session=True)
            children.append(("mail", sink))
            (RUN_DIR / "mail.pid").write_text(str(sink.pid))
            wait_for_port(smtp_port, timeout=15)
            env.update(THIDUA_SMTP_HOST="127.0.0.1", THIDUA_SMTP_PORT=str(smtp_port), THIDUA_MAIL_SINK_DIR=str(mail_dir))
        env.setdefault("THIDUA_PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], env=env, check=True, cwd=ROOT)
        subprocess.run([*flask, "load-demo", "--if-empty"], env=env, check=True, cwd=ROOT)
        for name in ("worker", "web"):
            _kill_stale(RUN_DIR / f"{name}.pid")
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "wsgi:celery_app", "worker", "-B", "--loglevel", "INFO",
             "--concurrency", "2", "-s", str(RUN_DIR / "celerybeat-schedule")],
            env=env, cwd=ROOT, start_new_session=True)
        children.append(("worker", worker))
        (RUN_DIR / "worker.pid").write_text(str(worker.pid))
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "wsgi:app"],
            env=env, cwd=ROOT, start_new_session=True)
        children.append(("web", web))
        (RUN_DIR / "web.pid").write_text(str(web.pid))
        wait_for_port(port, timeout=30)
        subprocess.run([*flask, "recompute-all"], env=env, cwd=ROOT, check=False)
        print(f"\n  Thi Đua is running at http://127.0.0.1:{port}/\n", flush=True)
        print("  Demo logins (password = username + '-demo', e.g. admin / admin-demo):")
        for username, _role, label in DEMO_LOGINS:
            print(f"    {username:<16} {username + '-demo':<22} {label}")
        if env.get("THIDUA_MAIL_SINK_DIR"):
            print(f"\n  E-mails go to a local SMTP sink ({env['THIDUA_SMTP_HOST']}:{env['THIDUA_SMTP_PORT']}); "
                  f"read them at http://127.0.0.1:{port}/admin/mail (as admin).")
        print("\n  Ctrl-C stops the web server, the worker and Redis.\n", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        # Ctrl-C stops everything even when started with SIGINT ignored (a background job of a shell, nohup)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        while all(proc.poll() is None for _, proc in children):
            time.sleep(0.5)
        dead = [name for name, proc in children if proc.poll() is not None]
        print(f"a process stopped unexpectedly: {', '.join(dead)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


def _kill_stale(pid_file: Path) -> None:
    """A previous run killed hard may leave a pid file; stop that process if it still runs."""
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
    except (ValueError, ProcessLookupError, PermissionError):
        pass
    pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
