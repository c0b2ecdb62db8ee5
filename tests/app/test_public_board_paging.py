"""Boards of many units: 50 rows a page with a pager, "find a unit" without diacritics, a compact chart,
and a page cache that stays right per page, per language and across a publication.

The board is Hà Nội's 126 commune-level units from the official list (vietnam-provinces); the i-th
unit of the list scores 100 - 0.5·i, so its rank is i + 1 (no ties) and the bands (90 / 75 / 50) hold
21 Xuất sắc (100 … 90), 30 Tốt (89,5 … 75), 50 Hoàn thành (74,5 … 50) and 25 Không hoàn thành.
"""
from __future__ import annotations

import json
import re
import unicodedata

import pytest

from tests.big_board_helpers import big_board, official_units
from tests.public_helpers import publish, rows_of


@pytest.fixture
def hanoi(factory):
    units = official_units(["01"])
    camp, run = big_board(factory, units, slug="hn126")
    return {"camp": camp, "run": run, "units": units}


def text_of(html: str, testid: str) -> str:
    m = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|span|nav|strong)>', html, re.S)
    assert m, testid
    return " ".join(re.sub(r"<[^>]+>", "", m.group(1)).split())


def figure(html: str, name: str) -> dict:
    return json.loads(re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S).group(1))


def test_a_board_of_126_units_is_served_in_pages_of_50(client, hanoi):
    codes = [u.code for u in hanoi["units"]]
    html = client.get("/leaderboard?campaign=hn126").get_data(as_text=True)
    rows = rows_of(html)
    # two-tier campaign: the commune level is the default; ranks 1..50 on the first page
    assert [r["code"] for r in rows] == codes[:50]
    assert [r["rank_text"] for r in rows] == [str(i) for i in range(1, 51)]
    assert text_of(html, "page-summary") == "Trang 1/3 · đơn vị 1–50 trên 126"
    assert 'data-testid="pager-prev"' not in html
    assert re.search(r'href="[^"]*page=2[^"]*#board-table" rel="next" data-testid="pager-next"', html)

    last = client.get("/leaderboard?campaign=hn126&level=commune&page=3").get_data(as_text=True)
    rows = rows_of(last)
    assert [r["code"] for r in rows] == codes[100:]
    assert rows[0]["rank_text"] == "101" and rows[-1]["rank_text"] == "126" and rows[-1]["score"] == "37,50"
    assert text_of(last, "page-summary") == "Trang 3/3 · đơn vị 101–126 trên 126"
    assert 'data-testid="pager-next"' not in last and 'data-testid="pager-prev"' in last
    assert text_of(last, "pager-current") == "3"

    # a page past the end shows the last page; a page that is not a number shows the first
    assert [r["code"] for r in rows_of(client.get("/leaderboard?campaign=hn126&page=999").get_data(as_text=True))] \
        == codes[100:]
    assert [r["code"] for r in rows_of(client.get("/leaderboard?campaign=hn126&page=x2").get_data(as_text=True))] \
        == codes[:50]


def test_find_a_unit_ignores_diacritics_and_case(client, hanoi):
    codes = [u.code for u in hanoi["units"]]
    dong_da = next(i for i, u in enumerate(hanoi["units"]) if u.name == "Phường Đống Đa")
    for typed in ("dong da", "ĐỐNG ĐA", "  Đống   đa "):
        html = client.get("/leaderboard", query_string={"campaign": "hn126", "q": typed}).get_data(as_text=True)
        rows = rows_of(html)
        assert [r["code"] for r in rows] == [codes[dong_da]], typed
        assert rows[0]["rank_text"] == str(dong_da + 1)  # its rank on the whole board, not "1"
        assert text_of(html, "search-summary") == "1 đơn vị khớp với «" + " ".join(typed.split()) + "»"
    # by code
    html = client.get(f"/leaderboard?campaign=hn126&q={codes[77]}").get_data(as_text=True)
    assert [r["code"] for r in rows_of(html)] == [codes[77]]
    # nothing found: said in words, no row
    html = client.get("/leaderboard?campaign=hn126&q=khong+co+dau").get_data(as_text=True)
    assert rows_of(html) == []
    assert text_of(html, "search-summary") == "Không tìm thấy đơn vị nào khớp với «khong co dau»."
    assert 'data-testid="leaderboard-table"' not in html  # no empty table header under the sentence
    # what was typed is shown back escaped, never as markup
    html = client.get("/leaderboard?campaign=hn126&q=%3Cb%3Ex%3C%2Fb%3E").get_data(as_text=True)
    assert "<b>x</b>" not in html and "«&lt;b&gt;x&lt;/b&gt;»" in html


def test_a_search_with_many_matches_is_paged_and_keeps_the_query(client, hanoi):
    def bare(name: str) -> str:  # written here independently of campaign.vietnamese.fold
        return unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d")).encode("ascii", "ignore").decode().lower()

    # 'phuong' finds the wards (Phường …) and the communes whose name reads Phượng / Phương …
    wards = [u.code for u in hanoi["units"] if "phuong" in bare(u.name)]
    assert len(wards) > 50 and any("Phượng" in u.name for u in hanoi["units"])
    html = client.get("/leaderboard?campaign=hn126&q=phuong").get_data(as_text=True)
    assert [r["code"] for r in rows_of(html)] == wards[:50]
    assert text_of(html, "search-summary") == f"{len(wards)} đơn vị khớp với «phuong»"
    nxt = re.search(r'href="([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "q=phuong" in nxt
    assert [r["code"] for r in rows_of(client.get(nxt).get_data(as_text=True))] == wards[50:]


def test_the_chart_of_a_big_board_is_compact(client, hanoi):
    codes = [u.code for u in hanoi["units"]]
    html = client.get("/leaderboard?campaign=hn126").get_data(as_text=True)
    bars = figure(html, "fig-board")
    assert bars["data"][0]["y"] == codes[:20]  # the top 20, not 126 bars
    assert "20 đơn vị đứng đầu" in html
    dist = figure(html, "fig-dist")
    # every unit is counted once, in at most 21 bars of the same 5-point bins (35–40 … 100–105)
    assert sum(sum(t["y"]) for t in dist["data"]) == 126
    assert len(dist["data"][0]["x"]) == 14
    by_band = {t["name"]: sum(t["y"]) for t in dist["data"]}
    assert by_band == {"Xuất sắc": 21, "Tốt": 30, "Hoàn thành": 50, "Không hoàn thành": 25}
    counts = dict(re.findall(r'data-testid="band-count-([a-z_]+)">(\d+)<', html))
    assert counts == {"xuat_sac": "21", "tot": "30", "hoan_thanh": "50", "khong_hoan_thanh": "25"}


def test_a_small_board_has_no_pager_search_or_distribution(client, factory):
    units = [factory.unit(code=f"00{i}", name=f"Quận {i}") for i in range(1, 5)]
    camp = factory.campaign(units=units, slug="small")
    publish(camp, [(u, 90 - i, i + 1, {"I": 90 - i}) for i, u in enumerate(units)])
    html = client.get("/leaderboard?campaign=small").get_data(as_text=True)
    assert len(rows_of(html)) == 4
    for testid in ("pager", "page-summary", "board-search", "board-distribution"):
        assert f'data-testid="{testid}"' not in html, testid


def test_page_cache_is_per_page_per_language_and_follows_a_publication(client, factory, hanoi):
    codes = [u.code for u in hanoi["units"]]
    vi = client.get("/leaderboard?campaign=hn126&page=2").get_data(as_text=True)
    assert [r["code"] for r in rows_of(vi)] == codes[50:100]
    with client.c.session_transaction() as sess:
        sess["lang"] = "en"
    en = client.get("/leaderboard?campaign=hn126&page=2").get_data(as_text=True)
    assert text_of(en, "page-summary") == "Page 2 of 3 · units 51–100 of 126"
    assert rows_of(en)[0]["score"] == "75.00" and rows_of(en)[0]["band"] == "Good"
    assert text_of(client.get("/leaderboard?campaign=hn126&page=3").get_data(as_text=True), "page-summary") \
        == "Page 3 of 3 · units 101–126 of 126"
    with client.c.session_transaction() as sess:
        sess["lang"] = "vi"
    assert text_of(client.get("/leaderboard?campaign=hn126&page=2").get_data(as_text=True), "page-summary") \
        == "Trang 2/3 · đơn vị 51–100 trên 126"
    searched = rows_of(client.get(f"/leaderboard?campaign=hn126&q={codes[0]}").get_data(as_text=True))
    assert [(r["code"], r["rank_text"]) for r in searched] == [(codes[0], "1")]
    # a new publication in the reverse order: every cached page (and search) shows it at once
    units = hanoi["units"]
    publish(hanoi["camp"], [(u, 37.5 + 0.5 * i, 126 - i, {"I": 10}) for i, u in enumerate(units)],
            level=3, previous=hanoi["run"])
    again = rows_of(client.get("/leaderboard?campaign=hn126&page=2").get_data(as_text=True))
    assert [r["code"] for r in again] == codes[::-1][50:100]
    assert again[0]["change"] == "▲ 25"  # was 76th (100 - 0.5·75 = 62,5), now 51st
    searched = rows_of(client.get(f"/leaderboard?campaign=hn126&q={codes[0]}").get_data(as_text=True))
    assert [(r["code"], r["rank_text"]) for r in searched] == [(codes[0], "126")]


def test_a_browser_that_accepts_gzip_gets_the_same_page_compressed(client, hanoi):
    import gzip

    plain = client.get("/leaderboard?campaign=hn126&page=2")
    packed = client.get("/leaderboard?campaign=hn126&page=2", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) * 4 < len(plain.get_data())
    refused = client.get("/leaderboard?campaign=hn126&page=2", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.get_data() == plain.get_data()


def test_pager_links_the_ends_and_two_pages_either_side():
    from campaign.public.pages import pager

    assert pager(5, 67, 3321) == {"page": 5, "pages": 67, "total": 3321, "first": 201, "last": 250,
                                  "links": [1, None, 3, 4, 5, 6, 7, None, 67]}
    assert pager(1, 3, 126)["links"] == [1, 2, 3]
    assert pager(3, 3, 126)["first"] == 101 and pager(3, 3, 126)["last"] == 126
    assert pager(4, 67, 3321)["links"] == [1, 2, 3, 4, 5, 6, None, 67]  # 1 touches 2: no gap before
    assert pager(1, 1, 0) == {"page": 1, "pages": 1, "total": 0, "first": 0, "last": 0, "links": [1]}


def test_a_two_tier_board_offers_only_the_commune_level(client, hanoi):
    html = client.get("/leaderboard?campaign=hn126").get_data(as_text=True)
    assert '<option value="commune" selected>' in html and '<option value="district"' not in html


def test_switching_to_a_two_tier_campaign_with_the_district_level_shows_its_communes(client, hanoi):
    """Walk finding: the campaign switch kept ``level=district`` and a commune-only campaign's board
    read "Không có đơn vị nào ở cấp này." The board opens at the level the campaign has units at."""
    html = client.get("/leaderboard?campaign=hn126&level=district&cluster=").get_data(as_text=True)
    assert "Không có đơn vị nào ở cấp này" not in html
    assert '<option value="commune" selected>' in html and "Trang 1/3" in html
