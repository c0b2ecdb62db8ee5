"""The demo's 2026 campaign: Hà Nội's 126 communes and wards, submitted, judged, published, public board."""
from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from campaign.demo import load
from campaign.demo_2026 import SLUG
from campaign.extensions import db
from campaign.models import Assignment, Campaign, CampaignUnit, Entry, ScoreRun, Unit, UnitLineage, UnitResult

pytestmark = pytest.mark.slow


def test_demo_2026_campaign_runs_end_to_end_beside_2018(app, client):
    load()
    camp = db.session.scalar(sa.select(Campaign).where(Campaign.slug == SLUG))
    units = db.session.scalars(sa.select(Unit).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
                               .where(CampaignUnit.campaign_id == camp.id)).all()
    # Hà Nội has 126 commune-level units since 1 July 2025: 51 wards and 75 communes, under the city directly
    assert len(units) == 126
    assert sorted(u.kind for u in units).count("ward") == 51
    assert {u.kind for u in units} == {"ward", "commune"}
    assert {u.parent.code for u in units} == {"01"}
    ba_dinh = next(u for u in units if u.code == "00004")
    assert ba_dinh.name == "Phường Ba Đình" and ba_dinh.valid_from == date(2025, 7, 1)
    # every entry submitted and judged by three judges
    entries = db.session.scalars(sa.select(Entry).where(Entry.campaign_id == camp.id)).all()
    assert len(entries) == 126 and {e.status for e in entries} == {"appraised"}
    n_assign = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                                 .where(Assignment.entry_id.in_([e.id for e in entries])))
    assert n_assign == 126 * 3
    run = db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == camp.id,
                                                      ScoreRun.published_at.is_not(None)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitResult)
                             .where(UnitResult.run_id == run.id)) == 126
    assert run.label == "Tổng kết năm 2026 (demo)"  # its own year, not the 2018 campaign's label

    # the 2018 district campaign still shows its 30 districts, which ended on 1 July 2025
    old = db.session.scalar(sa.select(Unit).where(Unit.code == "001"))
    assert old.name == "Quận Ba Đình" and old.valid_to == date(2025, 7, 1)
    html = client.get("/leaderboard?campaign=nam-dan-van-2018").get_data(as_text=True)
    assert "Quận Ba Đình" in html and "Phường Ba Đình" not in html

    # the public board of the 2026 campaign (no district level: communes by default) lists the 126 units,
    # 50 a page
    pages = [client.get(f"/leaderboard?campaign={SLUG}&page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    html = "".join(pages)
    assert "Phường Ba Đình" in html and "Xã Minh Châu" in html
    assert len(set(re.findall(r"/leaderboard/unit/(\d{5})", html))) == 126
    assert "Trang 1/3" in pages[0]
    # ranked within clusters too: the central cluster holds Phường Ba Đình, not the western Xã Minh Châu
    html = client.get(f"/leaderboard?campaign={SLUG}&level=commune&cluster=CUM26-1").get_data(as_text=True)
    assert "Phường Ba Đình" in html and "Xã Minh Châu" not in html

    # Phường Ba Đình (code 00004, once Phường Trúc Bạch's) was formed from old wards of Quận Ba Đình
    trucbach = db.session.scalar(sa.select(Unit).where(Unit.code == "00004", Unit.valid_to.is_not(None)))
    assert trucbach.name == "Phường Trúc Bạch" and trucbach.parent.code == "001"
    preds = db.session.scalars(sa.select(Unit.name).join(UnitLineage, UnitLineage.predecessor_id == Unit.id)
                               .where(UnitLineage.successor_id == ba_dinh.id)).all()
    assert {"Phường Trúc Bạch", "Phường Quán Thánh"} <= set(preds)

    # the new ward's public page lists its predecessors with THEIR results, labelled as theirs
    page = client.get(f"/leaderboard/unit/00004?campaign={SLUG}").get_data(as_text=True)
    lineage = page.split('data-testid="unit-lineage"')[1].split("</section>")[0]
    assert "Các đơn vị tiền thân" in lineage and "Phường Trúc Bạch" in lineage
    assert "Thuộc Quận Ba Đình trước đây" in lineage
    district_result = db.session.scalar(
        sa.select(UnitResult).join(ScoreRun, ScoreRun.id == UnitResult.run_id)
        .join(Campaign, Campaign.id == ScoreRun.campaign_id)
        .where(Campaign.slug == "nam-dan-van-2018", ScoreRun.published_at.is_not(None), UnitResult.unit_id == old.id)
        .order_by(ScoreRun.id.desc()).limit(1))
    assert ("Kết quả đã công bố của Quận Ba Đình (đơn vị cấp huyện cũ, không phải của đơn vị này)" in lineage
            and f"hạng {district_result.rank}/30" in lineage)
    # a 2018 district's page has no lineage section
    page = client.get("/leaderboard/unit/001?campaign=nam-dan-van-2018").get_data(as_text=True)
    assert "Quận Ba Đình" in page and 'data-testid="unit-lineage"' not in page
