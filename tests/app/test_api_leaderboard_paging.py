"""The JSON board is paged like the HTML board (issue 18): ``page``, ``per_page`` (50 by default, at most
500), ``paging`` with the total and the links; bad parameters get a clear JSON error.

The board is Hà Nội's 126 commune-level units (official list); the i-th unit scores 100 - 0.5·i, so its
rank is i + 1: pages of 50 hold ranks 1–50, 51–100 and 101–126.
"""
from __future__ import annotations

import pytest

from campaign.redis_client import get_redis
from tests.big_board_helpers import big_board, official_units
from tests.public_helpers import publish

URL = "/api/v1/campaigns/hn126/leaderboard"


@pytest.fixture
def hanoi(factory):
    units = official_units(["01"])
    camp, run = big_board(factory, units, slug="hn126")
    return {"camp": camp, "run": run, "codes": [u.code for u in units], "units": units}


def test_first_page_holds_50_rows_and_links_the_others(client, hanoi):
    body = client.get(f"{URL}?level=commune").get_json()
    codes = hanoi["codes"]
    assert [r["unit_code"] for r in body["rows"]] == codes[:50]
    assert [r["rank"] for r in body["rows"]] == list(range(1, 51))
    assert body["rows"][49]["score"] == 75.5  # 100 - 0.5·49
    assert body["paging"] == {"page": 1, "per_page": 50, "pages": 3, "total": 126,
                              "first": f"{URL}?level=commune&page=1", "last": f"{URL}?level=commune&page=3",
                              "previous": None, "next": f"{URL}?level=commune&page=2"}
    # an old client's fields are all still there
    assert {"campaign", "snapshot_id", "kind", "published_at", "level", "cluster", "groups", "rows"} <= set(body)
    assert body["snapshot_id"] == hanoi["run"].id and body["level"] == "commune"


def test_following_next_gives_every_row_once_in_rank_order(client, hanoi):
    seen, url, pages = [], f"{URL}?level=commune", []
    while url:
        body = client.get(url).get_json()
        pages.append((body["paging"]["page"], len(body["rows"]), body["paging"]["previous"]))
        seen += [(r["unit_code"], r["rank"]) for r in body["rows"]]
        url = body["paging"]["next"]
    assert seen == [(code, i + 1) for i, code in enumerate(hanoi["codes"])]
    assert pages == [(1, 50, None), (2, 50, f"{URL}?level=commune&page=1"), (3, 26, f"{URL}?level=commune&page=2")]


def test_per_page_is_kept_in_the_links_and_capped(client, hanoi):
    body = client.get(f"{URL}?level=commune&per_page=40&page=4").get_json()
    assert [r["rank"] for r in body["rows"]] == list(range(121, 127))  # 40·3 + 1 … 126
    assert body["paging"] == {"page": 4, "per_page": 40, "pages": 4, "total": 126,
                              "first": f"{URL}?level=commune&page=1&per_page=40",
                              "last": f"{URL}?level=commune&page=4&per_page=40",
                              "previous": f"{URL}?level=commune&page=3&per_page=40", "next": None}
    whole = client.get(f"{URL}?level=commune&per_page=1000").get_json()
    assert whole["paging"]["per_page"] == 500 and whole["paging"]["pages"] == 1 and len(whole["rows"]) == 126
    assert client.get(f"{URL}?level=commune&per_page=1").get_json()["paging"]["pages"] == 126
    # odd page sizes stay in the worker: only the default size reaches the shared cache
    client.get(f"{URL}?level=commune&page=2")
    names = [k.decode() for k in get_redis().keys("thidua:lb:p:*api:board*")]
    assert names and all(name.endswith(":50") for name in names), names


@pytest.mark.parametrize("query, status, words", [
    ("page=0", 400, "page must be a whole number from 1"),
    ("page=-1", 400, "page must be"),
    ("page=abc", 400, "page must be"),
    ("page=1.5", 400, "page must be"),
    ("page=", 400, "page must be"),
    ("per_page=0", 400, "per_page must be a whole number from 1 to 500"),
    ("per_page=ten", 400, "per_page must be"),
    ("page=4", 404, "page 4 is past the last page"),
    ("page=99999999999999", 404, "past the last page"),
])
def test_bad_paging_gets_a_clear_json_error(client, hanoi, query, status, words):
    resp = client.get(f"{URL}?level=commune&{query}")
    assert resp.status_code == status and resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["error"] == ("bad_request" if status == 400 else "not_found") and words in body["message"]


def test_an_empty_level_has_one_empty_page(client, hanoi):
    body = client.get(f"{URL}?level=district").get_json()
    assert body["rows"] == [] and body["paging"]["total"] == 0 and body["paging"]["pages"] == 1
    assert client.get(f"{URL}?level=district&page=2").status_code == 404


def test_a_new_publication_pages_the_new_result_at_once(client, hanoi):
    assert client.get(f"{URL}?level=commune&page=2").get_json()["rows"][0]["unit_code"] == hanoi["codes"][50]
    units = hanoi["units"]
    publish(hanoi["camp"], [(u, 37.5 + 0.5 * i, 126 - i, {"I": 10}) for i, u in enumerate(units)],
            level=3, previous=hanoi["run"])
    body = client.get(f"{URL}?level=commune&page=2").get_json()
    assert [r["unit_code"] for r in body["rows"]] == hanoi["codes"][::-1][50:100]
    assert body["rows"][0]["rank"] == 51 and body["rows"][0]["change"] == 25  # was 76th


def test_gzip_is_the_same_json_and_resolved_urls_serve_what_resolving_serves(client, hanoi, monkeypatch):
    import gzip

    from campaign.api import views
    from campaign.public import pages

    urls = [f"{URL}?level=commune", f"{URL}?level=commune&page=3", f"{URL}?page=2&level=commune",
            f"/api/v1/campaigns/{hanoi['camp'].id}/leaderboard?level=commune", f"{URL}?level=commune&per_page=40"]
    plain = {u: client.get(u, headers={"Accept-Encoding": "identity"}) for u in urls}
    packed = {u: client.get(u, headers={"Accept-Encoding": "gzip, deflate"}) for u in urls}
    for u in urls:
        assert plain[u].status_code == packed[u].status_code == 200
        assert "Content-Encoding" not in plain[u].headers and packed[u].headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in plain[u].headers["Vary"] and "Accept-Encoding" in packed[u].headers["Vary"]
        assert gzip.decompress(packed[u].get_data()) == plain[u].get_data()
    calls = []
    real = pages.get_api_page
    monkeypatch.setattr(pages, "get_api_page", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert {u: client.get(u, headers={"Accept-Encoding": "identity"}).get_data() for u in urls} \
        == {u: r.get_data() for u, r in plain.items()}
    assert len(calls) == 1  # only per_page=40 (kept in the search cache) was resolved again
    views._routes.clear()
    assert {u: client.get(u, headers={"Accept-Encoding": "identity"}).get_data() for u in urls} \
        == {u: r.get_data() for u, r in plain.items()}
    # a publication: the resolved URL shows the new result at once
    publish(hanoi["camp"], [(u, 37.5 + 0.5 * i, 126 - i, {"I": 10}) for i, u in enumerate(hanoi["units"])],
            level=3, previous=hanoi["run"])
    assert client.get(urls[0]).get_json()["rows"][0]["unit_code"] == hanoi["codes"][-1]


def test_a_campaign_without_districts_defaults_to_its_communes(client, hanoi):
    """Two-tier (from 1 July 2025): no level given gives the communes, as the HTML board does, not an empty board."""
    body = client.get(URL).get_json()
    assert body["level"] == "commune" and body["paging"]["total"] == 126
    assert [r["rank"] for r in body["rows"]][:3] == [1, 2, 3]
    assert client.get(f"{URL}?level=district").get_json()["paging"]["total"] == 0  # asked for explicitly: honoured


def test_an_unknown_api_path_answers_with_the_same_error_shape(client):
    """Every JSON error names its kind with a code, like the API's own errors (cold walk: a Vietnamese title there)."""
    resp = client.get("/api/v1/no-such-thing")
    body = resp.get_json()
    assert resp.status_code == 404 and body["error"] == "not_found"
    assert body["message"] == "Trang hoặc dữ liệu bạn tìm không tồn tại."
