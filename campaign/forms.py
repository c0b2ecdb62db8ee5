"""The base of every form: WTForms' own messages in the page's language.

WTForms ships no Vietnamese catalogue, so its built-in messages ("This field is required.",
"Not a valid choice.") reached the Vietnamese pages in English. Every form derives from ``Form``
(or ``Subform`` for the rows of a ``FieldList``), whose translations come from
``translations/wtforms/<locale>/LC_MESSAGES/wtforms.mo``; English pages keep WTForms' English.
``DecimalField`` is the one field for a typed fraction (weights, percentages, areas).
"""
from __future__ import annotations

import gettext
import math
import re
from functools import lru_cache
from pathlib import Path

from babel.numbers import get_decimal_symbol, get_group_symbol
from babel.support import Translations
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import FloatField
from wtforms import Form as _PlainForm
from wtforms.widgets import TextInput

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


_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]{1,15}(?:[.,][0-9]{1,9})?")
_LIKE_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}")


class DecimalField(FloatField):
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

    def validate(self, form, extra_validators=()) -> bool:  # type: ignore[override]
        """An unreadable number is one message, not also "must be between 0 and 100" about nothing."""
        if self.process_errors:
            self.errors = list(self.process_errors)
            return False
        return super().validate(form, extra_validators)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return format_decimal(self.data, format="0.#########")
