"""A unit that did not submit reads "Chưa nộp" on the public pages: never 0,00, never "Chưa xếp loại"."""
from __future__ import annotations

import re

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import UnitResult
from tests.public_helpers import BANDS, publish


def _not_submitted(run, unit) -> None:
    """As publishing writes it: no figure from the draft (publishing.publish)."""
    db.session.execute(sa.update(UnitResult).where(UnitResult.run_id == run.id, UnitResult.unit_id == unit.id)
                       .values(status="not_submitted", total=0.0, rank=None, band=None, group_scores={}))
    db.session.commit()


def test_history_and_overview_say_not_submitted(client, factory):
    a = factory.unit(code="001", name="Quận Ba Đình")
    b = factory.unit(code="002", name="Quận Hoàn Kiếm")
    camp = factory.campaign(units=[a, b], slug="ns", settings={"bands": BANDS})
    first = publish(camp, [(a, 0, None, {}), (b, 70, 1, {"I": 40, "II": 30})], minutes_ago=60, label="Đợt 1")
    _not_submitted(first, a)
    second = publish(camp, [(a, 80, 1, {"I": 50, "II": 30}), (b, 0, None, {})], previous=first, label="Đợt 2")
    _not_submitted(second, b)

    html = client.get("/leaderboard/unit/001?campaign=ns").get_data(as_text=True)
    history = re.search(r'data-testid="history-table">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", history, re.S)
    first_row = next(r for r in rows if "Đợt 1" in r)
    second_row = next(r for r in rows if "Đợt 2" in r)
    assert "Chưa nộp" in first_row and "0,00" not in first_row
    assert "80,00" in second_row and "Chưa nộp" not in second_row

    with client.c.session_transaction() as sess:
        sess["lang"] = "en"
    en = client.get("/leaderboard/unit/001?campaign=ns").get_data(as_text=True)
    en_history = re.search(r'data-testid="history-table">(.*?)</table>', en, re.S).group(1)
    en_first = next(r for r in re.findall(r"<tr>(.*?)</tr>", en_history, re.S) if "Đợt 1" in r)
    assert "Not submitted" in en_first and "0.00" not in en_first

    with client.c.session_transaction() as sess:
        sess["lang"] = "vi"
    overview = client.get("/leaderboard/overview?campaign=ns").get_data(as_text=True)
    bands = re.search(r'data-testid="bands-table">(.*?)</table>', overview, re.S).group(1)
    assert "Chưa nộp" in bands and "Chưa xếp loại" not in bands
    header = re.findall(r'<th class="num" scope="col">([^<]*)</th>', bands)
    cells = re.findall(r'<td class="num">(\d+)</td>', bands)
    # the latest publication: Ba Đình 80 → "Tốt", Hoàn Kiếm did not submit
    assert dict(zip(header, cells, strict=True)) == {"Xuất sắc": "0", "Tốt": "1", "Hoàn thành": "0", "Chưa nộp": "1"}
    # the map's data table lists the unit last, without a score (it used to crash sorting a missing rank)
    districts = re.search(r'id="districts-table">(.*?)</table>', overview, re.S).group(1)
    last = re.findall(r"<tr>(.*?)</tr>", districts, re.S)[-1]
    assert "Quận Hoàn Kiếm" in last and "Chưa nộp" in last and "0,00" not in last
