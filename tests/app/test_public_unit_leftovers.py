"""The public unit page after the cold walk's follow-up: its score interval says what it is (the explanation
page's own sentence, one msgid)."""
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
