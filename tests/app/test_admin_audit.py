"""Audit rows name who acted and from where, although services never read the request.

The web layer binds the request once (campaign/__init__.py → audit.bind_request); the audit
service reads that binding. A row written by a login names the user who just logged in.
"""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, User
from campaign.services import audit
from tests.admin_helpers import admin_client


def _row(action: str) -> AuditLog:
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc())).first()


def test_a_change_made_in_the_browser_is_audited_with_the_admin_address_and_request_id(client, factory):
    admin_client(client, factory, username="chief")
    chief = db.session.scalar(sa.select(User).where(User.username == "chief"))
    r = client.submit("/admin/units/new", {"code": "777", "name": "Quận Thử", "kind": "urban_district"},
                      page="/admin/units/new", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                      headers={"X-Request-Id": "req-audit-1"})
    assert r.status_code == 303
    row = _row("unit.create")
    assert (row.actor_id, row.actor_role, row.ip, row.request_id) == (chief.id, "admin", "203.0.113.9", "req-audit-1")


def test_a_login_is_audited_as_the_user_who_logged_in(client, factory):
    user = factory.user("viewer", username="xem")
    db.session.commit()
    assert client.login("xem", ip="198.51.100.7").status_code == 302
    row = _row("auth.login")
    assert (row.actor_id, row.ip) == (user.id, "198.51.100.7")


def test_outside_a_request_the_actor_is_what_the_caller_passes(app, factory):
    user = factory.user("admin", username="cli-admin")
    db.session.commit()
    audit.record("test.cli", "thing", 1, actor=user.id)
    audit.record("test.system", "thing", 2)
    db.session.commit()
    assert (_row("test.cli").actor_id, _row("test.cli").actor_role, _row("test.cli").ip) == (user.id, "admin", None)
    assert (_row("test.system").actor_id, _row("test.system").request_id) == (None, None)


def test_a_service_that_names_no_actor_is_audited_as_the_logged_in_user(client, factory):
    """Opening a campaign's entry creates it; the entries service passes no actor, the bound request does."""
    unit = factory.unit(name="Quận Ghi Nhật Ký")
    camp = factory.campaign(units=[unit])
    officer = factory.user("officer", unit=unit, username="canbo-audit")
    db.session.commit()
    client.login("canbo-audit")
    assert client.get(f"/unit/campaigns/{camp.id}/entry").status_code in (200, 302, 303)
    row = _row("entry.create")
    assert (row.actor_id, row.actor_role, row.unit_id) == (officer.id, "officer", unit.id)
