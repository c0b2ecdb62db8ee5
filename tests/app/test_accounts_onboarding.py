"""Bulk onboarding: 584 communes' officers from one XLSX in one operation, dry run first, a
row-by-row report, all-or-nothing, invitations and a printable (formula-safe) list."""
from __future__ import annotations

import io
import re

import openpyxl
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Invitation, Unit, User
from tests.conftest import Client

N = 584  # the demo's commune-level units


def _communes(factory) -> list[Unit]:
    city = factory.unit("city", name="Thành phố Hà Nội", code="01")
    districts = [factory.unit("rural_district", parent=city, name=f"Huyện {d:02d}", code=f"{300 + d}") for d in range(8)]
    units = [Unit(code=f"{10000 + i:05d}", name=f"Xã Thử {i:03d}", kind="commune", level=3,
                  parent_id=districts[i % 8].id) for i in range(N)]
    db.session.add_all(units)
    factory.user("admin", username="quantri")
    db.session.commit()
    return units


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Họ và tên", "E-mail", "Số điện thoại", "Vai trò"])
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a name typed as "=…" is text in the officer's sheet
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, data: bytes, dry_run: bool, name: str = "can-bo.xlsx"):
    form = {"source": "file", "file": (io.BytesIO(data), name), "level": "3"}
    if dry_run:
        form["dry_run"] = "y"
    return client.submit("/admin/onboarding", form, content_type="multipart/form-data")


def _count(role="officer") -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == role))


def test_all_584_communes_from_one_xlsx_dry_run_then_real(app, client, factory):
    units = _communes(factory)
    # every other officer has an e-mail; one name starts with "=" (must stay text in the list)
    rows = [[u.code, f"Cán bộ {u.name}" if i else "=HYPERLINK(\"http://evil.example\",\"x\")",
             f"cb{u.code}@xa.example" if i % 2 == 0 else "", f"09{i:08d}", "cán bộ"] for i, u in enumerate(units)]
    data = _xlsx(rows)
    client.login("quantri")
    dry = _upload(client, data, dry_run=True)
    html = dry.get_data(as_text=True)
    assert dry.status_code == 200, re.findall(r'field-error">([^<]*)', html)[:5]
    assert "Kết quả chạy thử (chưa tạo tài khoản nào)" in html
    assert "Tạo mới: 584 · Bỏ qua: 0 · Lỗi: 0" in html
    assert _count() == 0  # a dry run writes nothing
    real = _upload(client, data, dry_run=False)
    html = real.get_data(as_text=True)
    assert "Tạo mới: 584 · Bỏ qua: 0 · Lỗi: 0" in html and "Đã tạo tài khoản" in html
    assert _count() == N
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == N
    # row 2 of the sheet is the first commune: username from its code, e-mail → invitation by e-mail
    assert re.search(r'data-testid="onboarding-row-2".*?cb-10000.*?gửi thư mời qua e-mail', html, re.S)
    assert re.search(r'data-testid="onboarding-row-3".*?cb-10001.*?in thư mời trên giấy', html, re.S)
    # the printable list: one row per officer, each with a working single-use link
    link = re.search(r'href="(/admin/onboarding/\d+/invitations\.xlsx)"', html).group(1)
    resp = client.get(link)
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    sheet = list(ws.iter_rows(values_only=True))
    assert sheet[0][:4] == ("Mã đơn vị", "Đơn vị", "Họ và tên", "Tên đăng nhập")
    assert len(sheet) == N + 1
    first = sheet[1]
    assert first[0] == "10000" and first[1] == "Xã Thử 000" and first[3] == "cb-10000"
    assert first[2] == "=HYPERLINK(\"http://evil.example\",\"x\")"  # text, not a formula
    assert ws.cell(row=2, column=3).data_type == "s"
    path = first[6].split("127.0.0.1:5000", 1)[1]
    assert path.startswith("/invite/")
    officer = Client(app.test_client())
    page = officer.get(path)
    assert page.status_code == 200 and "cb-10000" in page.get_data(as_text=True)
    resp = officer.submit(path, {"new": "lúa chín vàng đồng quê", "confirm": "lúa chín vàng đồng quê"})
    assert resp.status_code == 302
    assert "Đã đặt mật khẩu. Chào mừng bạn!" in officer.get("/account").get_data(as_text=True)
    # single use
    again = Client(app.test_client()).get(path)
    assert again.status_code == 404 and "không còn hiệu lực" in again.get_data(as_text=True)
    # a second run skips every unit: nothing duplicated
    rerun = _upload(client, data, dry_run=False)
    assert "Tạo mới: 0 · Bỏ qua: 584 · Lỗi: 0" in rerun.get_data(as_text=True)
    assert _count() == N


def test_a_bad_row_creates_nothing_and_says_which_row(app, client, factory):
    _communes(factory)
    data = _xlsx([["10000", "Nguyễn Văn A", "a@xa.example", "", "cán bộ"],
                  ["99999", "Trần Thị B", "", "", "cán bộ"],
                  ["10001", "Lê Văn C", "khong-phai-email", "", "cán bộ"],
                  ["10002", "Phạm D", "", "", "thư ký"],
                  ["", "Vũ Thị Giám Khảo", "gk@so.example", "", "giám khảo"]])
    client.login("quantri")
    resp = _upload(client, data, dry_run=False)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Chưa tạo tài khoản nào: hãy sửa các dòng lỗi rồi thử lại" in html
    assert "Tạo mới: 2 · Bỏ qua: 0 · Lỗi: 3" in html
    assert re.search(r'data-testid="onboarding-row-3".*?Không có đơn vị mã “99999”', html, re.S)
    assert re.search(r'data-testid="onboarding-row-4".*?Địa chỉ e-mail không hợp lệ', html, re.S)
    assert re.search(r'data-testid="onboarding-row-5".*?Vai trò “thư ký” không hợp lệ', html, re.S)
    assert re.search(r'data-testid="onboarding-row-6".*?gk-vu-thi-giam-khao', html, re.S)
    assert _count() == 0 and _count("judge") == 0


def test_onboarding_from_the_unit_tree_and_a_file_that_is_not_a_sheet(app, client, factory):
    units = _communes(factory)
    parent = units[0].parent_id
    client.login("quantri")
    resp = client.submit("/admin/onboarding", {"source": "tree", "parent_id": str(parent), "level": "3"},
                         content_type="multipart/form-data")
    assert "Tạo mới: 73 · Bỏ qua: 0 · Lỗi: 0" in resp.get_data(as_text=True)  # 584 / 8 = 73 per district
    assert _count() == 73
    bad = _upload(client, b"%PDF-1.4 not a sheet", dry_run=True, name="x.pdf")
    assert bad.status_code == 422
    assert "Định dạng tệp không được hỗ trợ" in bad.get_data(as_text=True)


def test_judges_join_a_campaigns_panel_in_the_same_operation_and_a_rerun_adds_none_twice(app, client, factory):
    from campaign.models import PanelMember

    _communes(factory)
    campaign = factory.campaign(slug="dan-van-kheo-2026", status="appraisal")
    db.session.commit()
    rows = [["", "Phạm Quốc Dũng", "dung@so.example", "", "giám khảo", "dan-van-kheo-2026"],
            ["", "Vũ Thị Lan", "lan@so.example", "", "giám khảo", "dan-van-kheo-2026"],
            ["", "Bùi Minh", "", "", "giám khảo", "khong-co"]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Họ và tên", "E-mail", "Số điện thoại", "Vai trò", "Phong trào"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    client.login("quantri")
    bad = _upload(client, buf.getvalue(), dry_run=False)
    assert bad.status_code == 422 and "Không có phong trào mã “khong-co”" in bad.get_data(as_text=True)
    ws.delete_rows(4)
    buf = io.BytesIO()
    wb.save(buf)
    ok = _upload(client, buf.getvalue(), dry_run=False)
    assert "Tạo mới: 2 · Bỏ qua: 0 · Lỗi: 0" in ok.get_data(as_text=True)
    panel = db.session.scalars(sa.select(PanelMember.judge_id).where(PanelMember.campaign_id == campaign.id)).all()
    judges = {e: i for e, i in db.session.execute(sa.select(User.email, User.id).where(User.role == "judge"))}
    assert sorted(panel) == sorted([judges["dung@so.example"], judges["lan@so.example"]])
    again = _upload(client, buf.getvalue(), dry_run=False)
    html = again.get_data(as_text=True)
    assert "Tạo mới: 0 · Bỏ qua: 2 · Lỗi: 0" in html and "Đã có giám khảo với e-mail này" in html
    assert _count("judge") == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PanelMember)) == 2
