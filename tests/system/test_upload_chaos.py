"""R5: SIGKILL of the gunicorn worker at random moments of evidence uploads loses nothing.

25 uploads of distinct PDFs (300 kB, sent in slow chunks); for most of them the worker
serving the request is killed (SIGKILL, by the pid gunicorn's master lists as its child)
after a random delay — while the body arrives, while the file is hashed and renamed, or
around the commit. Afterwards: no evidence row points at a missing or partial file (every
stored file's sha256 equals its row), every upload the server acknowledged is there, and
the orphan sweeper removes exactly the files no row refers to (temporary ones included).
"""
from __future__ import annotations

import hashlib
import http.cookiejar
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from campaign.devserver import free_port
from tests.unit_helpers import rich_framework

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
ROUNDS = 25


def _pdf(k: int) -> bytes:
    filler = hashlib.sha256(str(k).encode()).hexdigest().encode() * 4800  # ~300 kB, distinct per upload
    return b"%PDF-1.4\n1 0 obj<<>>endobj\n%" + filler + b"\ntrailer<<>>\n%%EOF\n"


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _setup(url: str, redis_url: str, instance: Path) -> int:
    from campaign import create_app
    from campaign.extensions import db
    from campaign.models import Campaign, CampaignUnit, Entry, Unit, User
    from campaign.models.base import utcnow
    from campaign.services.setup.frameworks import install_version

    app = create_app("config.DevelopmentConfig", SQLALCHEMY_DATABASE_URI=url, REDIS_URL=redis_url,
                     UPLOAD_FOLDER=str(instance / "uploads"))
    with app.app_context():
        db.create_all()
        version = install_version(rich_framework("fw-chaos"))
        ward = Unit(code="W1", name="Phường Chaos", kind="ward", level=3)
        db.session.add(ward)
        db.session.flush()
        c = Campaign(slug="chaos", name="Chaos", status="open", framework_version_id=version.id,
                     submission_deadline=utcnow() + timedelta(days=5), settings={})
        db.session.add(c)
        db.session.flush()
        db.session.add(CampaignUnit(campaign_id=c.id, unit_id=ward.id))
        user = User(username="canbo", role="officer", unit_id=ward.id)
        user.set_password("password-123")
        db.session.add(user)
        entry = Entry(campaign_id=c.id, unit_id=ward.id, framework_version_id=version.id, blind_code="CHAOS1")
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
        db.session.remove()
        db.engine.dispose()
    return entry_id


def _multipart(fields: list[tuple[str, str]], file_field: str, name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----thidua-chaos-" + hashlib.md5(content).hexdigest()
    parts = []
    for k, v in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{name}"\r\n'
                 f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), boundary


def test_killing_workers_mid_upload_leaves_files_and_rows_consistent(tmp_path, redis_url):
    db_url = f"sqlite:///{tmp_path / 'chaos.sqlite'}"
    entry_id = _setup(db_url, redis_url, tmp_path)
    port = free_port()
    env = dict(os.environ, THIDUA_CONFIG="config.DevelopmentConfig", THIDUA_DATABASE_URL=db_url,
               THIDUA_REDIS_URL=redis_url, THIDUA_INSTANCE_DIR=str(tmp_path), THIDUA_SECRET_KEY="chaos",
               THIDUA_UPLOAD_FOLDER=str(tmp_path / "uploads"), WEB_CONCURRENCY="1", PYTHONUNBUFFERED="1",
               THIDUA_MAX_FILES_PER_INDICATOR=str(ROUNDS))  # every round adds a file to A.1
    with open(tmp_path / "gunicorn.log", "ab") as log:  # the server keeps its own descriptor
        master = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b",
                                   f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(5)
    acknowledged, killed = [], 0
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def page(path: str) -> str:
            deadline = time.monotonic() + 30
            while True:
                try:
                    return opener.open(base + path, timeout=20).read().decode()
                except OSError:  # the worker is being respawned
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

        html = page("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        opener.open(urllib.request.Request(base + "/login", data=urllib.parse.urlencode(
            {"username": "canbo", "password": "password-123", "csrf_token": token}).encode()), timeout=20)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        for k in range(ROUNDS):
            html = page(f"/unit/entries/{entry_id}")
            assert 'data-testid="entry-form"' in html, html[:500]
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
            lock = re.search(r'name="lock_version"[^>]*value="(\d+)"', html).group(1)
            content = _pdf(k)
            # the form lists every editable indicator (its files are read only for listed ones)
            body, boundary = _multipart([("csrf_token", token), ("lock_version", lock), ("codes", "A.1"),
                                         ("codes", "A.2"),
                                         ("v-A.2", str(k)), ("action", "save")], "file-A.1", f"bien-ban-{k}.pdf",
                                        content)
            sock = socket.create_connection(("127.0.0.1", port), timeout=20)
            sock.sendall(f"POST /unit/entries/{entry_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         f"Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n".encode())
            kill_after = rng.uniform(0.0, 0.35) if k % 5 else None  # every fifth upload runs undisturbed
            workers = _children(master.pid)
            started = time.monotonic()
            for start in range(0, len(body), 32768):
                try:
                    sock.sendall(body[start:start + 32768])
                except OSError:
                    break  # the worker died under us
                if kill_after is not None and time.monotonic() - started >= kill_after and workers:
                    break
                time.sleep(0.005)
            if kill_after is not None:
                time.sleep(max(0.0, kill_after - (time.monotonic() - started)))
                for pid in workers:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
            answer = b""
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except OSError:
                pass
            sock.close()
            if answer.startswith(b"HTTP/1.1 303"):
                acknowledged.append(hashlib.sha256(content).hexdigest())
            elif answer:
                assert answer.startswith(b"HTTP/1.1 "), answer[:200]
                assert not answer.startswith(b"HTTP/1.1 5"), answer[:500]
    finally:
        master.terminate()
        master.wait(30)
    assert killed >= 10  # the chaos really happened
    assert len(acknowledged) >= ROUNDS // 5  # the undisturbed uploads at least

    from campaign import create_app
    from campaign.extensions import db
    from campaign.models import EvidenceFile
    from campaign.services.submissions.evidence import sweep_orphans

    folder = tmp_path / "uploads"
    app = create_app("config.DevelopmentConfig", SQLALCHEMY_DATABASE_URI=db_url, REDIS_URL=redis_url,
                     UPLOAD_FOLDER=str(folder))
    with app.app_context():
        rows = list(db.session.query(EvidenceFile).filter(EvidenceFile.deleted_at.is_(None)))
        for row in rows:
            data = (folder / row.storage_name).read_bytes()  # missing file → test fails here
            assert hashlib.sha256(data).hexdigest() == row.sha256 and len(data) == row.size
        assert set(acknowledged) <= {r.sha256 for r in rows}
        referenced = {r.storage_name for r in db.session.query(EvidenceFile)}
        removed = sweep_orphans(0)
        assert set(os.listdir(folder)) == referenced
        db.session.remove()
        db.engine.dispose()
    print(f"uploads={ROUNDS} workers_killed={killed} acknowledged={len(acknowledged)} rows={len(rows)} "
          f"orphans_swept={len(removed)}")
