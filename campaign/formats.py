"""One formatting layer for what people read: numbers, percentages, sizes, days and moments.

Vietnamese: ``1.234,5``, ``30/11/2026``, ``30/11/2026 17:00``; English: ``1,234.5``,
``30 Nov 2026``, ``30 Nov 2026 17:00``. Four-digit years always (Babel's "short" patterns give
"13/1/27"). Times are stored as naive UTC and shown in the configured time zone.
Pure functions of (value, locale, time zone): pages, charts, exports and e-mails call these.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

DAY = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
MOMENT = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy HH:mm"}
MISSING = "–"


def _loc(locale: str | None) -> str:
    return "en" if str(locale or "vi").startswith("en") else "vi"


def number(value: float | int | None, locale: str | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals in the locale's separators (``–`` for missing)."""
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    if round(value, digits) == 0:
        value = 0  # never "-0,00" (a penalty of nothing)
    return format_decimal(value, format=pattern, locale=_loc(locale))


def plain(value: float | int | None, locale: str | None, max_digits: int = 4, grouped: bool = False) -> str:
    """A typed-in value shown back as the person would write it: no trailing zeros, no grouping
    (``grouped``: thousands grouped, "1.234,5", for large values read rather than edited)."""
    if value is None:
        return ""
    pattern = ("#,##0" if grouped else "0") + ("." + "#" * max_digits if max_digits else "")
    return format_decimal(value, format=pattern, locale=_loc(locale))


def percent(share: float | None, locale: str | None, digits: int = 0) -> str:
    """A share (0.61) as a percentage ("61 %" in Vietnamese, "61%" in English)."""
    if share is None:
        return MISSING
    text = number(share * 100, locale, digits)
    return f"{text} %" if _loc(locale) == "vi" else f"{text}%"


def size(n_bytes: int | None, locale: str | None) -> str:
    """A file size in KB or MB with one decimal in the locale's format (10 MB → "10 MB")."""
    if n_bytes is None:
        return MISSING
    if n_bytes < 1024 * 1024:
        return f"{number(n_bytes / 1024, locale, 0)} KB"
    mb = n_bytes / (1024 * 1024)
    return f"{number(mb, locale, 0 if mb == int(mb) else 1)} MB"


def _local(moment: datetime, tz: str) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz))


def day(value: date | datetime | None, locale: str | None, tz: str = "Asia/Ho_Chi_Minh") -> str:
    """A calendar day (``30/11/2026`` / ``30 Nov 2026``); a datetime is first moved to ``tz``."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        value = _local(value, tz).date()
    return format_date(value, DAY[_loc(locale)], locale=_loc(locale))


def moment(value: datetime | None, locale: str | None, tz: str = "Asia/Ho_Chi_Minh") -> str:
    """A stored UTC time shown in ``tz`` (``30/11/2026 17:00`` / ``30 Nov 2026 17:00``)."""
    if value is None:
        return MISSING
    return format_datetime(_local(value, tz), MOMENT[_loc(locale)], locale=_loc(locale))
