"""What the cold walk of issue 18 found confusing on the public board and its JSON API (follow-up).

The JSON board finds units as the HTML board's search does (``q``), names each band in the reader's
language next to its code (``band_label``) and answers a revalidation with 304; the language switch
brings the visitor back to the same page state, at the table when they were at it.
"""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Unit
from tests.public_helpers import BANDS, publish, rows_of

URL = "/api/v1/campaigns/walk/leaderboard"
NAMES = [("01001", "Phường Ba Đình", "Ba Dinh Ward", 95), ("01002", "Phường Hoàn Kiếm", "Hoan Kiem Ward", 80),
         ("01003", "Xã Ba Vì", "Ba Vi Commune", 60), ("01004", "Phường Tây Hồ", "Tay Ho Ward", 40)]


@pytest.fixture
def walk(factory):
    units = [Unit(code=c, name=n, name_en=en, kind="ward", level=3) for c, n, en, _t in NAMES]
    db.session.add_all(units)
    db.session.flush()
    camp = factory.campaign(units=units, slug="walk", name="Thi đua phường xã", settings={"bands": BANDS})
    publish(camp, [(u, t, i + 1, {"I": t}) for i, (u, (_c, _n, _e, t)) in enumerate(zip(units, NAMES, strict=True))],
            level=3)
    return camp


def test_api_search_finds_the_units_the_html_board_finds(client, walk):
    body = client.get(f"{URL}?q=ba").get_json()  # "ba" (no diacritics) finds Ba Đình and Ba Vì, not Hoàn Kiếm
    assert [(r["unit_code"], r["rank"]) for r in body["rows"]] == [("01001", 1), ("01003", 3)]
    assert body["paging"]["total"] == 2 and body["paging"]["pages"] == 1
    assert body["paging"]["first"] == f"{URL}?level=commune&page=1&q=ba"
    html = client.get("/leaderboard?campaign=walk&q=ba").get_data(as_text=True)
    assert [r["code"] for r in rows_of(html)] == ["01001", "01003"]
    # several words must all match, in any case; an English name is found too
    assert [r["unit_code"] for r in client.get(f"{URL}?q=PHUONG+ho").get_json()["rows"]] == ["01002", "01004"]
    assert [r["unit_code"] for r in client.get(f"{URL}?q=vi+commune").get_json()["rows"]] == ["01003"]
    nothing = client.get(f"{URL}?q=zzz").get_json()
    assert nothing["rows"] == [] and nothing["paging"]["total"] == 0  # an empty first page, not an error
    past = client.get(f"{URL}?q=ba&page=2")
    assert past.status_code == 404 and past.get_json()["error"] == "not_found"
    paged = client.get(f"{URL}?q=phuong&per_page=2&page=2").get_json()
    assert [r["unit_code"] for r in paged["rows"]] == ["01004"]
    assert paged["paging"]["previous"] == f"{URL}?level=commune&page=1&per_page=2&q=phuong"


def test_api_rows_name_their_band_in_the_readers_language(client, walk):
    vi = client.get(URL).get_json()["rows"]
    assert [(r["band"], r["band_label"]) for r in vi] == [
        ("xuat_sac", "Xuất sắc"), ("tot", "Tốt"), ("hoan_thanh", "Hoàn thành"), ("khong_hoan_thanh", "Không hoàn thành")]
    en = client.get(f"{URL}?lang=en").get_json()
    assert [r["band_label"] for r in en["rows"]] == ["Excellent", "Good", "Completed", "Not completed"]
    assert en["paging"]["first"] == f"{URL}?level=commune&page=1&lang=en"  # the links keep the language
    assert client.get(f"{URL}?lang=en").headers["Content-Language"] == "en"
    by_header = client.get(URL, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_json()["rows"]
    assert by_header[0]["band_label"] == "Excellent"
    with client.c.session_transaction() as sess:  # a visitor who chose English on the site
        sess["lang"] = "en"
    assert client.get(URL).get_json()["rows"][1]["band_label"] == "Good"
    assert client.get(f"{URL}?lang=vi").get_json()["rows"][1]["band_label"] == "Tốt"
    bad = client.get(f"{URL}?lang=fr")
    assert bad.status_code == 400 and bad.get_json()["message"] == "lang must be vi or en"


def test_api_board_answers_a_revalidation_with_304(client, walk):
    first = client.get(URL)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag and first.headers["Cache-Control"] == "no-cache"
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    # another language or another search is another body: another ETag, so no 304
    assert client.get(f"{URL}?lang=en", headers={"If-None-Match": etag}).status_code == 200
    assert client.get(f"{URL}?q=ba", headers={"If-None-Match": etag}).status_code == 200
    packed = client.get(URL, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["ETag"] != etag  # each form has its own ETag
    assert client.get(URL, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}).status_code == 304
    # a new publication changes the body: the old ETag no longer matches
    units = db.session.scalars(sa.select(Unit).where(Unit.code.in_([c for c, *_rest in NAMES]))).all()
    publish(walk, [(u, 50, 1, {"I": 50}) for u in units], level=3)
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 200


def _switch_target(client, html: str) -> tuple[str, str]:
    form = re.search(r'<form method="post" action="([^"]+)" class="inline">\s*<input type="hidden" name="next" '
                     r'value="([^"]*)">', html)
    resp = client.post(form.group(1), data={"next": form.group(2).replace("&amp;", "&")})
    return resp.status_code, resp.headers["Location"]


@pytest.mark.parametrize("logged_in", [False, True])
def test_language_switch_keeps_the_page_state_and_the_table_anchor(client, factory, walk, logged_in):
    if logged_in:
        factory.user("admin", username="switcher")
        client.login("switcher")
    url = "/leaderboard?campaign=walk&level=commune&q=phuong&page=1"
    status, target = _switch_target(client, client.get(url).get_data(as_text=True))
    assert status in (302, 303) and target.endswith(url + "#board-table")
    english = client.get(target.split("#")[0]).get_data(as_text=True)  # the same search, now in English
    assert [r["code"] for r in rows_of(english)] == ["01001", "01002", "01004"]
    assert 'data-testid="search-input"' in english and 'value="phuong"' in english
    assert 'lang="en"' in english
    # the first view of a board (no search, no page asked) opens at the top, as it was
    status, target = _switch_target(client, client.get("/leaderboard?campaign=walk").get_data(as_text=True))
    assert target.endswith("/leaderboard?campaign=walk")


def test_percentages_have_one_form_in_the_reason_and_the_table(client, factory):
    """Group II at 27,99 of 40 = 69,975 %: the table and the reason both say "69,9 %" (never "70 %" beside a 70 %
    floor it missed), the floor reads "70,0 %"; group I at 55 of 60 = 91,66… % reads "91,6 %". English: "69.9%"."""
    unit = factory.unit(code="00999", name="Quận Phần Trăm")
    camp = factory.campaign(units=[unit], slug="pct", settings={"bands": [
        {"code": "tot", "min_total": 75, "floor_pct": 70}, {"code": "hoan_thanh", "min_total": 50, "floor_pct": 0},
        {"code": "khong_hoan_thanh", "min_total": 0}]})
    publish(camp, [(unit, 82.99, 1, {"I": 55, "II": 27.99})])

    def page(lang: str) -> str:
        with client.c.session_transaction() as sess:
            sess["lang"] = lang
        html = client.get("/leaderboard/unit/00999?campaign=pct").get_data(as_text=True)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")

    vi = page("vi")
    assert "Nhóm II 27,99 40,00 69,9 %" in vi and "Nhóm I 55,00 60,00 91,6 %" in vi
    assert "nhóm II (Nhóm II) đạt 69,9 % điểm tối đa, dưới mức sàn 70,0 %" in vi
    assert "70 %" not in vi and "69,97" not in vi and "69.9" not in vi
    assert "Hoàn thành: từ 50,00 điểm" in vi and "ít nhất 0,0 %" not in vi  # a floor of 0 % asks nothing: unsaid
    assert "Không hoàn thành: không yêu cầu điểm tối thiểu" in vi and "từ 0,00" not in vi
    with client.c.session_transaction() as sess:
        sess["lang"] = "vi"
    chart = json.loads(re.search(r'<script type="application/json" id="fig-board">(.*?)</script>',
                                 client.get("/leaderboard?campaign=pct").get_data(as_text=True), re.S).group(1))
    lines = [t["name"] for t in chart["data"] if t.get("legendgroup") == "bands"]
    assert lines == ["Tốt ≥ 75", "Hoàn thành ≥ 50"]  # no "Không hoàn thành ≥ 0" line at the chart's edge
    en = page("en")
    assert "Group II 27.99 40.00 69.9%" in en and "reached 69.9% of its maximum, under the 70.0% floor" in en


def test_a_tie_reads_the_same_on_the_board_and_the_unit_page(client, factory):
    a, b, c = (factory.unit(code=f"0080{i}", name=n) for i, n in enumerate(("Quận Một", "Quận Hai", "Quận Ba")))
    camp = factory.campaign(units=[a, b, c], slug="tie", settings={"bands": BANDS})
    publish(camp, [(a, 90, 1, {"I": 90}), (b, 80, 2, {"I": 80}), (c, 80, 2, {"I": 80})])

    def text(html: str, testid: str) -> str:
        m = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:div|td)>', html, re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()

    board = client.get("/leaderboard?campaign=tie").get_data(as_text=True)
    assert [r["rank_text"] for r in rows_of(board)] == ["1", "2 đồng hạng", "2 đồng hạng"]
    assert text(client.get("/leaderboard/unit/00801?campaign=tie").get_data(as_text=True), "unit-rank") == "2 / 3 đồng hạng"
    with client.c.session_transaction() as sess:
        sess["lang"] = "en"
    assert [r["rank_text"] for r in rows_of(client.get("/leaderboard?campaign=tie").get_data(as_text=True))][1] == "2 tied"
    assert text(client.get("/leaderboard/unit/00802?campaign=tie").get_data(as_text=True), "unit-rank") == "2 / 3 tied"
