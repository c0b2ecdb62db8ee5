"""Bounded reading of uploaded spreadsheets (.xlsx, .xls, .csv): the one reader every import uses.

An uploaded workbook is hostile until measured. A 6 KB XLSX can declare a sheet of
1,048,576 × 16,384 cells, a 10 MB one can unpack to 177 MB, and openpyxl pads every row it
returns up to the declared width; either kept a web worker busy past its timeout. So, before
any cell is parsed, :func:`read_rows` checks what the file *declares* — the zip members'
uncompressed sizes and compression ratios, the number of sheets, the sheet's dimension —
against :class:`Limits` sized for the largest legitimate file of that import, and then reads
at most ``max_rows`` rows of ``read_cols`` columns, refusing (not truncating) a sheet that goes
on. Parsing work is linear in the uncompressed bytes, so the byte budget bounds the time.
(zipfile never inflates more than a member's declared size, so declared sizes can be trusted
as upper bounds; a lie fails the CRC check and is refused like any broken file.)

XML entity tricks (billion laughs, XXE) are refused by defusedxml, which openpyxl uses when it
is installed (pinned in requirements.txt); every parser error becomes :class:`ImportFormatError`
with a message the user can act on, never a 500.
"""
from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
import openpyxl
import xlrd
from flask_babel import format_decimal
from flask_babel import gettext as _

from . import ImportFormatError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class Limits:
    """What one import accepts; each use sizes these for its largest legitimate file."""

    max_rows: int  # rows of the sheet read, header included
    max_cols: int  # widest sheet accepted (declared dimension / CSV fields)
    read_cols: int  # columns returned per row (the rest is ignored without being copied)
    max_bytes: int  # XLSX: uncompressed size of all parts; XLS/CSV: the file size
    max_sheets: int = 32
    max_ratio: int = 200  # uncompressed / compressed size of one XLSX part
    max_members: int = 256  # parts in the XLSX zip


class SheetNotFound(ImportFormatError):
    """The workbook is readable but has no sheet of the requested name."""


def number_text(value: int) -> str:
    """An integer as the user's locale writes it (1.048.576 in Vietnamese)."""
    try:
        return format_decimal(value, format="#,##0")
    except Exception:  # noqa: BLE001 - outside a request babel may have no locale
        return str(value)


def kind_of(data: bytes, filename: str) -> str | None:
    """'xlsx', 'xls', 'csv' or None, from the content first and the extension second."""
    ext = os.path.splitext(filename or "")[1].lower()
    if data[:8] == OLE_MAGIC:
        return "xls"
    if data[:2] == b"PK":
        return "xlsx"
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    if ext == ".xls":
        return "xls"
    if ext in (".csv", ".txt"):
        return "csv"
    return None


def read_rows(data: bytes, filename: str, limits: Limits, *, sheet: str | None = None,
              formats: tuple[str, ...] = ("xlsx", "xls", "csv")) -> list[list]:
    """Rows (lists of at most ``read_cols`` cell values) of ``sheet`` (default: the first one).

    Raises :class:`ImportFormatError` when the file is empty, of another format, over a
    limit or unreadable, and :class:`SheetNotFound` when ``sheet`` is missing.
    """
    return _read(data, filename, limits, formats, sheet=sheet, every=False)[0][1]


def read_sheets(data: bytes, filename: str, limits: Limits,
                formats: tuple[str, ...] = ("xlsx", "xls", "csv")) -> list[tuple[str, list[list]]]:
    """(title, rows) of every sheet (at most ``max_sheets``), each bounded like :func:`read_rows`."""
    return _read(data, filename, limits, formats, sheet=None, every=True)


def _read(data: bytes, filename: str, limits: Limits, formats: tuple[str, ...], *, sheet: str | None,
          every: bool) -> list[tuple[str, list[list]]]:
    if not data:
        raise ImportFormatError(_("Tệp rỗng: không có dữ liệu để nhập."))
    kind = kind_of(data, filename)
    if kind not in formats:
        raise ImportFormatError(_("Định dạng tệp không được hỗ trợ; hãy dùng tệp %(kinds)s.",
                                  kinds=", ".join("." + f for f in formats)))
    if kind != "xlsx" and len(data) > limits.max_bytes:
        raise ImportFormatError(_("Tệp quá lớn (%(size)s MB; tối đa %(max)s MB).",
                                  size=number_text(-(-len(data) // 2**20)), max=number_text(limits.max_bytes // 2**20)))
    if kind == "xlsx":
        return _read_xlsx(data, limits, sheet, every)
    if kind == "xls":
        return _read_xls(data, limits, sheet, every)
    return [("", _read_csv(data, limits))]


# --------------------------------------------------------------------------- common checks

def _too_many_rows(limits: Limits) -> ImportFormatError:
    return ImportFormatError(_("Bảng tính có quá nhiều dòng (tối đa %(max)s dòng); không có dữ liệu nào được nhập. "
                               "Hãy chia tệp thành nhiều tệp nhỏ hơn.", max=number_text(limits.max_rows)))


def _check_shape(rows: int | None, cols: int | None, limits: Limits) -> None:
    if rows is not None and rows > limits.max_rows:
        raise ImportFormatError(_("Bảng tính khai báo %(rows)s dòng, nhiều hơn mức tối đa %(max)s dòng; "
                                  "không có dữ liệu nào được nhập.", rows=number_text(rows), max=number_text(limits.max_rows)))
    if cols is not None and cols > limits.max_cols:
        raise ImportFormatError(_("Bảng tính khai báo %(cols)s cột, nhiều hơn mức tối đa %(max)s cột; "
                                  "không có dữ liệu nào được nhập.", cols=number_text(cols), max=number_text(limits.max_cols)))


def _unreadable(fmt: str) -> ImportFormatError:
    return ImportFormatError(_("Không đọc được tệp %(fmt)s: tệp bị hỏng, có mật khẩu hoặc chứa nội dung không an toàn. "
                               "Hãy mở tệp bằng Excel, lưu lại rồi tải lên lần nữa.", fmt=fmt))


# --------------------------------------------------------------------------- XLSX

def _preflight_zip(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse by declared sizes before anything is inflated."""
    members = zf.infolist()
    if len(members) > limits.max_members:
        raise _unreadable(".xlsx")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:  # encrypted member
            raise _unreadable(".xlsx")
        total += info.file_size
        if info.file_size > 2**20 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ImportFormatError(_("Tệp .xlsx bị nén bất thường (một phần nở ra gấp hơn %(ratio)s lần); "
                                      "không có dữ liệu nào được nhập.", ratio=number_text(limits.max_ratio)))
    if total > limits.max_bytes:
        raise ImportFormatError(_("Tệp .xlsx quá lớn khi giải nén (%(size)s MB; tối đa %(max)s MB); "
                                  "không có dữ liệu nào được nhập. Hãy chia tệp thành nhiều tệp nhỏ hơn.",
                                  size=number_text(-(-total // 2**20)), max=number_text(limits.max_bytes // 2**20)))


def _workbook_part(zf: zipfile.ZipFile) -> str:
    rels = SafeET.fromstring(zf.read("_rels/.rels"))
    for rel in rels.iter(f"{PKG_REL_NS}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").lstrip("/")
    raise KeyError("officeDocument")


def _preflight_sheets(zf: zipfile.ZipFile, limits: Limits) -> None:
    """openpyxl parses every listed sheet at load: refuse many sheets or one part listed twice."""
    part = _workbook_part(zf)
    book = SafeET.fromstring(zf.read(part))
    ids = [s.get(f"{REL_NS}id") for s in book.iter(f"{MAIN_NS}sheet")]
    if len(ids) > limits.max_sheets:
        raise ImportFormatError(_("Tệp có %(n)s trang tính (tối đa %(max)s).",
                                  n=number_text(len(ids)), max=number_text(limits.max_sheets)))
    folder, name = part.rsplit("/", 1) if "/" in part else ("", part)
    rels_name = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    targets = {}
    if rels_name in zf.namelist():
        for rel in SafeET.fromstring(zf.read(rels_name)).iter(f"{PKG_REL_NS}Relationship"):
            targets[rel.get("Id")] = rel.get("Target")
    used = [targets.get(i) for i in ids]
    if len(set(ids)) != len(ids) or len({t for t in used if t}) != len([t for t in used if t]):
        raise _unreadable(".xlsx")


def _xlsx_rows(ws, limits: Limits) -> list[list]:
    _check_shape(ws.max_row, ws.max_column, limits)
    rows = []
    # max_row/max_col bound openpyxl's padding of missing rows and cells to what we read. openpyxl
    # yields row max_rows + 1 only when the sheet has a row element at or beyond it (even if the
    # dimension lies): refuse rather than silently drop what lies there.
    for row in ws.iter_rows(max_row=limits.max_rows + 1, max_col=limits.read_cols, values_only=True):
        if len(rows) == limits.max_rows:
            raise _too_many_rows(limits)
        rows.append(list(row))
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def _read_xlsx(data: bytes, limits: Limits, sheet: str | None, every: bool) -> list[tuple[str, list[list]]]:
    book = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _preflight_zip(zf, limits)
            _preflight_sheets(zf, limits)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if sheet is not None and sheet not in book.sheetnames:
            raise SheetNotFound(_("Không thấy trang “%(sheet)s” trong tệp.", sheet=sheet))
        if not book.worksheets:
            raise _unreadable(".xlsx")
        if every:
            return [(ws.title, _xlsx_rows(ws, limits)) for ws in book.worksheets]
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        return [(ws.title, _xlsx_rows(ws, limits))]
    except ImportFormatError:
        raise
    except Exception:  # noqa: BLE001 - zipfile, expat/defusedxml and openpyxl raise many kinds for broken files
        raise _unreadable(".xlsx") from None
    finally:
        if book is not None:
            book.close()


# --------------------------------------------------------------------------- XLS

def _xls_rows(ws, limits: Limits) -> list[list]:
    width = max((ws.row_len(r) for r in range(ws.nrows)), default=0)
    _check_shape(ws.nrows, width, limits)
    rows = []
    for r in range(ws.nrows):
        values = ws.row_values(r, 0, min(limits.read_cols, ws.row_len(r)))
        rows.append([None if v == "" else v for v in values] + [None] * (limits.read_cols - len(values)))
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def _read_xls(data: bytes, limits: Limits, sheet: str | None, every: bool) -> list[tuple[str, list[list]]]:
    try:
        with open(os.devnull, "w") as log:
            # on_demand: only the sheets asked for are parsed; ragged_rows: no padding to the widest row
            book = xlrd.open_workbook(file_contents=data, logfile=log, on_demand=True, ragged_rows=True)
        try:
            if book.nsheets > limits.max_sheets:
                raise ImportFormatError(_("Tệp có %(n)s trang tính (tối đa %(max)s).",
                                          n=number_text(book.nsheets), max=number_text(limits.max_sheets)))
            names = book.sheet_names()
            if sheet is not None and sheet not in names:
                raise SheetNotFound(_("Không thấy trang “%(sheet)s” trong tệp.", sheet=sheet))
            if every:
                return [(name, _xls_rows(book.sheet_by_index(i), limits)) for i, name in enumerate(names)]
            ws = book.sheet_by_name(sheet) if sheet is not None else book.sheet_by_index(0)
            return [(ws.name, _xls_rows(ws, limits))]
        finally:
            book.release_resources()
    except ImportFormatError:
        raise
    except Exception:  # noqa: BLE001 - xlrd raises many kinds for broken files
        raise _unreadable(".xls") from None


# --------------------------------------------------------------------------- CSV

def _read_csv(data: bytes, limits: Limits) -> list[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFormatError(_("Tệp CSV phải được lưu với bảng mã UTF-8.")) from None
    if not text.strip():
        raise ImportFormatError(_("Tệp rỗng: không có dữ liệu để nhập."))
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) == limits.max_rows:
                raise _too_many_rows(limits)
            if len(row) > limits.max_cols:
                raise ImportFormatError(_("Dòng %(row)s có %(cols)s cột, nhiều hơn mức tối đa %(max)s cột.",
                                          row=number_text(len(rows) + 1), cols=number_text(len(row)),
                                          max=number_text(limits.max_cols)))
            rows.append(row[: limits.read_cols])
    except csv.Error:
        raise ImportFormatError(_("Tệp CSV bị lỗi định dạng (dấu ngoặc kép không đóng hoặc ô quá dài).")) from None
    return rows


# --------------------------------------------------------------------------- the bounds of each import
# Each is sized for the largest legitimate file of its import with a wide margin, and small
# enough that the worst file within it parses in a few seconds on one core (docs/hostile-inputs.md).

def values_limits(expected_rows: int) -> Limits:
    """The values sheet (``Giá trị``): one row per unit × indicator of the template we hand out.

    ``expected_rows`` is that template's row count (an officer: the framework's indicators;
    the commission: participants × indicators). 1,000 spare rows allow notes and blank lines;
    1 KiB per row is twice what Excel or openpyxl write for a template row, plus 4 MiB for
    styles, theme and shared strings.
    """
    return Limits(max_rows=expected_rows + 1_000, max_cols=64, read_cols=9,
                  max_bytes=4 * 2**20 + expected_rows * 1024)


# GSO unit lists: one row per commune-level unit; the national list (11,362 units) fits with
# room for header lines and later lists. Its .xlsx is ≈ 6 MiB unpacked; 32 MiB is the budget.
GSO_LIMITS = Limits(max_rows=20_000, max_cols=64, read_cols=64, max_bytes=32 * 2**20, max_sheets=64)
# Units / cluster CSVs: every unit of the country (≈ 12,100 with districts and provinces).
CSV_LIMITS = Limits(max_rows=20_000, max_cols=64, read_cols=64, max_bytes=8 * 2**20)


__all__ = ["CSV_LIMITS", "GSO_LIMITS", "Limits", "SheetNotFound", "kind_of", "number_text", "read_rows", "read_sheets",
           "values_limits"]
