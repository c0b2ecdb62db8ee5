"""Login throttling (S6): per account and address, per address, per account over addresses.

Limits in TestingConfig: 5 per (account, address), 12 per address, 8 per account.
Inputs tried: wrong passwords from one address, many accounts from one address, one account
from many addresses, the right password while throttled, a forged "known device" cookie.
"""
from __future__ import annotations

from campaign.auth import ratelimit
from campaign.extensions import db
from campaign.models import AuditLog
from tests.conftest import Client


def _new_client(app) -> Client:
    return Client(app.test_client())


def test_one_address_stuffing_many_accounts_is_stopped(app, client, factory):
    factory.user("officer", username="real-officer")
    db.session.commit()
    for k in range(12):
        assert client.login(f"nobody{k}", "nope", ip="10.0.0.9").status_code == 401
    assert client.login("real-officer", ip="10.0.0.9").status_code == 429  # the address is throttled
    assert _new_client(app).login("real-officer", ip="10.0.0.10").status_code == 302  # others are not


def test_spread_guessing_locks_strangers_out_but_not_the_real_users_browser(app, factory):
    factory.user("officer", username="target")
    db.session.commit()
    own = _new_client(app)
    assert own.login("target", ip="192.168.1.20").status_code == 302  # the officer's usual browser
    assert own.c.get_cookie(ratelimit.DEVICE_COOKIE, path="/login") is not None
    own.submit("/logout", page="/login")
    for k in range(8):  # one failure each from 8 addresses: no per-address limit is reached
        assert _new_client(app).login("target", "guess", ip=f"203.0.113.{k}").status_code == 401
    assert _new_client(app).login("target", ip="203.0.113.99").status_code == 429  # right password, stranger
    assert own.login("target", ip="192.168.1.20").status_code == 302  # known device still gets in
    actions = [a.action for a in db.session.query(AuditLog).filter(AuditLog.object_id == "target")]
    assert actions.count("auth.login_failed") == 8 and "auth.login_throttled" in actions


def test_a_forged_or_foreign_device_cookie_does_not_exempt(app, factory):
    factory.user("officer", username="target")
    factory.user("officer", username="attacker")
    db.session.commit()
    attacker = _new_client(app)
    assert attacker.login("attacker", ip="198.51.100.1").status_code == 302  # cookie for "attacker"
    attacker.submit("/logout", page="/login")
    for k in range(8):
        _new_client(app).login("target", "guess", ip=f"203.0.113.{k}")
    assert attacker.login("target", ip="198.51.100.1").status_code == 429
    forged = _new_client(app)
    forged.c.set_cookie(ratelimit.DEVICE_COOKIE, "target", path="/login")
    assert forged.login("target", ip="198.51.100.2").status_code == 429
