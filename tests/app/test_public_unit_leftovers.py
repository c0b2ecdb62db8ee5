"""The public unit page after the cold walk's follow-up: its score interval says what it is (the explanation
page's own sentence, one msgid), and its history table marks a shared rank with the tie badge the board, the
page's header and the explanation page use."""
from __future__ import annotations

import re

import pytest

from tests.public_helpers import BANDS, publish


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


def _get(client, url: str, lang: str) -> str:
    with client.c.session_transaction() as sess:
        sess["lang"] = lang
    return client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("lang,expected", [
    ("vi", "Khoảng điểm 88,50 – 91,25: tổng điểm khi mọi chỉ tiêu do giám khảo chấm lấy điểm thấp nhất, rồi cao nhất, "
           "mà các giám khảo đã cho."),
    ("en", "Score interval 88.50 – 91.25: the total when every indicator marked by judges takes the lowest, then the "
           "highest, mark the judges gave."),
])
def test_the_unit_pages_interval_says_what_it_is(client, factory, lang, expected):
    a, b = factory.unit(code="00701", name="Quận Khoảng"), factory.unit(code="00702", name="Quận Khác")
    camp = factory.campaign(units=[a, b], slug="khoang", settings={"bands": BANDS, "show_intervals": True})
    publish(camp, [(a, 90, 1, {"I": 90}, None, None, (88.5, 91.25)), (b, 70, 2, {"I": 70}, None, None, (69, 71))])
    html = _get(client, "/leaderboard/unit/00701?campaign=khoang", lang)
    note = re.search(r'data-testid="unit-interval-note"[^>]*>(.*?)</p>', html, re.S)
    assert note is not None, "the interval is shown without saying what it is"
    assert _text(note.group(1)).strip().startswith(expected)
    # a campaign that does not publish intervals shows neither the interval nor its note
    other = factory.campaign(units=[a, b], slug="khong-khoang", settings={"bands": BANDS})
    publish(other, [(a, 90, 1, {"I": 90}, None, None, (88.5, 91.25)), (b, 70, 2, {"I": 70})])
    assert 'data-testid="unit-interval-note"' not in _get(client, "/leaderboard/unit/00701?campaign=khong-khoang", lang)


def _two_publications(factory):
    a, b, c = (factory.unit(code=f"0060{i}", name=n) for i, n in enumerate(("Quận Một", "Quận Hai", "Quận Ba")))
    camp = factory.campaign(units=[a, b, c], slug="lich-su", settings={"bands": BANDS})
    # Đợt 1: Quận Hai shares rank 2 with Quận Ba; Đợt 2 (current): Quận Hai alone at 1, Quận Một and Quận Ba share 2
    first = publish(camp, [(a, 90, 1, {"I": 90}), (b, 80, 2, {"I": 80}), (c, 80, 2, {"I": 80})], minutes_ago=60,
                    label="Đợt 1")
    publish(camp, [(b, 95, 1, {"I": 95}), (a, 85, 2, {"I": 85}), (c, 85, 2, {"I": 85})], previous=first,
            label="Đợt 2")


def _history_ranks(client, code: str, lang: str) -> list[str]:
    html = _get(client, f"/leaderboard/unit/{code}?campaign=lich-su", lang)
    body = re.search(r'data-testid="history-table".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [_text(cells[2]).strip() for cells in
            (re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S))]


def test_the_history_table_marks_the_current_publications_shared_rank_as_the_header_does(client, factory):
    _two_publications(factory)
    assert _history_ranks(client, "00600", "vi")[-1] == "2 đồng hạng"  # oldest first: Đợt 2 is the last row
    assert _history_ranks(client, "00602", "en")[-1] == "2 tied"
    assert _history_ranks(client, "00601", "vi")[-1] == "1"
    html = _get(client, "/leaderboard/unit/00600?campaign=lich-su", "vi")
    assert html.count('class="badge tie" data-testid="tied"') == 2  # the header's "2 / 3" and the history's row


def test_the_history_table_marks_a_past_publications_shared_rank(client, factory):
    _two_publications(factory)
    assert _history_ranks(client, "00601", "vi") == ["2 đồng hạng", "1"]  # oldest first: Đợt 1 then Đợt 2
    assert _history_ranks(client, "00602", "vi") == ["2 đồng hạng", "2 đồng hạng"]
    assert _history_ranks(client, "00600", "vi") == ["1", "2 đồng hạng"]
    assert _history_ranks(client, "00601", "en") == ["2 tied", "1"]
