"""A band whose group floor is 0 % asks nothing of the groups (walk follow-up): its reason never reads
"mọi nhóm tiêu chí đạt mức sàn" / "every criterion group meets its floor", as its legend line already
omits "ít nhất 0,0 %"."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from campaign import band_reasons

GROUPS = [{"code": "I", "name": "Lãnh đạo", "name_en": "Leadership", "kind": "regular", "max_points": 100},
          {"code": "II", "name": "Dân vận", "name_en": "Mass mobilization", "kind": "regular", "max_points": 100}]
ROW = {"total": 70.0, "group_scores": {"I": 40.0, "II": 30.0}, "status": "scored"}  # groups at 40 % and 30 %


def _bands(floor: float) -> list[dict]:
    return [{"code": "xs", "min_total": 90, "floor_pct": 85, "label": {"vi": "Xuất sắc", "en": "Excellent"}},
            {"code": "ht", "min_total": 60, "floor_pct": floor, "label": {"vi": "Hoàn thành", "en": "Completed"}},
            {"code": "ward", "min_total": 0, "floor_pct": floor, "label": {"vi": "Đạt chuẩn", "en": "Standard met"}}]


@pytest.mark.parametrize("locale,expected", [
    ("vi", ["70,00 ≥ 60,00 (Hoàn thành)", "70,00 < 90,00 cần cho mức Xuất sắc"]),
    ("en", ["70.00 ≥ 60.00 (Completed)", "70.00 < 90.00 needed for Excellent"]),
])
def test_a_zero_floor_is_not_given_as_the_reason(app, locale, expected):
    bands = _bands(0)
    with app.test_request_context(), force_locale(locale):
        full = band_reasons.describe(band_reasons.row_reason(ROW, bands, GROUPS), bands, GROUPS, locale)
        short = band_reasons.describe(band_reasons.row_reason(ROW, bands, GROUPS), bands, GROUPS, locale, short=True)
    assert full == expected
    assert short == [expected[0].split(" (")[0], expected[1]]  # "70,00 ≥ 60,00" beside the badge


def test_a_zero_floor_band_without_a_minimum_total_says_nothing_of_floors(app):
    row = {**ROW, "total": 50.0, "group_scores": {"I": 30.0, "II": 20.0}}
    bands = _bands(0)
    with app.test_request_context(), force_locale("vi"):
        lines = band_reasons.describe(band_reasons.row_reason(row, bands, GROUPS), bands, GROUPS, "vi")
        short = band_reasons.describe(band_reasons.row_reason(row, bands, GROUPS), bands, GROUPS, "vi", short=True)
    assert not any("mức sàn" in line for line in lines + short), lines + short
    assert lines == ["50,00 < 60,00 cần cho mức Hoàn thành"]


def test_a_real_floor_is_still_given_as_the_reason(app):
    bands = _bands(25)  # groups at 40 % and 30 % meet 25 %
    with app.test_request_context(), force_locale("vi"):
        lines = band_reasons.describe(band_reasons.row_reason(ROW, bands, GROUPS), bands, GROUPS, "vi")
    assert lines[0] == "70,00 ≥ 60,00 (Hoàn thành) và mọi nhóm tiêu chí đạt mức sàn của mức này"
