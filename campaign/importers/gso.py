"""Reading the GSO administrative-unit list (danh mục đơn vị hành chính) as GSO exports it.

GSO's export has one row per commune-level unit with exactly these columns:
``Tỉnh Thành Phố, Mã TP, Quận Huyện, Mã QH, Phường Xã, Mã PX, Cấp, Tên Tiếng Anh``.
Both the old ``.xls`` (read with xlrd) and ``.xlsx`` (openpyxl) are accepted. Codes are
kept as text with their leading zeros (``01``, ``001``, ``00001``), also when a
spreadsheet program turned them into numbers.
"""
from __future__ import annotations

import io
import os
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _

from . import ImportFormatError

GSO_COLUMNS = ("Tỉnh Thành Phố", "Mã TP", "Quận Huyện", "Mã QH", "Phường Xã", "Mã PX", "Cấp", "Tên Tiếng Anh")
_CODE_WIDTH = {"Mã TP": 2, "Mã QH": 3, "Mã PX": 5}
# "Cấp" of a commune-level row -> unit kind
COMMUNE_KINDS = {"phường": "ward", "xã": "commune", "thị trấn": "township"}
# prefix of a district name -> unit kind
DISTRICT_PREFIXES = (("quận", "urban_district"), ("huyện", "rural_district"), ("thị xã", "town"),
                     ("thành phố", "town"))


@dataclass(frozen=True)
class GsoRow:
    row: int  # 1-based row number in the sheet (the header is row 1)
    city_name: str
    city_code: str
    district_name: str
    district_code: str
    name: str
    code: str
    level_label: str
    name_en: str
    kind: str | None  # None when "Cấp" is not a commune-level type
    district_kind: str | None
    problem: str | None = None  # why the row cannot be used (it is then skipped)


def _norm(text) -> str:
    return unicodedata.normalize("NFC", str(text if text is not None else "")).strip()


def _key(text) -> str:
    return " ".join(_norm(text).lower().split())


def _code(value, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _norm(value)
    if text.isdigit():
        text = text.zfill(_CODE_WIDTH[column])
    return text


def district_kind(name: str) -> str | None:
    k = _key(name)
    for prefix, kind in DISTRICT_PREFIXES:
        if k.startswith(prefix + " "):
            return kind
    return None


def _read_sheet(data: bytes, filename: str) -> list[list]:
    """All rows of the first sheet as lists of cell values."""
    if not data:
        raise ImportFormatError(_("Tệp rỗng: không có dữ liệu để nhập."))
    ext = os.path.splitext(filename or "")[1].lower()
    is_zip = data[:2] == b"PK"
    is_ole = data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if is_ole or (ext == ".xls" and not is_zip):
        import xlrd

        try:
            with open(os.devnull, "w") as log:
                book = xlrd.open_workbook(file_contents=data, logfile=log)
            sheet = book.sheet_by_index(0)
            return [sheet.row_values(r) for r in range(sheet.nrows)]
        except Exception as exc:  # noqa: BLE001 - xlrd raises many kinds for broken files
            raise ImportFormatError(_("Không đọc được tệp .xls: %(err)s", err=str(exc))) from exc
    if is_zip or ext == ".xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            book.close()
            return rows
        except Exception as exc:  # noqa: BLE001 - zipfile/openpyxl raise many kinds
            raise ImportFormatError(_("Không đọc được tệp .xlsx: %(err)s", err=str(exc))) from exc
    raise ImportFormatError(_("Định dạng tệp không được hỗ trợ: hãy dùng tệp .xls hoặc .xlsx xuất từ Tổng cục Thống kê."))


def parse_gso(data: bytes, filename: str = "") -> list[GsoRow]:
    """Rows of a GSO export; raises :class:`ImportFormatError` if the file is not one."""
    rows = _read_sheet(data, filename)
    # drop fully empty rows at the end / start
    while rows and all(_norm(c) == "" for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFormatError(_("Tệp rỗng: không có dữ liệu để nhập."))
    header = [_key(c) for c in rows[0]]
    index = {}
    missing = []
    for col in GSO_COLUMNS:
        try:
            index[col] = header.index(_key(col))
        except ValueError:
            missing.append(col)
    if missing:
        raise ImportFormatError(_(
            "Thiếu cột bắt buộc của tệp Tổng cục Thống kê: %(cols)s. Dòng tiêu đề phải gồm: %(all)s.",
            cols=", ".join(missing), all=", ".join(GSO_COLUMNS)))
    if len(rows) < 2:
        raise ImportFormatError(_("Tệp chỉ có dòng tiêu đề, không có đơn vị nào."))

    out: list[GsoRow] = []
    for n, raw in enumerate(rows[1:], start=2):
        cells = list(raw) + [None] * (len(header) - len(raw))

        def cell(col):
            return cells[index[col]]

        if all(_norm(c) == "" for c in cells):
            continue
        r = dict(
            row=n, city_name=_norm(cell("Tỉnh Thành Phố")), city_code=_code(cell("Mã TP"), "Mã TP"),
            district_name=_norm(cell("Quận Huyện")), district_code=_code(cell("Mã QH"), "Mã QH"),
            name=_norm(cell("Phường Xã")), code=_code(cell("Mã PX"), "Mã PX"),
            level_label=_norm(cell("Cấp")), name_en=_norm(cell("Tên Tiếng Anh")),
        )
        kind = COMMUNE_KINDS.get(_key(r["level_label"]))
        dkind = district_kind(r["district_name"])
        problem = None
        if not (r["city_code"] and r["district_code"] and r["code"]):
            problem = _("thiếu mã (Mã TP, Mã QH hoặc Mã PX)")
        elif not r["name"] or not r["district_name"]:
            problem = _("thiếu tên đơn vị")
        elif kind is None:
            problem = _("cấp “%(level)s” không phải phường, xã hay thị trấn", level=r["level_label"])
        elif dkind is None:
            problem = _("không nhận ra loại đơn vị cấp huyện của “%(name)s”", name=r["district_name"])
        out.append(GsoRow(kind=kind, district_kind=dkind, problem=problem, **r))
    if not out:
        raise ImportFormatError(_("Tệp chỉ có dòng tiêu đề, không có đơn vị nào."))
    return out
