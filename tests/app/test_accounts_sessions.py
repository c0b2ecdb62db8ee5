"""Sessions end server-side: logout, password change, deactivation and "log out everywhere"
make a copied session cookie worthless; login costs the same for unknown and known names."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, User
from campaign.services.accounts import passwords
from tests.accounts_helpers import copy_session, is_login_page
from tests.conftest import Client
from tests.factories import PASSWORD


def _officer(factory, username="canbo-a"):
    unit = factory.unit("ward", name="Phường Trúc Bạch")
    user = factory.user("officer", unit=unit, username=username)
    db.session.commit()
    return user


def test_logout_ends_a_copied_session(app, client, factory):
    _officer(factory)
    client.login("canbo-a")
    thief = copy_session(app, client)
    assert thief.get("/account").status_code == 200  # the copy works while the session is alive
    client.submit("/logout", {}, page="/account")
    assert is_login_page(thief.get("/account"))
    assert is_login_page(client.get("/account"))


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, factory):
    _officer(factory)
    client.login("canbo-a")
    other = copy_session(app, client)
    resp = client.submit("/account/password", {"current": PASSWORD, "new": "mùa thu Hà Nội đẹp lắm",
                                               "confirm": "mùa thu Hà Nội đẹp lắm"}, page="/account")
    assert resp.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc." in page
    assert is_login_page(other.get("/account"))
    fresh = Client(app.test_client())
    assert fresh.login("canbo-a").status_code == 401  # the old password is gone
    assert fresh.login("canbo-a", "mùa thu Hà Nội đẹp lắm").status_code == 302


def test_wrong_current_password_and_weak_new_ones_are_refused_next_to_the_field(client, factory):
    _officer(factory)
    client.login("canbo-a")
    cases = [
        ({"current": "not-it-at-all", "new": "mùa thu Hà Nội đẹp lắm"}, "current", "Mật khẩu hiện tại không đúng."),
        ({"current": PASSWORD, "new": "ngan7"}, "new", "Mật khẩu cần ít nhất 8 ký tự."),
        ({"current": PASSWORD, "new": "password1"}, "new", "danh sách mật khẩu phổ biến"),
        ({"current": PASSWORD, "new": "qwertyuiop"}, "new", "danh sách mật khẩu phổ biến"),
        ({"current": PASSWORD, "new": "xcanbo-a2026"}, "new", "không được chứa tên đăng nhập"),
        ({"current": PASSWORD, "new": "matkhau123456"}, "new", "quá dễ đoán"),
    ]
    for data, field, message in cases:
        resp = client.submit("/account/password", {**data, "confirm": data["new"]}, page="/account")
        assert resp.status_code == 422, data
        html = resp.get_data(as_text=True)
        assert f'data-testid="error-{field}"' in html and message in html, data
    assert client.get("/account").status_code == 200  # still signed in: nothing changed
    user = db.session.scalar(sa.select(User).where(User.username == "canbo-a"))
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_deactivation_ends_the_users_sessions_at_once(app, client, factory):
    officer = _officer(factory)
    factory.user("admin", username="quantri")
    db.session.commit()
    client.login("canbo-a")
    admin = Client(app.test_client())
    admin.login("quantri")
    resp = admin.submit(f"/admin/users/{officer.id}/active", {"active": "0"}, page=f"/admin/users/{officer.id}")
    assert resp.status_code == 302
    assert "Đã khóa" in admin.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    assert is_login_page(client.get("/account"))
    assert Client(app.test_client()).login("canbo-a").status_code == 401
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "user.deactivate")) == "user.deactivate"
    admin.submit(f"/admin/users/{officer.id}/active", {"active": "1"}, page=f"/admin/users/{officer.id}")
    assert Client(app.test_client()).login("canbo-a").status_code == 302


def test_logout_everywhere_keeps_only_this_browser(app, client, factory):
    _officer(factory)
    client.login("canbo-a")
    laptop = Client(app.test_client())
    laptop.login("canbo-a")
    copy = copy_session(app, client)
    client.submit("/account/logout-everywhere", {}, page="/account")
    assert "Đã đăng xuất khỏi mọi thiết bị khác." in client.get("/account").get_data(as_text=True)
    assert is_login_page(laptop.get("/account"))
    assert is_login_page(copy.get("/account"))


def test_unknown_user_costs_one_hash_check_of_the_configured_method(app, client, factory, monkeypatch):
    """Timing parity without timing: both paths run exactly one check against a hash of the
    configured method (an unknown name is checked against a dummy hash)."""
    _officer(factory)
    seen: list[str] = []
    real = passwords.check_password_hash

    def counting(pwhash, password):
        seen.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    method = app.config["PASSWORD_HASH_METHOD"]
    unknown = client.login("no-such-person", "whatever-123")
    assert seen == [method]
    wrong = client.login("canbo-a", "wrong-password")
    assert seen == [method, method]
    for resp in (unknown, wrong):  # the same answer too
        assert resp.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in resp.get_data(as_text=True)


def test_account_page_in_english(client, factory):
    _officer(factory)
    client.login("canbo-a")
    client.post("/lang/en", data={"next": "/account"})
    html = client.get("/account").get_data(as_text=True)
    assert "My account" in html and "Change password" in html and "Log out of every other device" in html
    assert "Đổi mật khẩu" not in html
