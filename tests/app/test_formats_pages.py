"""What a person reads: one form per locale for days, moments, percentages and typed values on real pages."""
from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import IndicatorNode
from campaign.services import audit
from campaign.services.accounts import auditlog
from tests.conftest import Client
from tests.public_helpers import publish
from tests.unit_helpers import GOOD, PDF, World, field_value, open_entry, save, submit


def _row(html: str, campaign_id: int) -> str:
    return re.search(rf'data-testid="campaign-row-{campaign_id}">(.*?)</tr>', html, re.S).group(1)


def test_campaign_list_shows_days_and_deadline_in_one_form_per_language(client, factory):
    factory.user("admin", username="qt")
    # 10:00 UTC is 17:00 in Hà Nội
    camp = factory.campaign(period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
                            submission_deadline=datetime(2026, 11, 30, 10, 0))
    db.session.commit()
    client.login("qt")
    row = _row(client.get("/admin/campaigns").get_data(as_text=True), camp.id)
    assert "01/01/2026 – 31/12/2026" in row and "30/11/2026 17:00" in row
    assert "30/11/26" not in row  # Babel's two-digit "short" year is gone
    client.post("/lang/en", data={"next": "/admin/campaigns"})
    row = _row(client.get("/admin/campaigns").get_data(as_text=True), camp.id)
    assert "1 Jan 2026 – 31 Dec 2026" in row and "30 Nov 2026 17:00" in row
    assert "PM" not in row


def test_a_typed_decimal_comes_back_in_the_readers_form(client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {**GOOD, "A.1": "88.8"}).status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "A.1") == "88,8"  # Vietnamese comma, same value
    assert field_value(html, "A.2") == "1.234,5"  # grouped input stays as typed
    client.post("/lang/en", data={"next": f"/unit/entries/{entry_id}"})
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "A.1") == "88.8"


def test_completeness_is_a_percentage_in_each_language(client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    # 2 of 7 indicators filled: 2 / 7 = 28,57 % → 29 %
    assert save(client, entry_id, {"A.3": "3", "A.4": "5"}).status_code == 303
    assert 'data-testid="completeness">29 %' in client.get("/unit/").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/unit/"})
    assert 'data-testid="completeness">29%' in client.get("/unit/").get_data(as_text=True)


def test_locked_fields_read_as_labels_and_hide_empty_explanations(app, client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    # B.2 is free text scored by judges' levels; "good" is the level's code, whose label is "Tốt"
    assert submit(client, entry_id, {**GOOD, "B.2": "good"},
                  files={"file-A.1": (io.BytesIO(PDF), "bien-ban.pdf")}).status_code == 303
    admin = Client(app.test_client())
    admin.login("hoidong")
    assert admin.submit(f"/admin/reporting/entries/{entry_id}/clarify",
                        {"codes": "A.2", "message": "Số tiền chưa khớp"},
                        page=f"/admin/reporting/{world.campaign.id}").status_code == 303
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert field_value(html, "B.2") == "Tốt"  # never the code "good"
    assert field_value(html, "A.5") == "Có"  # never "yes"
    assert field_value(html, "A.1") == "67,5"
    assert re.search(r'<input[^>]*name="v-B.2"[^>]*class="readonly"[^>]*disabled', html)
    assert 'name="ex-A.1"' not in html  # locked with no explanation: no empty "Giải trình" box
    assert field_value(html, "A.2") == "1.234,5" and 'name="codes" value="A.2"' in html  # the asked one stays editable


def test_a_two_tier_campaign_overview_has_no_district_map_and_its_label_speaks_english(client, factory):
    city = factory.unit("city", code="01", name="Thành phố Hà Nội")
    w1 = factory.unit("ward", parent=city, code="00004", name="Phường Ba Đình")
    w2 = factory.unit("commune", parent=city, code="09999", name="Xã Minh Châu")
    camp = factory.campaign(units=[w1, w2], slug="xa-2026", name="Thi đua xã 2026")
    publish(camp, [(w1, 80, 1, {"I": 50, "II": 30}), (w2, 70, 2, {"I": 40, "II": 30})], level=3,
            label="Tổng kết năm 2026 (demo)")
    html = client.get("/leaderboard/overview?campaign=xa-2026").get_data(as_text=True)
    assert 'data-testid="n-communes">2<' in html
    assert 'data-testid="n-districts"' not in html and 'data-testid="map-chart"' not in html
    assert "GeoJSON" not in html and "quản trị viên" not in html  # visitors never read admin instructions
    board = client.get("/leaderboard?campaign=xa-2026").get_data(as_text=True)
    assert re.search(r'data-testid="run-label">Tổng kết năm 2026 \(demo\)<', board)
    client.post("/lang/en", data={"next": "/leaderboard?campaign=xa-2026"})
    board = client.get("/leaderboard?campaign=xa-2026").get_data(as_text=True)
    assert re.search(r'data-testid="run-label">2026 year-end review \(demo\)<', board)
    html = client.get("/leaderboard/overview?campaign=xa-2026").get_data(as_text=True)
    assert "Map of district scores" not in html and "District-level units ranked" not in html


def test_admin_dashboard_counts_current_units_by_level_and_the_ended_ones_apart(client, factory):
    factory.user("admin", username="qt")
    city = factory.unit("city", code="01", name="Thành phố Hà Nội")
    old = factory.unit("urban_district", parent=city, code="001", name="Quận Ba Đình", valid_to=date(2025, 7, 1))
    factory.unit("ward", parent=old, code="00001", name="Phường Phúc Xá", valid_to=date(2025, 7, 1))
    factory.unit("urban_district", parent=city, code="002", name="Quận Hoàn Kiếm", valid_to=date(2025, 7, 1))
    for i in range(3):
        factory.unit("ward", parent=city, code=f"1000{i}", name=f"Phường mới {i}")
    db.session.commit()
    client.login("qt")
    html = client.get("/admin/").get_data(as_text=True)
    tile = re.search(r'data-testid="tile-units">(.*?)</a>', html, re.S).group(1)
    assert 'data-testid="units-current">3<' in tile and "0 cấp huyện · 3 cấp xã" in tile
    assert "Đã ngừng hoạt động, giữ kết quả cũ: 2 cấp huyện · 1 cấp xã" in tile
    assert "0 + " not in tile


def _audit_row(html: str, text: str) -> str:
    return next(r for r in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S) if text in r)


def test_audit_rows_read_as_fields_and_names_not_json_and_ids(client, factory):
    admin = factory.user("admin", username="qt")
    judge = factory.user("judge", username="gk1")
    camp = factory.campaign()
    i1 = db.session.scalar(sa.select(IndicatorNode).where(IndicatorNode.framework_version_id == camp.framework_version_id,
                                                          IndicatorNode.code == "I.1"))
    audit.record("demo.loaded", "database", None, actor=admin)
    audit.record("user.update", "user", judge.id, before={"active": True}, after={"active": False}, actor=admin)
    audit.record("judging.save_draft", "assignment", 97, before=None, after={str(i1.id): 4.5}, actor=judge)
    db.session.commit()
    client.login("qt")
    html = client.get("/admin/audit").get_data(as_text=True)
    row = _audit_row(html, "Lưu nháp điểm")
    assert "Phiếu chấm số 97" in row
    assert "I.1 Tỷ lệ BHYT:</span> 4,5" in row  # the indicator by code and name, the number in the Vietnamese form
    assert f'"{i1.id}"' not in row and "assignment:97" not in row and "{" not in row
    assert "Người dùng gk1" in html and "Đang hoạt động:</span> có" in html and "user:" not in html
    # the action filter offers labels, never internal codes
    options = re.search(r'<select[^>]*name="action"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert ">Nạp dữ liệu mẫu<" in options and ">demo.loaded<" not in options
    # the export keeps the raw data
    csv = client.get("/admin/audit/export.csv").get_data(as_text=True)
    assert f'{{""{i1.id}"": 4.5}}' in csv


def test_every_recorded_action_has_a_label():
    recorded = set()
    for path in Path(__file__).resolve().parents[2].joinpath("campaign").rglob("*.py"):
        recorded |= set(re.findall(r'audit\.record\(\s*"([a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert recorded and sorted(recorded - set(auditlog.ACTION_LABELS)) == []


def test_counts_of_a_national_unit_list_are_grouped_in_each_language(client, factory):
    """3,321 communes and wards: counts read "1.200" in Vietnamese and "1,200" in English, as every figure does."""
    from campaign.models import CampaignUnit, Unit

    factory.user("admin", username="qt")
    province = factory.unit("province", code="01", name="Tỉnh Thử")
    wards = [Unit(code=f"{90000 + i}", name=f"Phường {i}", kind="ward", level=3, parent=province) for i in range(1200)]
    db.session.add_all(wards)
    camp = factory.campaign()
    db.session.flush()
    db.session.add_all([CampaignUnit(campaign_id=camp.id, unit_id=w.id) for w in wards])
    db.session.commit()
    client.login("qt")
    units = client.get("/admin/units").get_data(as_text=True)
    counts = re.search(r'data-testid="unit-counts">(.*?)</p>', units, re.S).group(1)
    assert "Phường: 1.200" in counts and "1200" not in counts
    detail = client.get(f"/admin/campaigns/{camp.id}").get_data(as_text=True)
    assert re.search(r'data-testid="participant-count">1\.200 ·', detail)
    assert "1.200 đơn vị" in client.get(f"/admin/campaigns/{camp.id}/participants").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/admin/units"})
    counts = re.search(r'data-testid="unit-counts">(.*?)</p>', client.get("/admin/units").get_data(as_text=True),
                       re.S).group(1)
    assert "1,200" in counts and "1.200" not in counts
