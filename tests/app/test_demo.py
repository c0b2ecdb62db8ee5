"""The demo data set: real districts, four campaigns, results computed and published."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, Unit, UnitResult, User

import pytest

pytestmark = pytest.mark.slow


def test_demo_loads_and_first_page_shows_ranked_districts(app, client):
    from campaign.demo import load

    load()
    count = lambda q: db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(q))  # noqa: E731
    assert count(Unit.level == 2) == 30
    assert count((Unit.level == 3) & Unit.is_demo) == 584  # (+ the 2026 campaign's real units: test_demo_2026)
    assert count(Unit.is_demo) == 584  # generated communes are labelled as demo data
    assert db.session.scalar(sa.select(Unit.name).where(Unit.code == "001")) == "Quận Ba Đình"
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).all()
    assert {c.status for c in campaigns} == {"published", "open", "appraisal"}
    assert {c.slug for c in campaigns} >= {"nam-dan-van-2018", "nong-thon-moi-2018", "quy-tac-ung-xu-2018",
                                           "van-minh-do-thi-2018"}
    # One login per role.
    assert set(db.session.scalars(sa.select(User.role))) == {"admin", "officer", "judge", "viewer"}

    snapshot = db.session.scalar(sa.select(ScoreRun).join(Campaign, Campaign.id == ScoreRun.campaign_id)
                                 .where(ScoreRun.kind == "snapshot", Campaign.slug == "nam-dan-van-2018"))
    rows = db.session.scalars(sa.select(UnitResult).where(UnitResult.run_id == snapshot.id)
                              .order_by(UnitResult.rank)).all()
    assert len(rows) == 30
    # competition ranking consistent with the totals
    for a, b in zip(rows, rows[1:]):
        assert a.total >= b.total
        assert (a.rank == b.rank) == (a.total == b.total and a.tied)

    html = client.get("/leaderboard").get_data(as_text=True)
    best = db.session.get(Unit, rows[0].unit_id).name
    assert best in html and "Quận Ba Đình" in html

    # The demo logins work with the documented password pattern.
    assert client.login("officer-badinh", "officer-badinh-demo").status_code == 302
