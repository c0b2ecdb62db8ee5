"""`flask create-user` creates working logins and refuses bad input."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import User


def test_create_user_then_login(app, client, factory):
    unit = factory.unit(code="001", name="Quận Ba Đình")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "ba-dinh", "--role", "officer", "--unit", "001",
                                 "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "ba-dinh"))
    assert user.unit_id == unit.id and user.role == "officer"
    assert user.password_hash != "a-long-password"
    assert client.login("ba-dinh", "a-long-password").status_code == 302


def test_create_user_refusals(app):
    runner = app.test_cli_runner()
    # an officer needs a unit; unknown unit; short password; duplicate user
    assert "needs --unit" in runner.invoke(args=["create-user", "x", "--role", "officer", "--password", "long-enough-1"]).output
    assert "no unit" in runner.invoke(args=["create-user", "x", "--role", "officer", "--unit", "nope", "--password", "long-enough-1"]).output
    assert "at least 8" in runner.invoke(args=["create-user", "x", "--role", "admin", "--password", "short"]).output
    assert runner.invoke(args=["create-user", "y", "--role", "admin", "--password", "long-enough-1"]).exit_code == 0
    assert "exists already" in runner.invoke(args=["create-user", "y", "--role", "admin", "--password", "long-enough-1"]).output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
