"""Reading the GSO administrative-unit list (danh mục đơn vị hành chính) as GSO exports it.

GSO's export has one row per commune-level unit with these columns:
``Tỉnh Thành Phố, Mã TP, Quận Huyện, Mã QH, Phường Xã, Mã PX, Cấp, Tên Tiếng Anh``.
Lists from 1 July 2025 have no district columns (two tiers); ``Tên Tiếng Anh`` is informational
and may be absent. The header row is searched for in the first rows of every sheet. A
district with no commune (island districts: Bạch Long Vĩ, Côn Đảo, Lý Sơn…) is a row with
``Cấp`` = "Huyện" and an empty ``Mã PX``. Both ``.xls`` (xlrd) and ``.xlsx`` (openpyxl) are read;
codes keep their leading zeros (``01``, ``001``, ``00001``) also when a spreadsheet made them numbers.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _

from . import ImportFormatError, SourceUnit
from .sheets import GSO_LIMITS, read_sheets

GSO_COLUMNS = ("Tỉnh Thành Phố", "Mã TP", "Quận Huyện", "Mã QH", "Phường Xã", "Mã PX", "Cấp", "Tên Tiếng Anh")
REQUIRED_COLUMNS = ("Tỉnh Thành Phố", "Mã TP", "Phường Xã", "Mã PX", "Cấp")
DISTRICT_COLUMNS = ("Quận Huyện", "Mã QH")
HEADER_SEARCH_ROWS = 30  # the header must be within the first rows of a sheet
MAX_SHEETS = 20
_CODE_WIDTH = {"Mã TP": 2, "Mã QH": 3, "Mã PX": 5}
# "Cấp" of a commune-level row -> unit kind
COMMUNE_KINDS = {"phường": "ward", "xã": "commune", "thị trấn": "township", "đặc khu": "special_zone"}
# "Cấp" of a district-only row (no Mã PX) -> unit kind
DISTRICT_LEVELS = {"quận": "urban_district", "huyện": "rural_district", "thị xã": "town",
                   "thành phố": "provincial_city"}
# prefix of a district name -> unit kind ("Thành phố" under a province is a thành phố thuộc tỉnh)
DISTRICT_PREFIXES = (("quận", "urban_district"), ("huyện", "rural_district"), ("thị xã", "town"),
                     ("thành phố", "provincial_city"))
# prefix of a province name -> unit kind
PROVINCE_PREFIXES = (("thành phố", "city"), ("tỉnh", "province"))


@dataclass(frozen=True)
class GsoRow:
    row: int  # 1-based row number in the sheet
    city_name: str
    city_code: str
    district_name: str  # "" in a two-tier list
    district_code: str
    name: str  # "" on a district-only row
    code: str
    level_label: str
    name_en: str
    kind: str | None  # None when "Cấp" is not a commune-level type (or on a district-only row)
    district_kind: str | None
    city_kind: str | None = None
    problem: str | None = None  # why the row cannot be used (the import is then refused)


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


def _by_prefix(name: str, prefixes) -> str | None:
    k = _key(name)
    for prefix, kind in prefixes:
        if k.startswith(prefix + " "):
            return kind
    return None


def district_kind(name: str) -> str | None:
    return _by_prefix(name, DISTRICT_PREFIXES)


def province_kind(name: str) -> str | None:
    return _by_prefix(name, PROVINCE_PREFIXES)


def _read_sheets(data: bytes, filename: str) -> list[tuple[str, list[list]]]:
    """(name, rows) of every sheet, rows as lists of cell values; read within bounds (sheets.GSO_LIMITS)."""
    return read_sheets(data, filename, GSO_LIMITS, formats=("xls", "xlsx"))[:MAX_SHEETS]


def _find_header(sheets) -> tuple[list[list], int, dict[str, int]]:
    """The sheet, 0-based header row and column index of the first header with every required column."""
    best: tuple[int, str, int, list[str]] | None = None  # (found, sheet, row, missing)
    for name, rows in sheets:
        for i, raw in enumerate(rows[:HEADER_SEARCH_ROWS]):
            header = [_key(c) for c in raw]
            index = {col: header.index(_key(col)) for col in GSO_COLUMNS if _key(col) in header}
            missing = [c for c in REQUIRED_COLUMNS if c not in index]
            if not missing:
                return rows, i, index
            if best is None or len(index) > best[0]:
                best = (len(index), name, i + 1, missing)
    if best is not None and best[0] >= 2:
        raise ImportFormatError(_(
            "Dòng tiêu đề ở trang “%(sheet)s”, dòng %(row)s thiếu cột: %(cols)s. Cần các cột: %(all)s "
            "(Quận Huyện, Mã QH với danh mục trước 1/7/2025; Tên Tiếng Anh nếu có).",
            sheet=best[1], row=best[2], cols=", ".join(best[3]), all=", ".join(REQUIRED_COLUMNS)))
    raise ImportFormatError(_(
        "Không tìm thấy dòng tiêu đề trong %(n)s dòng đầu của các trang tính. Dòng tiêu đề phải gồm các cột: "
        "%(all)s (Quận Huyện, Mã QH với danh mục trước 1/7/2025; Tên Tiếng Anh nếu có).",
        n=HEADER_SEARCH_ROWS, all=", ".join(REQUIRED_COLUMNS)))


def parse_gso(data: bytes, filename: str = "") -> list[GsoRow]:
    """Rows of a GSO export; raises :class:`ImportFormatError` if the file is not one."""
    rows, head, index = _find_header(_read_sheets(data, filename))
    two_tier = not all(c in index for c in DISTRICT_COLUMNS)
    out: list[GsoRow] = []
    for n, raw in enumerate(rows[head + 1:], start=head + 2):
        if all(_norm(c) == "" for c in raw):
            continue
        cell = {col: raw[i] if i < len(raw) else None for col, i in index.items()}.get
        r = dict(
            row=n, city_name=_norm(cell("Tỉnh Thành Phố")), city_code=_code(cell("Mã TP"), "Mã TP"),
            district_name="" if two_tier else _norm(cell("Quận Huyện")),
            district_code="" if two_tier else _code(cell("Mã QH"), "Mã QH"),
            name=_norm(cell("Phường Xã")), code=_code(cell("Mã PX"), "Mã PX"),
            level_label=_norm(cell("Cấp")), name_en=_norm(cell("Tên Tiếng Anh")),
        )
        level = _key(r["level_label"])
        district_only = not r["code"] and not r["name"] and level in DISTRICT_LEVELS and not two_tier
        kind = None if district_only else COMMUNE_KINDS.get(level)
        dkind = None if two_tier else (district_kind(r["district_name"]) or
                                       (DISTRICT_LEVELS[level] if district_only else None))
        out.append(GsoRow(kind=kind, district_kind=dkind, city_kind=province_kind(r["city_name"]),
                          problem=_problem(r, kind, dkind, two_tier, district_only), **r))
    if not out:
        raise ImportFormatError(_("Tệp chỉ có dòng tiêu đề, không có đơn vị nào."))
    return out


def _problem(r: dict, kind, dkind, two_tier: bool, district_only: bool) -> str | None:
    if not r["city_code"] or (not two_tier and not r["district_code"]) or (not district_only and not r["code"]):
        return _("thiếu mã (Mã TP, Mã QH hoặc Mã PX)")
    if not r["city_name"] or (not two_tier and not r["district_name"]) or (not district_only and not r["name"]):
        return _("thiếu tên đơn vị")
    if province_kind(r["city_name"]) is None:
        return _("không nhận ra loại đơn vị cấp tỉnh của “%(name)s”", name=r["city_name"])
    if not district_only and kind is None:
        return _("cấp “%(level)s” không phải phường, xã, thị trấn hay đặc khu", level=r["level_label"])
    if not two_tier and dkind is None:
        return _("không nhận ra loại đơn vị cấp huyện của “%(name)s”", name=r["district_name"])
    return None


def source_units(rows: list[GsoRow]) -> list[SourceUnit]:
    """The file's units, each once, parents first: provinces, districts, then commune-level units.

    A refused row, a code listed twice, or one code with two names is a :class:`SourceUnit` with a problem.
    """
    provinces: dict[str, SourceUnit] = {}
    districts: dict[str, SourceUnit] = {}
    communes: dict[str, SourceUnit] = {}
    refused: list[SourceUnit] = []
    for r in rows:
        if r.problem:
            refused.append(SourceUnit(r.row, r.code or r.district_code, r.name or r.district_name, None, None,
                                      problem=r.problem))
            continue
        p = SourceUnit(r.row, r.city_code, r.city_name, r.city_kind, None)
        if provinces.setdefault(r.city_code, p).name != r.city_name:
            refused.append(_clash(r.row, r.city_code, r.city_name, provinces[r.city_code].name))
            continue
        parent = r.city_code
        if r.district_code:
            d = SourceUnit(r.row, r.district_code, r.district_name, r.district_kind, r.city_code)
            known = districts.setdefault(r.district_code, d)
            if (known.name, known.parent_code) != (d.name, d.parent_code):
                refused.append(_clash(r.row, r.district_code, r.district_name, known.name))
                continue
            parent = r.district_code
        if not r.code:
            continue  # a district with no commune-level unit
        if r.code in communes:
            refused.append(SourceUnit(r.row, r.code, r.name, None, None,
                                      problem=_("mã %(code)s bị lặp trong tệp (dòng %(row)s)", code=r.code,
                                                row=communes[r.code].row)))
            continue
        communes[r.code] = SourceUnit(r.row, r.code, r.name, r.kind, parent, r.name_en)
    return [*provinces.values(), *districts.values(), *communes.values(), *refused]


def _clash(row: int, code: str, name: str, other: str) -> SourceUnit:
    return SourceUnit(row, code, name, None, None,
                      problem=_("mã %(code)s đã có tên “%(other)s” ở dòng trước", code=code, other=other))
