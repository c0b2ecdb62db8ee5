"""Integers typed into URLs and query strings: one parser, bounded to what the database holds.

``<int:…>`` in every route uses ``IntConverter`` (registered by the app factory), so a path id
beyond ``MAX_INT`` simply does not match (404) instead of overflowing SQLite's or PostgreSQL's
integer (a 500). Query-string and form integers go through ``to_int`` — via ``IntField`` in a
WTForms form or ``arg_int`` — with the same bound.
"""
from __future__ import annotations

import re

from flask import request
from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.routing import Map
from werkzeug.routing.converters import IntegerConverter, ValidationError
from wtforms import IntegerField

MAX_INT = 2**31 - 1  # PostgreSQL INTEGER: ids, pages and counts beyond it are "not there"
_DIGITS = re.compile(rf"-?[0-9]{{1,{len(str(MAX_INT))}}}")


def to_int(text: object, *, lo: int = 0, hi: int = MAX_INT) -> int | None:
    """The integer written in ``text`` (ASCII digits, optional minus) when within [lo, hi], else None."""
    if text is None:
        return None
    text = str(text).strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def arg_int(name: str, default: int | None = None, *, lo: int = 0, hi: int = MAX_INT) -> int | None:
    """A query-string integer of the current request; ``default`` when absent or out of range."""
    value = to_int(request.args.get(name), lo=lo, hi=hi)
    return default if value is None else value


class IntConverter(IntegerConverter):
    """The app's ``int`` URL converter: at most MAX_INT (and never a 4,000-digit parse)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_INT,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_INT if max is None else max, signed)

    def to_python(self, value: str) -> int:
        if to_int(value, lo=-MAX_INT if self.signed else 0) is None:
            raise ValidationError()
        return super().to_python(value)


class IntField(IntegerField):
    """A WTForms integer within [lo, hi] (the database's range by default); anything else is a field error."""

    def __init__(self, label: str | None = None, validators: list | None = None, *, lo: int = 0, hi: int = MAX_INT,
                 **kwargs) -> None:
        super().__init__(label, validators, **kwargs)
        self.lo, self.hi = lo, hi

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or valuelist[0] in ("", None):
            return
        self.data = to_int(valuelist[0], lo=self.lo, hi=self.hi)
        if self.data is None:
            raise ValueError(_("Hãy nhập một số nguyên từ %(lo)s đến %(hi)s.", lo=format_decimal(self.lo),
                               hi=format_decimal(self.hi)))
