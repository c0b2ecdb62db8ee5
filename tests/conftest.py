"""Shared fixtures: an app per test on its own database, a real Redis per session.

The database is a fresh SQLite file per test, or PostgreSQL when THIDUA_TEST_DATABASE_URL
is set (CI runs the suite on both). Redis is a real redis-server started here.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid

import pytest
import sqlalchemy as sa

from campaign import create_app
from campaign.devserver import free_port, start_redis
from campaign.extensions import db
from config import TestingConfig

from .factories import Factory

PG_URL = os.environ.get("THIDUA_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def redis_server():
    data_dir = tempfile.mkdtemp(prefix="thidua-redis-")
    port = free_port()
    proc = start_redis(port, data_dir, appendonly=False)
    yield {"port": port, "url": f"redis://127.0.0.1:{port}/0", "proc": proc, "dir": data_dir}
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(data_dir, ignore_errors=True)


_PG_TEMPLATE: list[str] = []


def _pg_template(admin) -> str:
    """A database with the schema already created; copying it is faster than create_all."""
    if _PG_TEMPLATE:
        return _PG_TEMPLATE[0]
    name = f"thidua_tmpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name)
    engine = sa.create_engine(url)
    create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False))
    db.metadata.create_all(engine)
    engine.dispose()
    _PG_TEMPLATE.append(name)
    return name


def _database_url(tmp_path) -> tuple[str, callable]:
    if not PG_URL:
        return f"sqlite:///{tmp_path / 'test.sqlite'}", lambda: None
    name = f"thidua_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    template = _pg_template(admin)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def make_app(tmp_path, redis_url: str, **overrides):
    db_url, drop = _database_url(tmp_path)
    config = dict(
        SQLALCHEMY_DATABASE_URI=db_url,
        REDIS_URL=redis_url,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        CELERY={**TestingConfig.CELERY, "broker_url": redis_url, "result_backend": redis_url},
    )
    config.update(overrides)
    app = create_app(TestingConfig, **config)
    if not PG_URL:
        with app.app_context():
            db.create_all()
    app._drop_test_db = drop  # type: ignore[attr-defined]
    return app


@pytest.fixture
def redis_url(redis_server):
    """A Redis database of our own, flushed before each test."""
    import redis

    url = redis_server["url"].rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def app(tmp_path, redis_url):
    from campaign.services.results import leaderboard_cache, ledger_cache

    leaderboard_cache.reset_local()  # each test starts with an empty per-process page cache
    ledger_cache.clear()  # ... and no in-memory ledger copies (tests edit ledger rows directly)
    app = make_app(tmp_path, redis_url)
    ctx = app.app_context()
    ctx.push()
    yield app
    leaderboard_cache.reset_local()
    db.session.remove()
    db.engine.dispose()
    ctx.pop()
    app._drop_test_db()


@pytest.fixture
def factory(app) -> Factory:
    return Factory(db.session)


class Client:
    """A test client that logs in and sends the CSRF token like a browser would."""

    def __init__(self, flask_client):
        self.c = flask_client

    def __getattr__(self, name):
        return getattr(self.c, name)

    def open(self, *args, **kwargs):
        # Each request gets a fresh app context (its own `g` and DB session), as in production;
        # otherwise the context the test pushed would be shared by every request. The test's
        # own transaction is committed first: a browser only ever sees committed data, and an
        # open SQLite write transaction in the test would block the request.
        db.session.commit()
        with self.c.application.app_context():
            return self.c.open(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args, **kwargs):
        return self.open(*args, method="POST", **kwargs)

    def csrf(self, page: str = "/login") -> str:
        html = self.get(page).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html)
        assert match, f"no csrf_token on {page}"
        return match.group(1)

    def login(self, username: str, password: str = "password-123", ip: str | None = None):
        token = self.csrf("/login")
        extra = {"environ_base": {"REMOTE_ADDR": ip}} if ip else {}
        return self.post("/login", data={"username": username, "password": password, "csrf_token": token}, **extra)

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST a form with a valid CSRF token taken from ``page`` (default: the same URL)."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf(page or url))
        return self.post(url, data=payload, **kwargs)


@pytest.fixture
def client(app) -> Client:
    return Client(app.test_client())


@pytest.fixture
def celery_worker(app):
    """A real Celery worker (thread, solo pool) consuming from the real Redis."""
    from celery.contrib.testing.worker import start_worker

    celery_app = app.extensions["celery"]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def pytest_sessionfinish(session, exitstatus):
    """Drop the PostgreSQL template database this run created."""
    if PG_URL and _PG_TEMPLATE:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE[0]}" WITH (FORCE)'))
        admin.dispose()


TIERS = ("unit", "app", "tasks", "browser", "system")


def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier (its folder), so `-m unit` or `-m "not browser"` selects one.

    tests/unit/ is the pure tier: a test there that asks for the application (and so a database)
    is refused, so the fast tier stays fast and needs no services.
    """
    offenders = []
    for item in items:
        parts = item.path.relative_to(config.rootpath).parts
        tier = parts[1] if len(parts) > 2 and parts[0] == "tests" and parts[1] in TIERS else None
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
        if tier == "unit" and {"app", "factory", "client"} & set(getattr(item, "fixturenames", ())):
            offenders.append(item.nodeid)
    if offenders:
        raise pytest.UsageError("tests/unit/ is for tests without the app or a database: " + ", ".join(offenders))
