"""What an officer typed survives an expired session, and nobody else can plant or grow it (issue 13, 1 and 2)."""
from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Client
from tests.unit_helpers import World, field_value, open_entry, payload

STASH = "thidua:unit-stash:*"


@pytest.fixture
def world(factory):
    return World(factory)


def _signature(html: str) -> str:
    return re.search(r'name="form_sig"[^>]*value="([^"]+)"', html).group(1)


def _stash_keys(app) -> list[bytes]:
    return sorted(app.extensions["redis"].scan_iter(STASH))


def test_officer_whose_session_expired_gets_typed_values_back_after_logging_in(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    form_page = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    # the session cookie expires while the officer types; the browser still posts the old form
    expired = Client(app.test_client())
    data = payload({"A.2": "4321", "B.2": "Mô hình “Phố xanh” của phường"}, lock=1)
    data.update(csrf_token="token-of-the-old-session", form_sig=_signature(form_page))
    resp = expired.post(f"/unit/entries/{entry_id}", data=data)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "chưa được lưu nhưng không bị mất" in page
    login_page = unescape(re.search(r'href="([^"]*)" data-testid="relogin-restore"', page).group(1))
    target = parse_qs(urlsplit(login_page).query)["next"][0]
    back = expired.post(login_page, data={"username": "canbo", "password": "password-123",
                                          "csrf_token": expired.csrf(login_page), "next": target})
    assert back.status_code == 302 and back.headers["Location"].endswith(target)
    html = expired.get(target).get_data(as_text=True)
    assert "Dữ liệu bạn đã nhập được khôi phục" in html
    assert field_value(html, "A.2") == "4321"
    assert field_value(html, "B.2") == "Mô hình “Phố xanh” của phường"
    # the stash is small and short-lived: one key, expiring within the hour
    keys = _stash_keys(app)
    assert len(keys) == 1 and 0 < app.extensions["redis"].ttl(keys[0]) <= 3600
    # another unit's officer cannot pick it up
    other = Client(app.test_client())
    other.login("canbo2")
    assert other.get(target).status_code == 404


def test_stale_form_of_a_logged_in_officer_reopens_with_the_data(client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    data = payload({"A.2": "777", "B.2": "Văn bản dài"}, lock=1)
    data.update(csrf_token="expired-token", form_sig=_signature(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)))
    resp = client.post(f"/unit/entries/{entry_id}", data=data)
    assert resp.status_code == 400
    restore = unescape(re.search(r'href="([^"]*restore=[^"]*)" data-testid="restore"', resp.get_data(as_text=True)).group(1))
    html = client.get(restore).get_data(as_text=True)
    assert 'data-testid="restored"' in html
    assert field_value(html, "A.2") == "777" and field_value(html, "B.2") == "Văn bản dài"
    # nothing was saved: the plain page shows the empty draft
    assert field_value(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True), "A.2") == ""


def test_anonymous_multipart_post_of_many_megabytes_stores_nothing_in_redis(app, client):
    """Finding 1: 24 fields of ~1.9 MB to a made-up entry id, no session, no token."""
    r = app.extensions["redis"]
    before_keys = sorted(r.scan_iter("*"))
    before_mem = r.info("memory")["used_memory"]
    blob = "x" * 1_900_000
    data = {f"v-I.{k}": blob for k in range(24)}
    data["codes"] = [f"I.{k}" for k in range(24)]
    resp = client.post("/unit/entries/999999", data=data, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "Đăng nhập lại" not in resp.get_data(as_text=True)
    assert _stash_keys(app) == [] and sorted(r.scan_iter("*")) == before_keys
    assert r.info("memory")["used_memory"] - before_mem < 1_000_000  # not the 90 MB of the finding


def test_a_forged_form_signature_stores_nothing(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    real = _signature(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True))
    anonymous = Client(app.test_client())
    for forged in ("x", real[:-3] + "abc", real.replace(".", "-", 1)):
        data = payload({"A.2": "31337"}, lock=1)
        data["form_sig"] = forged
        assert anonymous.post(f"/unit/entries/{entry_id}", data=data).status_code == 400
    # a signature for one entry does not open another entry's stash
    data = payload({"A.2": "31337"}, lock=1)
    data["form_sig"] = real
    assert anonymous.post(f"/unit/entries/{entry_id + 1}", data=data).status_code == 400
    assert _stash_keys(app) == []


def test_an_oversized_post_is_not_kept(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    data = payload({"B.2": "chữ " * 50_000}, lock=1)  # ~200 KB, over the 128 KB cap
    data.update(csrf_token="stale", form_sig=_signature(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)))
    resp = client.post(f"/unit/entries/{entry_id}", data=data)
    assert resp.status_code == 400 and 'data-testid="restore"' not in resp.get_data(as_text=True)
    assert _stash_keys(app) == []


def test_anonymous_planted_values_are_never_shown_to_the_officer(app, client, world):
    """Finding 2: an anonymous post of v-I.2=31337 and a forged explanation, then the officer logs in."""
    officer = Client(app.test_client())
    officer.login("canbo")
    entry_id = open_entry(officer, world)
    attacker = Client(app.test_client())
    data = payload({"A.2": "31337"}, explanations={"A.1": "Giả mạo: đã có minh chứng"}, lock=1)
    data.update({"codes": data["codes"] + ["I.2"], "v-I.2": "31337", "ex-I.2": "Giả mạo"})
    resp = attacker.post(f"/unit/entries/{entry_id}", data=data, content_type="multipart/form-data",
                         )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "relogin-restore" not in page and "restore=" not in page  # no link to hand to the officer
    assert _stash_keys(app) == []
    # whatever link the attacker makes up, the officer's form shows only what is saved
    for link in (f"/unit/entries/{entry_id}?restore=AAAAAAAAAAAAAAAAAAAAAA", f"/unit/entries/{entry_id}?restore="):
        back = officer.get(link).get_data(as_text=True)
        assert "31337" not in back and "Giả mạo" not in back
        assert 'data-testid="restored"' not in back
        assert field_value(back, "A.2") == ""


def test_files_in_an_expired_post_are_not_kept(app, client, world):
    client.login("canbo")
    entry_id = open_entry(client, world)
    data = payload({"A.2": "12"}, lock=1)
    data.update(csrf_token="stale", form_sig=_signature(client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)),
                **{"file-A.1": (io.BytesIO(b"%PDF-1.4 " + b"0" * 500_000), "bien-ban.pdf")})
    resp = client.post(f"/unit/entries/{entry_id}", data=data, content_type="multipart/form-data")
    assert resp.status_code == 400
    keys = _stash_keys(app)
    assert len(keys) == 1
    stored = app.extensions["redis"].get(keys[0])
    assert len(stored) < 10_000 and b"PDF" not in stored and b"12" in stored
