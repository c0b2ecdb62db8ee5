"""The audit log answers "who changed what": a change shows only the fields that changed, named in the reader's
language (a campaign's settings, a cluster's members and head, a unit import's counts), units as "code – name",
never database ids or internal keys; the export holds what the page shows, times in the page's zone (Hà Nội)."""
from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import datetime

import openpyxl
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog
from campaign.services import audit
from campaign.services.setup import units as units_svc
from campaign.services.setup.campaigns import default_settings, update_campaign


def _items(html: str, testid: str, action_label: str) -> list[list[str]]:
    """The listed fields of one column ("audit-before"/"audit-after") of the rows of an action, as read."""
    out = []
    for row in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S):
        if action_label not in row:
            continue
        cell = re.search(rf'data-testid="{testid}">(.*?)</td>', row, re.S).group(1)
        out.append([html_lib.unescape(re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", cell, re.S)])
    return out


def _english(client, url: str) -> str:
    client.post("/lang/en", data={"next": url})
    return client.get(url).get_data(as_text=True)


def test_a_campaign_edit_shows_only_the_changed_settings_by_name(client, factory):
    admin = factory.user("admin", username="qt")
    camp = factory.campaign(name="Phong trào Sửa", name_en=None, settings=default_settings())
    db.session.commit()
    update_campaign(camp.id, {"settings": {"judges_per_entry": 4, "forbid_reciprocal": True}}, user_id=admin.id)
    client.login("qt")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert _items(html, "audit-before", "Sửa phong trào") == [
        ["Số giám khảo chấm mỗi bài: 3", "Cấm hai đơn vị cùng cụm chấm chéo lẫn nhau: không"]]
    assert _items(html, "audit-after", "Sửa phong trào") == [
        ["Số giám khảo chấm mỗi bài: 4", "Cấm hai đơn vị cùng cụm chấm chéo lẫn nhau: có"]]
    for code in ("name_en", "judges_per_entry", "trimmed_mean", "settings:", "mục khác"):
        assert code not in html, code
    en = _english(client, "/admin/audit")
    assert _items(en, "audit-after", "Edit campaign") == [
        ["Judges per entry: 4", "Forbid two units of one cluster from judging each other: yes"]]


def test_an_edit_that_changes_nothing_says_so(client, factory):
    admin = factory.user("admin", username="qt")
    camp = factory.campaign(settings=default_settings())
    db.session.commit()
    update_campaign(camp.id, {"settings": {"judges_per_entry": 3}}, user_id=admin.id)
    client.login("qt")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert _items(html, "audit-before", "Sửa phong trào") == [[]]
    assert _items(html, "audit-after", "Sửa phong trào") == [["Không có thay đổi"]]


def test_a_cluster_names_its_members_and_head_by_code_and_name(client, factory):
    admin = factory.user("admin", username="qt")
    ngoc_ha = factory.unit("ward", code="00617", name="Phường Ngọc Hà")
    quan_thanh = factory.unit("ward", code="00618", name="Phường Quán Thánh")
    db.session.commit()
    cluster = units_svc.save_cluster({"code": "CUM-BD", "name": "Cụm Ba Đình", "member_ids": [ngoc_ha.id],
                                      "head_unit_id": ngoc_ha.id}, user_id=admin.id)
    units_svc.save_cluster({"code": "CUM-BD", "name": "Cụm Ba Đình", "member_ids": [ngoc_ha.id, quan_thanh.id],
                            "head_unit_id": quan_thanh.id}, cluster_id=cluster.id, user_id=admin.id)
    client.login("qt")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert _items(html, "audit-after", "Tạo cụm thi đua") == [[
        "Mã: CUM-BD", "Tên: Cụm Ba Đình", "Loại: Cụm thi đua (theo địa bàn)", "Cụm trưởng: 00617 – Phường Ngọc Hà",
        "Đơn vị thành viên: 00617 – Phường Ngọc Hà"]]
    # the edit: only the head and the members changed
    before, after = _items(html, "audit-before", "Sửa cụm thi đua")[0], _items(html, "audit-after", "Sửa cụm thi đua")[0]
    assert before == ["Cụm trưởng: 00617 – Phường Ngọc Hà", "Đơn vị thành viên: 00617 – Phường Ngọc Hà"]
    assert after == ["Cụm trưởng: 00618 – Phường Quán Thánh",
                     "Đơn vị thành viên: 00617 – Phường Ngọc Hà, 00618 – Phường Quán Thánh"]
    cells = " ".join(re.findall(r'data-testid="audit-(?:before|after)">(.*?)</td>', html, re.S))
    assert "head_unit_id" not in cells and "members" not in cells and f": {ngoc_ha.id}<" not in cells


def test_a_unit_import_counts_in_words(client, factory):
    admin = factory.user("admin", username="qt")
    db.session.commit()
    units_svc.import_units_csv("code,name,name_en,kind,parent_code\nSO-NV,Sở Nội vụ,,agency,\n".encode(), user_id=admin.id)
    client.login("qt")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert _items(html, "audit-after", "Nhập danh mục đơn vị") == [[
        "Tạo mới: 1", "Cập nhật: 0", "Không đổi: 0", "Bỏ qua: 0", "Ngừng hoạt động: 0", "Chuyển mã cho đơn vị mới: 0"]]
    cells = " ".join(re.findall(r'data-testid="audit-(?:before|after)">(.*?)</td>', html, re.S))
    assert "counts" not in cells and "created" not in cells
    en = _english(client, "/admin/audit")
    assert _items(en, "audit-after", "Import the unit list")[0][:2] == ["Created: 1", "Updated: 0"]


def test_the_export_holds_what_the_page_shows_in_hanoi_time(client, factory):
    admin = factory.user("admin", username="qt")
    ngoc_ha = factory.unit("ward", code="00617", name="Phường Ngọc Hà")
    db.session.commit()
    audit.record("auth.login", "user", admin.id, actor=admin).at = datetime(2026, 12, 1, 8, 21, 5)  # UTC: 15:21 in Hà Nội
    units_svc.save_cluster({"code": "CUM-BD", "name": "Cụm Ba Đình", "member_ids": [ngoc_ha.id],
                            "head_unit_id": ngoc_ha.id}, user_id=admin.id)
    client.login("qt")
    raw = client.get("/admin/audit/export.csv?action=auth.login&user=qt").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert header[1:6] == ["Thời điểm (giờ Hà Nội, UTC+7)", "Người thực hiện", "Vai trò", "Hành động", "Đối tượng"]
    first = rows[-1]  # newest first: the login written above is the oldest
    assert first[1:6] == ["2026-12-01 15:21:05", "qt", "Quản trị", "Đăng nhập", "Người dùng qt"]
    page = client.get("/admin/audit?action=auth.login&user=qt").get_data(as_text=True)
    assert "01/12/2026 15:21" in page  # the same moment as the page shows it
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/admin/audit/export.xlsx?action=cluster.create").data)).active
    cells = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    cluster_id = db.session.scalar(sa.select(AuditLog.object_id).where(AuditLog.action == "cluster.create"))
    assert cells[4:6] == ["Tạo cụm thi đua", f"Cụm thi đua số {cluster_id}"]
    assert cells[9] == ("Mã: CUM-BD; Tên: Cụm Ba Đình; Loại: Cụm thi đua (theo địa bàn); Cụm trưởng: 00617 – Phường Ngọc Hà; "
                        "Đơn vị thành viên: 00617 – Phường Ngọc Hà")
    assert '"head_unit_id"' in cells[13]  # the recorded data stays, in the last columns, for machines
    client.post("/lang/en", data={"next": "/admin/audit"})
    raw = client.get("/admin/audit/export.csv?action=auth.login&user=qt").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert header[1] == "Time (Hanoi time, UTC+7)" and header[4] == "Action"
    assert rows[-1][4:6] == ["Log in", "User qt"]  # not "Users qt": the tab's name is plural
