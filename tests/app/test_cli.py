"""`flask create-user` creates working logins and refuses bad input."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, User
from campaign.services.results import recompute
from tests.results_helpers import rich_framework, save_values


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
    assert "no unit" in runner.invoke(args=["create-user", "x", "--role", "officer", "--unit", "nope",
                                            "--password", "long-enough-1"]).output
    assert "at least 8" in runner.invoke(args=["create-user", "x", "--role", "admin", "--password", "short"]).output
    assert runner.invoke(args=["create-user", "y", "--role", "admin", "--password", "long-enough-1"]).exit_code == 0
    assert "exists already" in runner.invoke(args=["create-user", "y", "--role", "admin", "--password", "long-enough-1"]).output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_publish_command_keeps_the_official_stage_rule(app, factory):
    """`flask publish` refuses an official result while entries are received (as the web does); mid-term goes."""
    doc = rich_framework("fw-cli-pub")
    a = factory.unit()
    camp = factory.campaign(doc=doc, units=[a], status="open")
    save_values(factory.entry(camp, a, status="submitted"), doc, {"I.1": 90.0})
    db.session.commit()
    recompute.recompute_provisional(camp.id)
    runner = app.test_cli_runner()

    def published(kind: str) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRun).where(
            ScoreRun.campaign_id == camp.id, ScoreRun.kind == kind, ScoreRun.published_at.is_not(None)))

    refused = runner.invoke(args=["publish", str(camp.id)])
    assert refused.exit_code != 0
    assert "Kết quả chính thức chỉ được công bố từ giai đoạn thẩm định trở đi" in refused.output
    assert published("snapshot") == 0

    assert runner.invoke(args=["publish", str(camp.id), "--midterm"]).exit_code == 0
    assert published("midterm") == 1

    db.session.get(Campaign, camp.id).status = "appraisal"
    db.session.commit()
    ok = runner.invoke(args=["publish", str(camp.id)])
    assert ok.exit_code == 0, ok.output
    assert "published run" in ok.output and published("snapshot") == 1
