"""Excel round trip: protected pre-filled template, cell-by-cell import report, malformed sheets."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from campaign.extensions import db
from tests.conftest import Client
from tests.unit_helpers import World, open_entry, save, submit


@pytest.fixture
def world(factory):
    return World(factory)


def _values(entry_id):
    from tests.app.test_unit_entry import _values as v

    db.session.expire_all()
    return v(entry_id)


def _download(client, entry_id):
    resp = client.get(f"/unit/entries/{entry_id}/xlsx")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    return load_workbook(io.BytesIO(resp.data))


def _row_of(ws, code):
    for row in ws.iter_rows(min_row=2):
        if row[2].value == code:
            return row
    raise KeyError(code)


def _upload(client, url, wb, page):
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return client.submit(url, {"workbook": (buf, "gia-tri.xlsx")}, page=page, content_type="multipart/form-data")


def test_template_is_prefilled_protected_and_has_validation_lists(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    save(client, entry_id, {"A.2": "1.234,5", "A.5": "yes"})
    wb = _download(client, entry_id)
    ws = wb["Giá trị"]
    assert [c.value for c in ws[1]][:7] == ["Mã đơn vị", "Tên đơn vị", "Mã chỉ tiêu", "Tên chỉ tiêu", "Loại giá trị",
                                             "Điểm tối đa", "Giá trị"]
    assert [r[2].value for r in ws.iter_rows(min_row=2)] == ["A.1", "A.2", "A.3", "A.4", "A.5", "B.1", "B.2"]
    assert _row_of(ws, "A.2")[6].value == "1.234,5" and _row_of(ws, "A.5")[6].value == "Có"
    assert _row_of(ws, "A.1")[5].value == 20
    assert ws.protection.sheet is True
    assert _row_of(ws, "A.2")[6].protection.locked is False and _row_of(ws, "A.2")[2].protection.locked is True
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"Có,Không"' in formulas and '"good,fair"' in formulas


def test_round_trip_reports_each_cell_and_saves_accepted_ones(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    wb = _download(client, entry_id)
    ws = wb["Giá trị"]
    _row_of(ws, "A.1")[6].value = 67.5          # a number cell
    _row_of(ws, "A.2")[6].value = "1.234"       # ambiguous → refused
    _row_of(ws, "A.3")[6].value = "3"
    _row_of(ws, "A.4")[6].value = "1.234"       # a count typed with a thousands group → 1234
    _row_of(ws, "A.5")[6].value = "Không"       # Vietnamese yes/no
    _row_of(ws, "B.1")[6].value = "Khá"         # a choice by its label
    _row_of(ws, "B.2")[7].value = "x"           # NA where not allowed → refused
    resp = _upload(client, f"/unit/entries/{entry_id}/xlsx", wb, f"/unit/entries/{entry_id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Nhận 5 ô, từ chối 2 ô" in html
    assert "không rõ nghĩa" in html and "không được đánh dấu" in html
    vals = _values(entry_id)
    assert vals["A.1"].value_num == 67.5 and vals["A.1"].points == 10
    assert vals["A.5"].raw == "no" and vals["A.5"].points == 0
    assert (vals["A.4"].raw, vals["A.4"].value_num) == ("1234", 1234.0)
    assert vals["B.1"].raw == "fair" and vals["B.1"].points == 12
    assert "A.2" not in vals and "B.2" not in vals
    # downloading again shows the imported values: the round trip is closed
    ws2 = _download(client, entry_id)["Giá trị"]
    assert _row_of(ws2, "A.1")[6].value == "67.5" and _row_of(ws2, "B.1")[6].value == "fair"


def test_number_cell_with_three_decimals_is_not_misread(client, world):
    """A numeric cell 1.234 (a real number) must not hit the '1.234' text ambiguity."""
    client.login("canbo")
    entry_id = open_entry(client, world)
    wb = _download(client, entry_id)
    _row_of(wb["Giá trị"], "A.2")[6].value = 1.234
    _upload(client, f"/unit/entries/{entry_id}/xlsx", wb, f"/unit/entries/{entry_id}")
    assert _values(entry_id)["A.2"].value_num == 1.234


def test_cross_field_check_applies_to_imported_cells(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    wb = _download(client, entry_id)
    _row_of(wb["Giá trị"], "A.3")[6].value = 9
    _row_of(wb["Giá trị"], "A.4")[6].value = 2
    html = _upload(client, f"/unit/entries/{entry_id}/xlsx", wb, f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "không thể vượt tổng số hộ nghèo" in html
    assert "A.3" not in _values(entry_id)


@pytest.mark.parametrize("breakage", ["header", "sheet", "unknown_code", "duplicate", "not_xlsx"])
def test_malformed_sheet_saves_nothing(client, world, breakage):
    client.login("canbo")
    entry_id = open_entry(client, world)
    wb = _download(client, entry_id)
    ws = wb["Giá trị"]
    _row_of(ws, "A.4")[6].value = 5  # a valid cell that must NOT be saved
    if breakage == "header":
        ws.protection.sheet = False
        ws["G1"] = "Value"
    elif breakage == "sheet":
        ws.title = "Sheet1"
    elif breakage == "unknown_code":
        _row_of(ws, "B.2")[2].value = "Z.9"
    elif breakage == "duplicate":
        ws.append(["W001", "", "A.4", "", "", 10, "6", "", ""])
    if breakage == "not_xlsx":
        resp = client.submit(f"/unit/entries/{entry_id}/xlsx",
                             {"workbook": (io.BytesIO(b"%PDF-1.4 not a workbook"), "gia-tri.xlsx")},
                             page=f"/unit/entries/{entry_id}", content_type="multipart/form-data")
    else:
        resp = _upload(client, f"/unit/entries/{entry_id}/xlsx", wb, f"/unit/entries/{entry_id}")
    assert resp.status_code == 400
    assert "không có giá trị nào được lưu" in resp.get_data(as_text=True).lower()
    assert _values(entry_id) == {}


def test_officer_rows_of_other_units_are_refused(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    wb = _download(client, entry_id)
    ws = wb["Giá trị"]
    ws.append(["W002", "", "A.3", "", "", 10, "4", "", ""])
    html = _upload(client, f"/unit/entries/{entry_id}/xlsx", wb, f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert "bạn chỉ nhập được cho đơn vị mình" in html


def _campaign_template(admin, world):
    resp = admin.get(f"/admin/reporting/{world.campaign.id}/template.xlsx")
    assert resp.status_code == 200
    return load_workbook(io.BytesIO(resp.data))


def _by(ws, unit, code):
    for row in ws.iter_rows(min_row=2):
        if row[0].value == unit and row[2].value == code:
            return row
    raise KeyError((unit, code))


def test_admin_imports_many_units_from_one_sheet(app, client, world):
    # W001 has already submitted: its rows are refused, W002 is imported (entry created)
    client.login("canbo")
    e1 = open_entry(client, world)
    from tests.unit_helpers import GOOD

    submit(client, e1, GOOD, explanations={"A.1": "chờ"})
    admin = Client(app.test_client())
    admin.login("hoidong")
    wb = _campaign_template(admin, world)
    ws = wb["Giá trị"]
    assert {r[0].value for r in ws.iter_rows(min_row=2)} == {"W001", "W002"}
    _by(ws, "W002", "A.2")[6].value = "2.500,75"
    _by(ws, "W002", "A.1")[6].value = "120"
    _by(ws, "W001", "A.2")[6].value = "1"
    ws.append(["XXX", "", "A.2", "", "", 10, "5", "", ""])
    resp = _upload(admin, f"/admin/reporting/{world.campaign.id}/import", wb, f"/admin/reporting/{world.campaign.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Nhận 1 ô, từ chối 3 ô" in html
    assert "Hồ sơ đã nộp và đang khóa" in html and "Tỷ lệ phải từ 0 đến 100%" in html and "Không có đơn vị mã" in html
    import sqlalchemy as sa

    from campaign.models import Entry

    e2 = db.session.scalar(sa.select(Entry.id).where(Entry.unit_id == world.other.id))
    assert _values(e2)["A.2"].value_num == 2500.75
    assert _values(e1)["A.2"].raw == "1.234,5"


def test_officer_cannot_use_admin_import(client, world):
    client.login("canbo")
    assert client.get(f"/admin/reporting/{world.campaign.id}/template.xlsx").status_code == 403


def test_flask_import_values_command(app, client, world, tmp_path):
    admin = Client(app.test_client())
    admin.login("hoidong")
    wb = _campaign_template(admin, world)
    _by(wb["Giá trị"], "W001", "A.3")[6].value = 4
    _by(wb["Giá trị"], "W002", "A.3")[6].value = "abc"
    path = tmp_path / "import.xlsx"
    wb.save(path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-values", world.campaign.slug, str(path), "--as-user", "hoidong"])
    assert result.exit_code == 0, result.output
    assert "accepted=1 refused=1" in result.output
    assert "W002\tA.3\trefused" in result.output
    import sqlalchemy as sa

    from campaign.models import Entry

    e1 = db.session.scalar(sa.select(Entry.id).where(Entry.unit_id == world.commune.id))
    assert _values(e1)["A.3"].points == 4
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nope")
    result = runner.invoke(args=["import-values", world.campaign.slug, str(bad)])
    assert result.exit_code == 2 and "REFUSED" in result.output


def test_admin_import_reads_a_reused_code_as_the_campaigns_own_unit(app, client, world, factory):
    """GSO reuses codes: an ended unit holding W002 must not take the participant's row."""
    from datetime import date

    import sqlalchemy as sa

    from campaign.models import Entry

    factory.unit("ward", code="W002", name="Phường đã giải thể", valid_to=date(2025, 6, 30))
    db.session.commit()
    admin = Client(app.test_client())
    admin.login("hoidong")
    wb = _campaign_template(admin, world)
    _by(wb["Giá trị"], "W002", "A.2")[6].value = "42"
    resp = _upload(admin, f"/admin/reporting/{world.campaign.id}/import", wb, f"/admin/reporting/{world.campaign.id}")
    assert "Nhận 1 ô" in resp.get_data(as_text=True)
    e2 = db.session.scalar(sa.select(Entry.id).where(Entry.unit_id == world.other.id))
    assert _values(e2)["A.2"].value_num == 42
