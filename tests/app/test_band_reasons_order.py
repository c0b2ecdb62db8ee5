"""The unit page's "why this band" reads as a person explains it: the band the unit got and why first,
then what it missed, the nearest band first (walk finding 16: it opened with "≥ 760 (Good), but…" for a
unit that got "Completed"). The one-line reason beside a badge in a table keeps the surprise first."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from campaign import band_reasons

BANDS = [{"code": "xs", "min_total": 855, "floor_pct": 70, "label": {"vi": "Xuất sắc", "en": "Excellent"}},
         {"code": "tot", "min_total": 760, "floor_pct": 70, "label": {"vi": "Tốt", "en": "Good"}},
         {"code": "ht", "min_total": 665, "label": {"vi": "Hoàn thành", "en": "Completed"}},
         {"code": "kht", "min_total": 0, "label": {"vi": "Không hoàn thành", "en": "Not completed"}}]
GROUPS = [{"code": "I", "name": "Lãnh đạo", "name_en": "Leadership", "kind": "regular", "max_points": 500},
          {"code": "II", "name": "Dân vận", "name_en": "Mass mobilization", "kind": "regular", "max_points": 500}]
# 800 points: enough for Good (760) but group II has 64 % of its 500, under Good's 70 % floor; 855 for Excellent
ROW = {"total": 800.0, "group_scores": {"I": 480.0, "II": 320.0}, "status": "scored"}

EXPECTED = {
    "vi": ["800,00 ≥ 665,00 (Hoàn thành)",
           "800,00 ≥ 760,00 (Tốt), nhưng nhóm II (Dân vận) đạt 64,0\u00a0% điểm tối đa, dưới mức sàn 70,0\u00a0%",
           "800,00 < 855,00 cần cho mức Xuất sắc"],
    "en": ["800.00 ≥ 665.00 (Completed)",
           "800.00 ≥ 760.00 (Good), but group II (Mass mobilization) reached 64.0% of its maximum, under the 70.0% floor",
           "800.00 < 855.00 needed for Excellent"],
}


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_full_reason_starts_with_the_band_got_then_what_was_missed(app, locale):
    with app.test_request_context(), force_locale(locale):
        lines = band_reasons.describe(band_reasons.row_reason(ROW, BANDS, GROUPS), BANDS, GROUPS, locale)
    assert lines == EXPECTED[locale]


def test_reason_beside_a_badge_keeps_the_missed_floor_first(app):
    with app.test_request_context(), force_locale("vi"):
        lines = band_reasons.describe(band_reasons.row_reason(ROW, BANDS, GROUPS), BANDS, GROUPS, "vi", short=True)
    assert lines[0] == "800,00 ≥ 760,00 (Tốt), nhưng nhóm II đạt 64,0\u00a0% điểm tối đa, dưới mức sàn 70,0\u00a0%"
    assert lines[1:] == ["800,00 ≥ 665,00", "800,00 < 855,00 cần cho mức Xuất sắc"]
