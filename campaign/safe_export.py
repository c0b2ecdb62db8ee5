"""Writing user text into CSV and XLSX exports so that it stays text: the one place every export uses.

A unit name, a value or an explanation typed by a user can start with ``=``, ``+``, ``-`` or
``@``; a spreadsheet program would run it as a formula (``=HYPERLINK(...)`` leaking the row
to another site, ``=cmd|' /C calc'!A0`` starting a program). The two formats need different
guards:

* XLSX has types: every string is written as a string cell (openpyxl ``data_type "s"``, an
  inline string), never as a formula, and keeps its exact text — so a workbook we hand out and
  get back unchanged reads back identical (the officer's values round trip).
* CSV has no types: a text starting with a formula character gets a leading apostrophe
  (OWASP's advice), which spreadsheet programs show as text.

Characters that XML 1.0 cannot hold (control characters other than tab and line breaks)
become U+FFFD instead of making openpyxl raise in the middle of an export.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: formula-looking text gets a leading apostrophe, None is empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document with a BOM (Excel then opens UTF-8 Vietnamese correctly); every cell guarded."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + out.getvalue()


def xlsx_value(value: Any) -> Any:
    """A value openpyxl can store: text without XML-illegal control characters."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Set one cell of a normal worksheet; text is always a string cell, never a formula."""
    cell = ws.cell(row=row, column=column)
    cell.value = xlsx_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def append(ws: Worksheet, values: Sequence[Any]) -> int:
    """Append a row (normal or write-only worksheet) with :func:`put`'s guarantee; returns its number."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(ws, value=xlsx_value(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"
        cells.append(cell)
    ws.append(cells)
    return getattr(ws, "max_row", 0)


def xlsx_bytes(title: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook (streamed: memory stays flat for large exports)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    append(ws, header)
    for row in rows:
        append(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["XLSX_MIMETYPE", "append", "csv_cell", "csv_text", "put", "xlsx_bytes", "xlsx_value"]
