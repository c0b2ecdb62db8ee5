"""The demo data set: real districts, four campaigns, results computed and published."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, Unit, UnitResult, User

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
    for a, b in zip(rows, rows[1:], strict=False):
        assert a.total >= b.total
        assert (a.rank == b.rank) == (a.total == b.total and a.tied)

    html = client.get("/leaderboard").get_data(as_text=True)
    best = db.session.get(Unit, rows[0].unit_id).name
    assert best in html and "Quận Ba Đình" in html

    # The demo logins work with the documented password pattern.
    assert client.login("officer-badinh", "officer-badinh-demo").status_code == 302


def test_demo_bands_are_a_believable_spread_made_by_the_campaigns_rules(app, client):
    """Most units in the middle bands, a few at the top and the bottom — not a board where almost all fail.

    The bands are the engine's, from each campaign's own thresholds and floors (the consistency of
    each band with those rules is checked in test_band_reasons_consistency).
    """
    from collections import Counter

    from campaign.demo import load

    load()
    published = db.session.scalars(sa.select(ScoreRun).where(ScoreRun.kind == "snapshot")).all()
    assert published
    for run in published:
        for level in (2, 3):
            bands = Counter(db.session.scalars(sa.select(UnitResult.band).where(
                UnitResult.run_id == run.id, UnitResult.level == level, UnitResult.status == "ranked")))
            n = sum(bands.values())
            if n < 30:
                continue
            top, bottom = bands["xuat_sac"], bands["khong_hoan_thanh"] + bands[None]
            middle = bands["tot"] + bands["hoan_thanh"]
            where = (run.campaign_id, level, dict(bands))
            assert middle >= 0.45 * n, where
            assert 1 <= top <= 0.35 * n, where
            assert 1 <= bottom <= 0.35 * n, where
