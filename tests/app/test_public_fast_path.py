"""The cached board's request path takes shortcuts (issue 18); each must give what the general path gives.

* "Accept-Encoding" without quality values is read without werkzeug's parser: same answer as the parser.
* The page's language comes from the app's locale selector, not flask_babel.get_locale(): same language.
* The cached page's headers are set directly: the same headers as a response built the general way.
"""
from __future__ import annotations

import gzip

import pytest
from flask import Response

from tests.public_helpers import publish

HEADERS = ["gzip", "gzip, deflate, br", "deflate, gzip", "br,gzip", " gzip ", "GZIP", "x-gzip", "x-gzip, *",
           "gzip;q=0", "gzip;q=0, identity", "gzip; q=0.5", "*", "*;q=0, gzip", "identity", "", "deflate",
           "gzip, deflate;q=0", "gzip;q=0, *", "gzipped", "br, gzip;q=0.0"]


@pytest.mark.parametrize("header", HEADERS)
def test_gzip_check_agrees_with_werkzeugs_parser(app, header):
    from campaign.public import http

    with app.test_request_context("/leaderboard", headers={"Accept-Encoding": header} if header else {}):
        from flask import request

        general = "gzip" in header and request.accept_encodings.quality("gzip") > 0  # the check before issue 18
        assert http.accepts_gzip() is general


@pytest.fixture
def board(factory):
    a, b = factory.unit(code="001", name="Quận Ba Đình"), factory.unit(code="002", name="Quận Hoàn Kiếm")
    camp = factory.campaign(units=[a, b], slug="fast", name="Thi đua", settings={"bands": []})
    publish(camp, [(a, 80, 1, {"I": 80}), (b, 70, 2, {"I": 70})])
    return camp


def test_language_is_the_one_flask_babel_selects(client, board, app):
    from flask_babel import get_locale, refresh

    from campaign.public import views

    assert "Bảng xếp hạng" in client.get("/leaderboard").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/leaderboard"})
    english = client.get("/leaderboard").get_data(as_text=True)
    assert "<html lang=\"en\">" in english and "Leaderboard" in english
    from flask import session

    for chosen in (None, "en", "vi", "fr"):
        with app.test_request_context("/leaderboard"):
            if chosen:
                session["lang"] = chosen
            mine = views._locale()
            refresh()  # get_locale() caches on the app context, which the tests' requests share
            assert mine == str(get_locale()) == ("en" if chosen == "en" else "vi")


def test_cached_page_headers_equal_a_general_response(client, board, app):
    plain = client.get("/leaderboard")
    packed = client.get("/leaderboard", headers={"Accept-Encoding": "gzip, deflate, br"})
    with app.test_request_context("/"):
        general = Response(b"x", mimetype="text/html")
        general.vary.add("Accept-Encoding")
        general.vary.add("Cookie")
    for resp in (plain, packed):
        assert resp.headers["Content-Type"] == general.headers["Content-Type"] == "text/html; charset=utf-8"
        assert resp.headers["Vary"] == general.headers["Vary"] == "Accept-Encoding, Cookie"
        assert int(resp.headers["Content-Length"]) == len(resp.get_data())
    assert packed.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert "Set-Cookie" not in plain.headers  # an anonymous visitor gets no session


@pytest.fixture
def hanoi(factory):
    from tests.big_board_helpers import big_board, official_units

    units = official_units(["01"])
    camp, run = big_board(factory, units, slug="hn126")
    return {"camp": camp, "run": run, "units": units, "codes": [u.code for u in units]}


URLS = ["/leaderboard?campaign=hn126", "/leaderboard?campaign=hn126&page=2", "/leaderboard?page=3&campaign=hn126",
        "/leaderboard?campaign=hn126&page=999", "/leaderboard?campaign=hn126&page=x", "/leaderboard",
        "/leaderboard?campaign=hn126&level=district", "/leaderboard?campaign=hn126&level=commune&cluster=nope",
        "/leaderboard?campaign=hn126&q=ba+dinh"]


def test_a_resolved_query_string_serves_what_the_general_path_serves(client, hanoi, monkeypatch):
    """The second visit of a URL skips resolving it (campaign, level, cluster, page): same bytes as resolving."""
    from campaign.public import pages, views

    first = {url: client.get(url).get_data() for url in URLS}
    calls = []
    real = pages.get_board_page
    monkeypatch.setattr(pages, "get_board_page", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = {url: client.get(url).get_data() for url in URLS}
    assert again == first
    assert len(calls) == 1  # only the search went the general way; every other URL was a resolved route
    views._routes.clear()
    views._bodies.clear()
    assert {url: client.get(url).get_data() for url in URLS} == first  # the general path, from scratch


def test_a_resolved_route_is_dropped_by_a_publication_and_by_an_expired_payload(client, hanoi, monkeypatch):
    from campaign.public import views
    from campaign.services.results import leaderboard_cache as cache
    from tests.public_helpers import publish, rows_of

    url = "/leaderboard?campaign=hn126&page=2"
    codes = hanoi["codes"]
    assert [r["code"] for r in rows_of(client.get(url).get_data(as_text=True))] == codes[50:100]
    assert (b"campaign=hn126&page=2", "vi") in views._routes
    publish(hanoi["camp"], [(u, 37.5 + 0.5 * i, 126 - i, {"I": 10}) for i, u in enumerate(hanoi["units"])],
            level=3, previous=hanoi["run"])
    assert [r["code"] for r in rows_of(client.get(url).get_data(as_text=True))] == codes[::-1][50:100]
    # a payload past LOCAL_MAX_AGE in this process is not served from the route: the general path re-reads it
    route = views._routes[(b"campaign=hn126&page=2", "vi")]
    monkeypatch.setattr(cache, "LOCAL_MAX_AGE", -1.0)  # every local copy is now too old
    assert cache.peek(route[1], route[2]) is None
    assert [r["code"] for r in rows_of(client.get(url).get_data(as_text=True))] == codes[::-1][50:100]
    assert views._routes[(b"campaign=hn126&page=2", "vi")][3] is not route[3]  # a new payload object, re-read


def test_a_route_serves_the_payload_the_process_holds_now_not_the_one_it_resolved(client, hanoi):
    """Two URLs of one page: when one re-reads the page from Redis (evicted from this process's layer; it
    may have changed there), the other's route serves the re-read page too, not the copy it resolved."""
    import json

    from campaign.redis_client import get_redis
    from campaign.services.results import leaderboard_cache as cache

    a, b = "/leaderboard?campaign=hn126", "/leaderboard?campaign=hn126&page=1"
    assert client.get(a).status_code == client.get(b).status_code == 200  # one payload (page 1), two routes
    r = get_redis()
    [key] = [k for k in r.keys("thidua:lb:p:*html:board:commune::vi") if not k.endswith(b":lock")]
    stored = json.loads(r.get(key))
    stored["content"] += "<!--re-read-->"
    r.set(key, json.dumps(stored, ensure_ascii=False))
    with cache._local.lock:
        cache._local.items.pop(key.decode())  # evicted (LRU) from this process's layer
    assert b"<!--re-read-->" in client.get(b).get_data()
    assert b"<!--re-read-->" in client.get(a).get_data()


def test_a_cached_page_has_an_etag_and_a_revalidation_gets_304_until_a_publication(client, hanoi):
    from tests.public_helpers import publish

    url = "/leaderboard?campaign=hn126&page=2"
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers["Cache-Control"] == "no-cache" and plain.headers["ETag"] != packed.headers["ETag"]
    for resp, enc in ((plain, "identity"), (packed, "gzip")):
        again = client.get(url, headers={"If-None-Match": resp.headers["ETag"], "Accept-Encoding": enc})
        assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == resp.headers["ETag"]
        assert "Accept-Encoding" in again.headers["Vary"]
    # another page, another representation, or an unknown tag: the full page
    assert client.get("/leaderboard?campaign=hn126&page=3", headers={"If-None-Match": plain.headers["ETag"]}).status_code == 200
    assert client.get(url, headers={"If-None-Match": packed.headers["ETag"]}).status_code == 200
    assert client.get(url, headers={"If-None-Match": '"nope"'}).get_data() == plain.get_data()
    publish(hanoi["camp"], [(u, 37.5 + 0.5 * i, 126 - i, {"I": 10}) for i, u in enumerate(hanoi["units"])],
            level=3, previous=hanoi["run"])
    fresh = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.get_data() != plain.get_data() and fresh.headers["ETag"] != plain.headers["ETag"]
