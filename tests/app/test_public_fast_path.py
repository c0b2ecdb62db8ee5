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
    from campaign.public import views

    with app.test_request_context("/leaderboard", headers={"Accept-Encoding": header} if header else {}):
        from flask import request

        general = "gzip" in header and request.accept_encodings.quality("gzip") > 0  # the check before issue 18
        assert views._accepts_gzip() is general


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
