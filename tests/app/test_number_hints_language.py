"""Numbers follow the page's language where a judge reads a unit's values, and the officer's number
hints show examples written the English way on the English page (walk findings, judge1 / officer-badinh).

Judge page: small_framework with I.3 stripped of its ``value_type`` (as the demo's "6.2 Điểm giải quyết
việc làm", a count rule with no value_type) and the value 1234.5; I.1 (a percentage) 78.5.
Vietnamese: "1.234,5" and "78,5 %"; English: "1,234.5" and "78.5%" — never the stored "1234.5".
"""
from __future__ import annotations

import re

import pytest

from campaign.extensions import db
from campaign.models import Assignment
from tests.factories import small_framework
from tests.judging_helpers import add_panel, set_values
from tests.unit_helpers import GOOD, World, error_box, open_entry, save


def _judge_entry(factory):
    doc = small_framework("fw-numbers")
    i3 = doc["groups"][0]["children"][2]
    assert i3["code"] == "I.3"
    del i3["value_type"]
    city = factory.unit("city", name="Thành phố Hà Nội")
    district = factory.unit("urban_district", parent=city, name="Quận Số")
    campaign = factory.campaign(doc, units=[district], status="appraisal")
    entry = factory.entry(campaign, district, status="submitted")
    set_values(entry, campaign, {"I.1": 78.5, "I.2": 1.0, "I.3": 1234.5, "II.1": "good"})
    judge = factory.user("judge", username="gk-so", full_name="Giám khảo Số")
    add_panel(campaign, [judge])
    db.session.add(Assignment(entry_id=entry.id, judge_id=judge.id))
    db.session.commit()
    return entry


def _cell(html: str, code: str) -> str:
    """The text of the "Giá trị" cell (the same cell is the 375 px card's "Giá trị" line, by data-label)."""
    m = re.search(r'<td data-testid="value-' + re.escape(code) + r'"[^>]*>(.*?)</td>', html, re.S)
    assert m, f"no value cell for {code}"
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


@pytest.mark.parametrize("lang, count, share", [("vi", "1.234,5", "78,5 %"), ("en", "1,234.5", "78.5%")])
def test_the_judge_reads_the_units_values_in_the_pages_language(client, factory, lang, count, share):
    entry = _judge_entry(factory)
    client.login("gk-so")
    if lang == "en":
        client.post("/lang/en", data={"next": "/judging/"})
    html = client.get(f"/judging/entries/{entry.id}").get_data(as_text=True)
    assert _cell(html, "I.3").startswith(count)
    assert "1234.5" not in _cell(html, "I.3")
    assert _cell(html, "I.1") == share
    label = "Giá trị" if lang == "vi" else "Value"
    assert f'data-testid="value-I.3" data-label="{label}"' in html  # what the card layout prints before it


@pytest.fixture
def world(factory):
    return World(factory)


HINT = {"vi": "Số có thể viết 1234,5 hoặc 1.234,5 hoặc 1234.5.",
        "en": "Numbers may be written 1234.5 or 1,234.5 (a decimal comma, as in 1234,5, is accepted too)."}
NOT_A_NUMBER = {"vi": "“abc” không phải là một số. Ví dụ hợp lệ: 1234 hoặc 1.234,5 hoặc 1234.5",
                "en": "“abc” is not a number. Valid examples: 1234 or 1,234.5 or 1234.5"}
AMBIGUOUS = {"vi": "(ví dụ 1,2340 hoặc 1.234,0)", "en": "(e.g. 1.2340 or 1,234.0)"}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_officers_number_hints_give_examples_in_the_pages_language(client, world, lang):
    client.login("canbo")
    entry_id = open_entry(client, world)
    if lang == "en":
        client.post("/lang/en", data={"next": f"/unit/entries/{entry_id}"})
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert HINT[lang] in html
    save(client, entry_id, {**GOOD, "A.2": "abc", "A.1": "1.234"})  # a draft keeps what was typed (A.1: a rate, not a count)
    html = client.get(f"/unit/entries/{entry_id}").get_data(as_text=True)
    assert NOT_A_NUMBER[lang] in error_box(html, "A.2")
    assert AMBIGUOUS[lang] in error_box(html, "A.1")
    if lang == "en":
        assert "1.234,5" not in error_box(html, "A.2") and "1,2340" not in error_box(html, "A.1")
