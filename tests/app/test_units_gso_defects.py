"""Regression tests for the GSO importer defects of issue 15, each from a small GSO-format file."""
from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Unit, UnitLineage
from campaign.services.errors import DomainError
from campaign.services.setup import unit_sync
from tests.admin_helpers import GSO_HEADER, admin_client, request_ctx  # noqa: F401
from tests.units_helpers import gso_file, row

pytestmark = pytest.mark.usefixtures("request_ctx")

HP = ("Thành phố Hải Phòng", "31")
QN = ("Tỉnh Quảng Ninh", "22")
HCM = ("Thành phố Hồ Chí Minh", "79")
HAI_PHONG = [
    row("Quận Hồng Bàng", "303", "Phường Quán Toan", "11296", "Phường", HP),
    row("Quận Hồng Bàng", "303", "Phường Hùng Vương", "11299", "Phường", HP),
    row("Huyện Cát Hải", "315", "Thị trấn Cát Bà", "11914", "Thị trấn", HP),
]


def _active(code: str) -> Unit | None:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code, Unit.valid_to.is_(None)))


def _apply(data: bytes, name: str, effective: date):
    """Dry run, then confirm with its token (as the admin page and the command do)."""
    dry = unit_sync.import_gso(data, name, dry_run=True, effective=effective)
    assert not dry.refused
    report = unit_sync.import_gso(data, name, effective=effective, confirm=dry.token or None)
    assert report.applied
    return report


def test_1_island_district_without_communes_is_created_and_never_deactivated(app):
    rows = HAI_PHONG + [row("Huyện Bạch Long Vĩ", "318", "", "", "Huyện", HP)]
    report = _apply(gso_file(rows), "hp.xlsx", date(2017, 10, 15))
    island = _active("318")
    assert island is not None and island.name == "Huyện Bạch Long Vĩ"
    assert island.kind == "rural_district" and island.parent.code == "31"
    assert [line.code for line in report.lines if line.action == "created"] == [
        "31", "303", "315", "318", "11296", "11299", "11914"]
    # importing the same list again reports it unchanged, not "no longer in the list"
    again = unit_sync.import_gso(gso_file(rows), "hp.xlsx", effective=date(2018, 1, 1))
    assert again.applied and again.counts["deactivated"] == 0
    assert {line.code: line.action for line in again.lines}["318"] == "unchanged"


def test_2_a_file_with_refused_rows_deactivates_nothing(app):
    _apply(gso_file(HAI_PHONG), "hp.xlsx", date(2017, 10, 15))
    broken = [HAI_PHONG[0],                                              # 11299 and 11914 are missing
              row("Huyện Cát Hải", "315", "Đặc khu Cát Hải", "11915", "Khu", HP),   # unknown level
              row("Quận Hồng Bàng", "303", "Phường Quán Toan 2", "11296", "Phường", HP)]  # duplicated code
    report = unit_sync.import_gso(gso_file(broken), "hp-broken.xlsx", effective=date(2020, 1, 1))
    assert report.refused and not report.applied and not report.needs_confirmation
    refused = {line.row: line.reason for line in report.lines if line.action == "skipped"}
    assert set(refused) == {3, 4}
    assert "Khu" in refused[3] and "lặp" in refused[4]
    # even with a token from an earlier clean run nothing changes
    report = unit_sync.import_gso(gso_file(broken), "hp-broken.xlsx", effective=date(2020, 1, 1),
                                  confirm=report.token)
    assert not report.applied
    assert _active("11299") is not None and _active("11914") is not None


def test_2b_deactivation_needs_the_dry_runs_token(app):
    _apply(gso_file(HAI_PHONG), "hp.xlsx", date(2017, 10, 15))
    shorter = gso_file(HAI_PHONG[:2])
    dry = unit_sync.import_gso(shorter, "hp2.xlsx", dry_run=True, effective=date(2020, 1, 1))
    assert [(line.code, line.action) for line in dry.lines if line.action == "deactivated"] == [
        ("315", "deactivated"), ("11914", "deactivated")]
    assert not unit_sync.import_gso(shorter, "hp2.xlsx", effective=date(2020, 1, 1)).applied
    assert not unit_sync.import_gso(shorter, "hp2.xlsx", effective=date(2020, 1, 1), confirm="0" * 16).applied
    assert _active("11914") is not None
    assert unit_sync.import_gso(shorter, "hp2.xlsx", effective=date(2020, 1, 1), confirm=dry.token).applied
    assert _active("11914") is None
    ended = db.session.scalar(sa.select(Unit).where(Unit.code == "11914"))
    assert ended.valid_to == date(2020, 1, 1)  # kept for history, never deleted


def test_3_official_types_are_kept_and_shown_by_name(app):
    rows = [row("Thành phố Hạ Long", "193", "Phường Hà Khánh", "06656", "Phường", QN),
            row("Thành phố Cẩm Phả", "195", "Phường Mông Dương", "06760", "Phường", QN),
            row("Thị xã Quảng Yên", "205", "Phường Quảng Yên", "07069", "Phường", QN),
            row("Huyện Vân Đồn", "203", "Đặc khu Vân Đồn", "06970", "Đặc khu", QN)]
    report = _apply(gso_file(rows), "qn.xlsx", date(2017, 10, 15))
    assert (_active("22").kind, _active("193").kind, _active("205").kind) == ("province", "provincial_city", "town")
    assert _active("06970").kind == "special_zone"
    reasons = {line.code: line.reason for line in report.lines}
    assert reasons["22"] == "Tỉnh"
    assert reasons["193"] == reasons["195"] == "Thành phố thuộc tỉnh"
    assert reasons["205"] == "Thị xã" and reasons["06970"] == "Đặc khu"


def test_4_a_reused_code_is_a_lineage_event_to_confirm_not_a_rename(app):
    old = [row("Quận 2", "769", "Phường Thảo Điền", "27094", "Phường", HCM)]
    _apply(gso_file(old), "hcm-2017.xlsx", date(2017, 10, 15))
    quan2 = _active("769")
    new = [row("Thành phố Thủ Đức", "769", "Phường Thảo Điền", "27094", "Phường", HCM)]
    dry = unit_sync.import_gso(gso_file(new), "hcm-2023.xlsx", dry_run=True, effective=date(2021, 1, 1))
    [line] = [line for line in dry.lines if line.code == "769"]
    assert line.action == "successor" and "Quận 2" in line.reason and "Thành phố Thủ Đức" in line.reason
    assert dry.needs_confirmation
    assert not unit_sync.import_gso(gso_file(new), "hcm-2023.xlsx", effective=date(2021, 1, 1)).applied
    assert _active("769").name == "Quận 2"
    unit_sync.import_gso(gso_file(new), "hcm-2023.xlsx", effective=date(2021, 1, 1), confirm=dry.token)
    db.session.expire_all()
    quan2 = db.session.get(Unit, quan2.id)
    thu_duc = _active("769")
    assert quan2.name == "Quận 2" and quan2.kind == "urban_district" and quan2.valid_to == date(2021, 1, 1)
    assert thu_duc.id != quan2.id and thu_duc.kind == "provincial_city"
    link = db.session.scalar(sa.select(UnitLineage).where(UnitLineage.successor_id == thu_duc.id))
    assert link.predecessor_id == quan2.id
    # the ward stays one unit, now under Thủ Đức
    assert _active("27094").parent_id == thu_duc.id


def test_5_header_below_a_title_on_a_later_sheet_without_english_names(app):
    header = [c for c in GSO_HEADER if c != "Tên Tiếng Anh"]
    rows = [r[:-1] for r in HAI_PHONG]
    data = gso_file(rows, header, above=[["DANH MỤC ĐƠN VỊ HÀNH CHÍNH"], [], ["Ngày xuất: 15/10/2017"]],
                    first_sheet=[["Tệp xuất từ danh mục hành chính của Tổng cục Thống kê"]])
    report = _apply(data, "hp-title.xlsx", date(2017, 10, 15))
    assert report.counts["created"] == 1 + 2 + 3
    assert {line.code: line.row for line in report.lines}["11296"] == 5  # rows counted as in the sheet


def test_5b_a_file_without_the_header_says_where_it_must_be(app):
    with pytest.raises(DomainError) as exc:
        unit_sync.import_gso(gso_file(HAI_PHONG, ["Tỉnh", "Mã", "Huyện", "Mã", "Xã", "Mã", "Cấp", "Tên"]), "x.xlsx")
    assert "30 dòng đầu" in exc.value.message and "Mã PX" in exc.value.message


def test_two_tier_list_without_district_columns(app):
    header = ["Tỉnh Thành Phố", "Mã TP", "Phường Xã", "Mã PX", "Cấp"]
    rows = [["Thành phố Hà Nội", "01", "Phường Ba Đình", "00004", "Phường"],
            ["Thành phố Hà Nội", "01", "Xã Minh Châu", "09619", "Xã"]]
    _apply(gso_file(rows, header), "hn-2025.xlsx", date(2025, 7, 1))
    assert _active("00004").parent.code == "01" and _active("09619").kind == "commune"


def test_import_page_lists_endings_then_applies_them_only_with_the_confirmation(client, factory):
    admin_client(client, factory)
    _apply(gso_file(HAI_PHONG), "hp.xlsx", date(2017, 10, 15))

    def post(extra):
        data = {"kind": "gso", "effective": "2020-01-01", "file": (io.BytesIO(gso_file(HAI_PHONG[:2])), "hp2.xlsx"),
                **extra}
        return client.submit("/admin/units/import", data, content_type="multipart/form-data").get_data(as_text=True)

    html = post({"dry_run": "y"})
    assert "Kết quả chạy thử (chưa lưu gì)" in html and 'data-testid="import-confirm"' in html
    assert "Huyện Cát Hải" in html and "Thị trấn Cát Bà" in html and "ngừng hoạt động từ 01/01/2020" in html
    token = html.split('name="confirm" value="')[1].split('"')[0]
    assert "Chưa lưu: cần xác nhận" in post({}) and _active("11914") is not None
    assert "Đã nhập xong" in post({"confirm": token})
    assert _active("11914") is None and _active("11296") is not None
