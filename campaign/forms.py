"""The base of every form: WTForms' own messages in the page's language.

WTForms ships no Vietnamese catalogue, so its built-in messages ("This field is required.",
"Not a valid choice.") reached the Vietnamese pages in English. Every form derives from ``Form``
(or ``Subform`` for the rows of a ``FieldList``), whose translations come from
``translations/wtforms/<locale>/LC_MESSAGES/wtforms.mo``; English pages keep WTForms' English.
``DecimalField`` is the one field for a typed fraction (weights, percentages, areas);
``DayField`` and ``MomentField`` the ones for a typed day and a day with its time.
"""
from __future__ import annotations

import gettext
import math
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import get_decimal_symbol, get_group_symbol
from babel.support import Translations
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, FloatField
from wtforms import Form as _PlainForm
from wtforms.widgets import TextInput

from campaign.formats import DAY, MOMENT
from campaign.labels import N_

CATALOGUES = Path(__file__).resolve().parent.parent / "translations" / "wtforms"


@lru_cache(maxsize=8)
def _catalogue(locale: str) -> gettext.NullTranslations:
    return Translations.load(str(CATALOGUES), [locale], domain="wtforms")


def _current() -> gettext.NullTranslations:
    locale = get_locale()
    return _catalogue(str(locale)) if locale else gettext.NullTranslations()


class PageLanguage:
    """WTForms' translations interface, asking Flask-Babel for the locale at each message."""

    def gettext(self, string: str) -> str:
        return _current().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _current().ngettext(singular, plural, n)


PAGE_LANGUAGE = PageLanguage()


class _Messages:
    def get_translations(self, form):  # noqa: ARG002 — WTForms' Meta hook
        return PAGE_LANGUAGE


class Form(FlaskForm):
    """A Flask-WTF form (CSRF, file uploads) whose built-in messages follow the page's language."""

    class Meta(_Messages):
        pass


class Subform(_PlainForm):
    """A row inside a ``FieldList``/``FormField`` (no CSRF of its own), same messages."""

    class Meta(_Messages):
        pass


class _OneMessage:
    """A typed value that cannot be read gets one message: not also "This field is required." or
    "must be between 0 and 100" about the nothing it was read as."""

    process_errors: list
    errors: list

    def validate(self, form, extra_validators=()) -> bool:
        if self.process_errors:
            self.errors = list(self.process_errors)
            return False
        return super().validate(form, extra_validators)  # type: ignore[misc]


_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]{1,15}(?:[.,][0-9]{1,9})?")
_LIKE_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}")


class DecimalField(_OneMessage, FloatField):
    """A fraction written either way: "85,5" (Vietnamese) or "85.5"; shown in the page's language.

    These settings are small numbers (weights, percentages, km²) that nobody groups by thousands,
    so one comma or one dot is the decimal mark: WTForms' ``FloatField`` refused "0,6" and
    accepted "nan" and "inf". One exception: the page's thousands separator before exactly three
    digits ("1.234" in Vietnamese, "1,234" in English) may mean 1234, so it is refused with both
    readings spelled out. What the form shows back ("3,325" in Vietnamese) reads back the same.
    A text box with a decimal keypad, not ``type="number"``: a browser set to English empties a
    number box holding "12,5" and the server would see nothing was typed.
    """

    widget = TextInput()

    def __init__(self, *args, **kwargs) -> None:
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or str(valuelist[0]).strip() == "":
            return
        text = str(valuelist[0]).strip().replace("\u00a0", "").replace(" ", "")
        value = float(text.replace(",", ".")) if _PLAIN_DECIMAL.fullmatch(text) else math.nan
        if not math.isfinite(value):
            self.data = None
            raise ValueError(_("Hãy nhập một số, ví dụ 85 hoặc 85,5 (không dùng dấu phân cách hàng nghìn)."))
        locale = str(get_locale() or "vi")
        if _LIKE_THOUSANDS.fullmatch(text) and get_group_symbol(locale) in text:
            self.data = None
            whole, fraction = text.replace(get_group_symbol(locale), " ").split()
            raise ValueError(_("“%(text)s” đọc được hai cách: hãy viết %(whole)s nếu là số nguyên, hoặc %(decimal)s "
                               "nếu là số thập phân.", text=text, whole=whole + fraction,
                               decimal=whole + get_decimal_symbol(locale) + fraction))
        self.data = value

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return format_decimal(self.data, format="0.#########")


_MONTHS = {name: k for k, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_NUMERIC_DAY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")  # day first, as Vietnam writes it
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")  # what a browser's date box and old links send
_NAMED_DAY = re.compile(r"(\d{1,2})\s+([a-z]+)\.?,?\s+(\d{4})")  # "30 Nov 2026", as English pages show it
_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")  # "Nov 30, 2026": the name makes it unambiguous
# a day, then a time: 17:00, 17h00, 17h, 5:00 pm, 5 pm
_MOMENT = re.compile(r"(.+?)(?:\s+|t)(\d{1,2})(?:(:|h)(\d{2})?)?(?::\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?")


class NoSuchDay(ValueError):
    """Written as a day, but not one of the calendar (31/02/2026)."""


def _parse_day(text: str) -> date | None:
    """The day ``text`` names, None if it is not written as a day; :class:`NoSuchDay` if it is
    written as one that does not exist."""
    text = re.sub(r"\s+", " ", text.strip().lower())
    if m := _NUMERIC_DAY.fullmatch(text):
        d, mo, y = (int(g) for g in m.groups())
    elif m := _ISO_DAY.fullmatch(text):
        y, mo, d = (int(g) for g in m.groups())
    elif (m := _NAMED_DAY.fullmatch(text)) and m.group(2) in _MONTHS:
        d, mo, y = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
    elif (m := _MONTH_FIRST.fullmatch(text)) and m.group(1) in _MONTHS:
        d, mo, y = int(m.group(2)), _MONTHS[m.group(1)], int(m.group(3))
    else:
        return None
    try:
        day = date(y, mo, d)
    except ValueError:
        raise NoSuchDay(text) from None
    return day if 1900 <= y <= 2999 else None


def _parse_moment(text: str) -> datetime | None:
    """A day and a time of day (24-hour, or with am/pm); None if ``text`` is not written so."""
    m = _MOMENT.fullmatch(re.sub(r"\s+", " ", text.strip().lower()))
    if m is None:
        return None
    day_text, hour_text, sep, minute_text, half = m.groups()
    if sep is None and half is None:  # "30/11/2026 5": a bare number is not a time
        return None
    day = _parse_day(day_text)
    hour, minute = int(hour_text), int(minute_text or 0)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if day is None or hour > 23 or minute > 59:
        return None
    return datetime(day.year, day.month, day.day, hour, minute)


_EXAMPLE = datetime(2026, 11, 30, 17, 0)


def _locale() -> str:
    return "en" if str(get_locale() or "vi").startswith("en") else "vi"


class _TypedDay(_OneMessage):
    """A text box for a day (``with_time``: and a time) typed and shown as the page shows days
    (``campaign.formats``); what cannot be read is refused with ``refusal`` and an example."""

    widget = TextInput()
    with_time = False
    refusal = ""
    data: date | datetime | None
    raw_data: list | None

    def _show(self, value) -> str:
        if self.with_time:
            return format_datetime(value, MOMENT[_locale()], locale=_locale())
        return format_date(value, DAY[_locale()], locale=_locale())

    def __call__(self, **kwargs) -> str:
        # "vd." / "e.g.": a bare example date read as a value already set (beside "empty: 01/07/2025")
        kwargs.setdefault("placeholder", _("vd. %(example)s", example=self._show(_EXAMPLE)))
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(**kwargs)  # type: ignore[misc]

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = (_parse_moment if self.with_time else _parse_day)(str(valuelist[0]))
        except NoSuchDay:
            self.data = None
            typed = str(valuelist[0]).strip()
            raise ValueError(_("Lịch không có ngày “%(text)s” (ngày viết trước tháng).", text=typed)) from None
        if self.data is None:
            raise ValueError(_(self.refusal, example=self._show(_EXAMPLE)))

    def _value(self) -> str:
        """What was read, written as the page writes days ("5/1/2027" comes back as 05/01/2027 or
        5 Jan 2027: the reading is visible); what could not be read, as it was typed."""
        if self.data is not None:
            return self._show(self.data)
        return str(self.raw_data[0]) if self.raw_data else ""


class DayField(_TypedDay, DateField):
    """A day typed as the page shows days: "30/11/2026" (day first, always) or "30 Nov 2026"; an
    ISO "2026-11-30" is read too. A text box, not ``type="date"``: the browser's date box shows
    its own language's order (11/30/2026 on an English browser) inside a Vietnamese page."""

    refusal = N_("Hãy nhập ngày theo thứ tự ngày/tháng/năm, ví dụ %(example)s.")


class MomentField(_TypedDay, DateTimeLocalField):
    """A day and a time (Vietnam time, as typed: no conversion), typed as the page shows them:
    "30/11/2026 17:00" or "30 Nov 2026 17:00"; an ISO "2026-11-30T17:00" is read too."""

    with_time = True
    refusal = N_("Hãy nhập ngày và giờ, ví dụ %(example)s.")
