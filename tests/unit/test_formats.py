"""The formatting layer: one form per locale for numbers, percentages, sizes and dates."""
from datetime import date, datetime

from campaign import formats


def test_numbers_in_each_locale():
    assert formats.number(1234.5, "vi") == "1.234,50"
    assert formats.number(1234.5, "en") == "1,234.50"
    assert formats.number(882.654, "vi") == "882,65"
    assert formats.number(None, "vi") == "–"
    assert formats.number(3, "vi", 0) == "3"


def test_typed_values_come_back_in_the_locale_form():
    assert formats.plain(5.5, "vi") == "5,5"  # typed "5,5", never shown back as "5.5"
    assert formats.plain(5.5, "en") == "5.5"
    assert formats.plain(81.8, "vi") == "81,8"
    assert formats.plain(1234.0, "vi") == "1234"  # no grouping: it is a value to edit
    assert formats.plain(None, "vi") == ""


def test_percent_and_size():
    assert formats.percent(0.61, "vi") == "61 %"
    assert formats.percent(0.855, "en", 1) == "85.5%"
    assert formats.size(10 * 1024 * 1024, "vi") == "10 MB"  # not "10.0 MB"
    assert formats.size(int(2.5 * 1024 * 1024), "vi") == "2,5 MB"
    assert formats.size(2048, "en") == "2 KB"


def test_days_and_moments_have_four_digit_years_and_the_local_time():
    assert formats.day(date(2027, 1, 13), "vi") == "13/01/2027"
    assert formats.day(date(2027, 1, 13), "en") == "13 Jan 2027"
    # 10:00 UTC is 17:00 in Hà Nội
    assert formats.moment(datetime(2026, 11, 30, 10, 0), "vi") == "30/11/2026 17:00"
    assert formats.moment(datetime(2026, 11, 30, 10, 0), "en") == "30 Nov 2026 17:00"
    # 20:00 UTC on the 30th is already 1 December in Hà Nội
    assert formats.day(datetime(2026, 11, 30, 20, 0), "vi") == "01/12/2026"
    assert formats.moment(None, "en") == "–"
