"""The official list from 1 July 2025 (vietnam-provinces) with lineage (vietnamadminunits): service, command, pages."""
from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, CampaignUnit, Unit, UnitLineage, User
from campaign.services.errors import Conflict
from campaign.services.setup import campaigns as campaigns_svc
from campaign.services.setup import unit_sync
from campaign.services.setup import units as units_svc
from tests.admin_helpers import admin_client, gso_bytes, request_ctx  # noqa: F401
from tests.units_helpers import gso_file, row

pytestmark = pytest.mark.usefixtures("request_ctx")


def _count(*conds) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(*conds))


def test_hanoi_loads_126_units_with_types_and_lineage(app):
    dry = unit_sync.load_official("01", dry_run=True)
    assert dry.counts["created"] == 1 + 126 and not dry.applied and _count() == 0
    report = unit_sync.load_official("01")
    assert report.applied
    current = db.session.scalars(sa.select(Unit).where(Unit.valid_to.is_(None), Unit.level == 3)).all()
    assert len(current) == 126
    kinds = sorted(u.kind for u in current)
    assert (kinds.count("ward"), kinds.count("commune")) == (51, 75)  # Hà Nội: 51 phường, 75 xã
    city = db.session.scalar(sa.select(Unit).where(Unit.code == "01"))
    assert city.kind == "city" and city.name == "Thành phố Hà Nội"
    assert {u.parent_id for u in current} == {city.id} and {u.valid_from for u in current} == {date(2025, 7, 1)}
    names = {u.code: u.name for u in current}
    assert names["00004"] == "Phường Ba Đình" and names["00070"] == "Phường Hoàn Kiếm"
    # every new unit knows what it was formed from; the old units are history (ended 1 July 2025)
    linked = set(db.session.scalars(sa.select(UnitLineage.successor_id).distinct()))
    assert linked == {u.id for u in current}
    ba_dinh = next(u for u in current if u.code == "00004")
    preds = db.session.execute(sa.select(Unit.name, Unit.valid_to, UnitLineage.event)
                               .join(UnitLineage, UnitLineage.predecessor_id == Unit.id)
                               .where(UnitLineage.successor_id == ba_dinh.id)).all()
    by_name = {name: (end, event) for name, end, event in preds}
    assert by_name["Phường Trúc Bạch"] == (date(2025, 7, 1), "merger")
    assert by_name["Phường Quán Thánh"] == (date(2025, 7, 1), "merger")
    truc_bach = db.session.scalar(sa.select(Unit).where(Unit.name == "Phường Trúc Bạch"))
    assert (truc_bach.code, truc_bach.kind, truc_bach.parent.name) == ("00004", "ward", "Quận Ba Đình")
    assert truc_bach.parent.kind == "urban_district" and truc_bach.parent.parent_id == city.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "units.import_official")) == 1


def test_over_the_2017_list_old_units_end_and_stay_for_history(app):
    unit_sync.import_gso(gso_bytes(), "gso_hanoi_units_2017-10.xls", effective=date(2017, 10, 15))
    truc_bach = db.session.scalar(sa.select(Unit).where(Unit.code == "00004"))
    dry = unit_sync.load_official("01", dry_run=True)
    c = dry.counts
    # every 2017 district and commune either ends or hands its code to a new unit; none is deleted
    assert c["deactivated"] + c["successor"] == 30 + 584
    assert c["created"] + c["successor"] == 126
    assert not unit_sync.load_official("01").applied  # endings need the dry run's confirmation
    assert unit_sync.load_official("01", confirm=dry.token).applied
    assert _count() == 1 + 30 + 584 + 126 and _count(Unit.valid_to.is_(None)) == 1 + 126
    db.session.expire_all()
    old = db.session.get(Unit, truc_bach.id)
    assert old.name == "Phường Trúc Bạch" and old.valid_to == date(2025, 7, 1) and old.parent.code == "001"
    new = db.session.scalar(sa.select(Unit).where(Unit.code == "00004", Unit.valid_to.is_(None)))
    assert new.name == "Phường Ba Đình"
    # the lineage points at the 2017 records themselves (no second copy of the old wards)
    assert db.session.scalar(sa.select(UnitLineage.predecessor_id).where(
        UnitLineage.successor_id == new.id, UnitLineage.predecessor_id == old.id)) == old.id


def test_command_dry_run_prints_counts(app):
    result = app.test_cli_runner().invoke(args=["import-official-units", "--province", "01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "DRY RUN (nothing saved): created 127" in result.output and "lineage links 794" in result.output
    assert "vietnam-provinces 2025.10.1" in result.output
    assert _count() == 0
    bad = app.test_cli_runner().invoke(args=["import-official-units", "--province", "99"])
    assert bad.exit_code != 0 and "99" in bad.output


def test_official_page_dry_run_confirm_and_unit_page(client, factory):
    admin_client(client, factory)
    page = client.get("/admin/units/official").get_data(as_text=True)
    assert "01 – Thành phố Hà Nội" in page and "vietnam-provinces 2025.10.1" in page
    old = factory.unit("urban_district", code="001", name="Quận Ba Đình", parent=factory.unit("city", code="01",
                                                                                              name="Thành phố Hà Nội"))
    db.session.commit()
    r = client.submit("/admin/units/official", {"province": "01", "dry_run": "y"}, page="/admin/units/official")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Kết quả chạy thử (chưa lưu gì)" in html
    assert "Quận Ba Đình" in html and "không còn trong danh mục" in html  # the district ends: listed first
    assert 'data-testid="official-confirm"' in html and _count(Unit.level == 3) == 0
    token = html.split('name="confirm" value="')[1].split('"')[0]
    r = client.submit("/admin/units/official", {"province": "01", "confirm": token}, page="/admin/units/official")
    assert "Đã nhập xong" in r.get_data(as_text=True)
    [row_] = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "units.import_official")).all()
    assert row_.actor_id == db.session.scalar(sa.select(User.id).where(User.username == "chief"))
    assert row_.after["ended"] == ["001"]  # Quận Ba Đình, the only unit of the old tree here
    assert _count(Unit.level == 3, Unit.valid_to.is_(None)) == 126
    db.session.expire_all()
    assert db.session.get(Unit, old.id).valid_to == date(2025, 7, 1)
    ba_dinh = db.session.scalar(sa.select(Unit).where(Unit.code == "00004", Unit.valid_to.is_(None)))
    html = client.get(f"/admin/units/{ba_dinh.id}").get_data(as_text=True)
    assert "Phường Ba Đình" in html and "Hình thành từ các đơn vị cũ" in html
    assert "Phường Trúc Bạch" in html and "Quận Ba Đình" in html and "sáp nhập" in html
    tree = client.get("/admin/units").get_data(as_text=True)
    assert "Thành phố trực thuộc trung ương" in tree and "Phường Ba Đình" in tree


def test_gso_page_refuses_a_file_with_bad_rows_and_keeps_everything(client, factory):
    admin_client(client, factory)
    rows = [row("Quận Ba Đình", "001", "Phường Phúc Xá", "00001", "Phường"),
            row("Quận Ba Đình", "001", "Khu X", "00002", "Khu phố")]
    r = client.submit("/admin/units/import", {"kind": "gso", "file": (io.BytesIO(gso_file(rows)), "x.xlsx")},
                      content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert "Không nhập: có dòng bị từ chối" in html and "Khu phố" in html
    assert _count() == 0


def test_an_ended_units_code_can_be_given_again_but_not_to_two_current_units(app, factory):
    old = factory.unit("ward", code="00004", name="Phường Trúc Bạch", valid_to=date(2025, 7, 1))
    db.session.commit()
    new = units_svc.save_unit({"code": "00004", "name": "Phường Ba Đình", "kind": "ward"})
    assert new.id != old.id
    with pytest.raises(Conflict) as exc:
        units_svc.set_inactive(old.id, None)
    assert "Phường Ba Đình" in exc.value.message
    assert db.session.get(Unit, old.id).valid_to == date(2025, 7, 1)


def test_unit_form_offers_the_official_types_and_the_dashboard_counts_two_tiers(client, factory):
    admin_client(client, factory)
    unit_sync.load_official("01")
    form = client.get("/admin/units/new").get_data(as_text=True)
    for label in ("Thành phố trực thuộc trung ương", "Tỉnh", "Thành phố thuộc tỉnh", "Đặc khu", "Phường", "Xã"):
        assert f">{label}</option>" in form
    dashboard = client.get("/admin/").get_data(as_text=True)
    # no district-level unit, 126 commune-level units, said in words
    assert 'data-testid="units-current">126<' in dashboard and "0 cấp huyện · 126 cấp xã" in dashboard


def test_official_page_and_unit_page_in_english(client, factory):
    admin_client(client, factory)
    unit_sync.load_official("01")
    with client.c.session_transaction() as sess:
        sess["lang"] = "en"
    page = client.get("/admin/units/official").get_data(as_text=True)
    assert "Load the official list of administrative units (from 1 Jul 2025)" in page
    r = client.submit("/admin/units/official", {"province": "01", "dry_run": "y"}, page="/admin/units/official")
    assert "Unchanged: <b>127</b>" in r.get_data(as_text=True)  # the city and its 126 units, already loaded
    ba_dinh = db.session.scalar(sa.select(Unit).where(Unit.code == "00004", Unit.valid_to.is_(None)))
    html = client.get(f"/admin/units/{ba_dinh.id}").get_data(as_text=True)
    assert "Formed from these old units" in html and "merger" in html and "Ward" in html
    assert "Hình thành từ" not in html


def test_a_campaign_takes_the_unit_tree_of_its_own_period(app):
    unit_sync.import_gso(gso_file([row("Quận Ba Đình", "001", "Phường Trúc Bạch", "00004", "Phường"),
                                   row("Quận Ba Đình", "001", "Phường Quán Thánh", "00013", "Phường")]),
                         "hn-2017.xlsx", effective=date(2017, 10, 15))
    unit_sync.load_official("01", confirm=unit_sync.load_official("01", dry_run=True).token)

    def participants(start: date, end: date) -> list[str]:
        c = campaigns_svc.create_campaign({"name": f"Thi đua {end.year}", "kind": "regular",
                                           "template_code": "mass-mobilization-2018", "period_start": start,
                                           "period_end": end, "participants": {"levels": [3]}})
        return list(db.session.scalars(sa.select(Unit.name).join(CampaignUnit, CampaignUnit.unit_id == Unit.id)
                                       .where(CampaignUnit.campaign_id == c.id)))  # names repeat across districts

    # 2018: the old wards and communes (two from the file, the other 524 of the 526 that formed today's
    # units added as history by the official list), none of the 2025 units
    in_2018 = participants(date(2018, 1, 1), date(2018, 12, 31))
    assert len(in_2018) == 526 and {"Phường Trúc Bạch", "Phường Quán Thánh"} <= set(in_2018)
    assert "Phường Ba Đình" not in in_2018
    in_2026 = participants(date(2026, 1, 1), date(2026, 12, 31))
    assert len(in_2026) == 126 and "Phường Ba Đình" in in_2026 and "Phường Trúc Bạch" not in in_2026


def test_a_district_ended_by_the_reform_shows_where_its_wards_went(client, factory):
    """Cold walk: Quận Ba Đình's page listed no successor (the lineage links wards, not districts)."""
    admin_client(client, factory)
    unit_sync.import_gso(gso_bytes(), "gso_hanoi_units_2017-10.xls", effective=date(2017, 10, 15))
    unit_sync.load_official("01", confirm=unit_sync.load_official("01", dry_run=True).token)
    district = db.session.scalar(sa.select(Unit).where(Unit.code == "001", Unit.level == 2))
    html = client.get(f"/admin/units/{district.id}").get_data(as_text=True)
    section = html.split('data-testid="unit-children-successors"')[1].split("</section>")[0]
    assert "Các đơn vị trực thuộc nay thuộc về" in section and "01/07/2025" in section
    row = next(r for r in section.split("<tr>") if "(00004)" in r)  # the new Phường Ba Đình
    assert "Phường Ba Đình" in row and "Phường Trúc Bạch" in row and "Phường Quán Thánh" in row
    validity = html.split('data-testid="unit-validity">')[1].split("</dd>")[0]
    assert " ".join(validity.split()) == "từ 15/10/2017, ngừng hoạt động từ 01/07/2025"
    ward = db.session.scalar(sa.select(Unit).where(Unit.code == "00004", Unit.valid_to.is_not(None)))
    html = client.get(f"/admin/units/{ward.id}").get_data(as_text=True)  # a ward has its own successor
    assert 'data-testid="unit-successors"' in html and 'data-testid="unit-children-successors"' not in html
    client.post("/lang/en", data={"next": f"/admin/units/{district.id}"})
    html = client.get(f"/admin/units/{district.id}").get_data(as_text=True)
    assert "Where its units went" in html and "Formed from" in html and "ended on 1 Jul 2025" in html
