"""Foundation: health check, login/logout, CSRF, access declarations, SQLite settings."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.access import access_of
from campaign.extensions import db
from campaign.models import AuditLog, AuditLogImmutable


def test_healthz_reports_each_part_and_503_without_worker(client):
    # Redis and DB are real and up; no worker runs in this test, so the worker field says so.
    resp = client.get("/healthz")
    body = resp.get_json()
    assert body["database"] == "ok"
    assert body["redis"] == "ok"
    assert body["worker"].startswith("error")
    assert resp.status_code == 503
    assert body["version"]


def test_healthz_names_redis_failure(tmp_path, redis_server):
    from tests.conftest import make_app

    app = make_app(tmp_path, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["redis"].startswith("error")
    assert resp.get_json()["database"] == "ok"
    app._drop_test_db()


def test_healthz_ok_with_real_worker(client, celery_worker):
    resp = client.get("/healthz")
    body = resp.get_json()
    assert (body["database"], body["redis"], body["worker"]) == ("ok", "ok", "ok")
    assert resp.status_code == 200


def test_login_logout_and_audit(client, factory):
    user = factory.user("admin", username="boss")
    db.session.commit()
    bad = client.login("boss", "wrong-password")
    assert bad.status_code == 401
    assert "không đúng" in bad.get_data(as_text=True)
    ok = client.login("boss")
    assert ok.status_code == 302
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["auth.login_failed", "auth.login"]
    assert 'data-testid="whoami"' in client.get("/login").get_data(as_text=True)
    token = client.csrf("/login")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    # after logout the session no longer carries the user
    html = client.get("/login").get_data(as_text=True)
    assert 'data-testid="whoami"' not in html and 'data-testid="login-link"' in html
    assert user.last_login_at is not None


def test_login_without_csrf_token_is_refused(client, factory):
    factory.user("admin", username="boss")
    db.session.commit()
    resp = client.post("/login", data={"username": "boss", "password": "password-123"})
    assert resp.status_code == 400
    assert "hết hạn" in resp.get_data(as_text=True)


def test_login_rate_limited_across_attempts(client, factory):
    factory.user("admin", username="boss")
    db.session.commit()
    for _ in range(5):
        assert client.login("boss", "nope").status_code == 401
    # the right password is refused too while the account is throttled
    assert client.login("boss").status_code == 429


def test_bumping_session_version_logs_out_everywhere(client, factory):
    user = factory.user("admin", username="boss")
    db.session.commit()
    client.login("boss")
    assert client.get("/healthz").status_code in (200, 503)
    user.session_version += 1
    db.session.commit()
    # The old session no longer loads the user: the login link is shown again.
    html = client.get("/leaderboard").get_data(as_text=True)
    assert 'data-testid="login-link"' in html


def test_open_redirect_refused(client, factory):
    factory.user("admin", username="boss")
    db.session.commit()
    token = client.csrf("/login")
    resp = client.post("/login?next=https://evil.example/", data={
        "username": "boss", "password": "password-123", "csrf_token": token, "next": "https://evil.example/"})
    assert resp.status_code == 302
    assert "evil.example" not in resp.headers["Location"]


def test_every_route_declares_its_audience(app):
    missing = [rule.endpoint for rule in app.url_map.iter_rules() if access_of(rule.endpoint) is None]
    assert missing == []


def test_undeclared_route_is_refused(app, client):
    app.add_url_rule("/undeclared-test-route", "undeclared", lambda: "secret")
    assert client.get("/undeclared-test-route").status_code == 403


def test_language_switch_and_default_vietnamese(client):
    html = client.get("/leaderboard").get_data(as_text=True)
    assert 'lang="vi"' in html and "Bảng xếp hạng" in html
    client.post("/lang/en", data={"next": "/leaderboard"})
    html = client.get("/leaderboard").get_data(as_text=True)
    assert 'lang="en"' in html and "Leaderboard" in html


def test_security_headers(client):
    resp = client.get("/leaderboard")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "object-src 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_audit_rows_cannot_be_changed(app):
    row = AuditLog(action="x", object_type="y")
    db.session.add(row)
    db.session.commit()
    row.action = "tampered"
    try:
        db.session.commit()
    except AuditLogImmutable:
        db.session.rollback()
    else:  # pragma: no cover
        raise AssertionError("audit row was updated")
    assert db.session.get(AuditLog, row.id).action == "x"


def test_sqlite_runs_wal_with_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    import pytest

    from campaign import create_app
    from config import ProductionConfig

    class NoSecret(ProductionConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="THIDUA_SECRET_KEY"):
        create_app(NoSecret)


def test_public_page_sets_no_session_cookie(client):
    """Anonymous visitors get no session: nothing to sign per request, nothing to track."""
    resp = client.get("/leaderboard")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers
