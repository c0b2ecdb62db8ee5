"""Commission's completeness view: expected / on time / late / missing, per district, drill-down, CSV."""
from __future__ import annotations

from datetime import timedelta

import pytest

from campaign.extensions import db
from campaign.models import DeadlineExtension
from campaign.models.base import utcnow


@pytest.fixture
def setup(factory):
    """District D1 with communes c1 (on time), c2 (late), c3 (extension, submitted before it → on time),
    c4 (missing); district D2 takes part itself and is missing. Expected 5, on time 2, late 1, missing 2."""
    deadline = utcnow() - timedelta(days=1)
    d1 = factory.unit("urban_district", name="Quận Hoàn Kiếm", code="D1")
    d2 = factory.unit("rural_district", name="Huyện Sóc Sơn", code="D2")
    c = [factory.unit("ward", parent=d1, name=f"Phường {n}", code=f"C{i}")
         for i, n in enumerate(["Hàng Bạc", "Hàng Đào", "Lý Thái Tổ", "Tràng Tiền"], start=1)]
    campaign = factory.campaign(units=[*c, d2], submission_deadline=deadline)
    factory.entry(campaign, c[0], status="submitted", first_submitted_at=deadline - timedelta(hours=3),
                  submitted_at=deadline - timedelta(hours=3))
    factory.entry(campaign, c[1], status="submitted", first_submitted_at=deadline + timedelta(hours=2),
                  submitted_at=deadline + timedelta(hours=2))
    factory.entry(campaign, c[2], status="resubmitted", first_submitted_at=deadline + timedelta(hours=5),
                  submitted_at=deadline + timedelta(hours=30))
    db.session.add(DeadlineExtension(campaign_id=campaign.id, unit_id=c[2].id, new_deadline=deadline + timedelta(days=1),
                                     reason="mưa bão"))
    factory.entry(campaign, c[3], status="draft")
    factory.user("admin", username="hoidong")
    factory.user("officer", unit=c[0], username="canbo")
    db.session.commit()
    return campaign, d1, d2


def test_campaign_totals_and_per_district_rates(client, setup):
    campaign, d1, d2 = setup
    client.login("hoidong")
    html = client.get(f"/admin/reporting/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="expected">5<' in html and 'data-testid="on-time">2<' in html
    assert 'data-testid="late">1<' in html and 'data-testid="missing">2<' in html
    from campaign.services.submissions.reporting import campaign_rates

    rows = {r["name"]: r for r in campaign_rates(campaign.id)["districts"]}
    assert (rows["Quận Hoàn Kiếm"]["expected"], rows["Quận Hoàn Kiếm"]["on_time"], rows["Quận Hoàn Kiếm"]["late"],
            rows["Quận Hoàn Kiếm"]["missing"], rows["Quận Hoàn Kiếm"]["rate"]) == (4, 2, 1, 1, 75.0)
    assert (rows["Huyện Sóc Sơn"]["expected"], rows["Huyện Sóc Sơn"]["missing"], rows["Huyện Sóc Sơn"]["rate"]) == (1, 1, 0.0)
    overview = client.get("/admin/reporting/").get_data(as_text=True)
    assert f'data-testid="overview-{campaign.id}"' in overview and "60,0 %" in overview  # 3 of 5 reported


def test_drill_down_lists_communes_of_a_district(client, setup):
    campaign, d1, _d2 = setup
    client.login("hoidong")
    html = client.get(f"/admin/reporting/{campaign.id}/districts/{d1.id}").get_data(as_text=True)
    for code in ("C1", "C2", "C3", "C4"):
        assert f'data-testid="unit-{code}"' in html
    assert "Huyện Sóc Sơn" not in html
    row_c2 = html.split('data-testid="unit-C2"')[1].split("</tr>")[0]
    assert "Trễ hạn" in row_c2
    row_c3 = html.split('data-testid="unit-C3"')[1].split("</tr>")[0]
    assert "Đúng hạn" in row_c3  # within its extension


def test_csv_export(client, setup):
    campaign, *_ = setup
    client.login("hoidong")
    resp = client.get(f"/admin/reporting/{campaign.id}/export.csv")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    lines = resp.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("district,unit_code")
    states = {line.split(",")[1]: line.split(",")[5] for line in lines[1:]}
    assert states == {"C1": "on_time", "C2": "late", "C3": "on_time", "C4": "missing", "D2": "missing"}


def test_reporting_is_for_the_commission_only(client, setup):
    campaign, *_ = setup
    client.login("canbo")
    assert client.get(f"/admin/reporting/{campaign.id}").status_code == 403
    assert client.get(f"/admin/reporting/{campaign.id}/export.csv").status_code == 403
