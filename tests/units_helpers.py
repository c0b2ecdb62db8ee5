"""Builders for the units feature's tests: small GSO-format files made from rows."""
from __future__ import annotations

import io

from openpyxl import Workbook

from tests.admin_helpers import GSO_HEADER

HN = ("Thành phố Hà Nội", "01")


def gso_file(rows: list[list], header: list[str] | None = None, *, above: list[list] | None = None,
             first_sheet: list[list] | None = None) -> bytes:
    """A GSO-format .xlsx: ``above`` are title rows before the header, ``first_sheet`` a sheet before the data."""
    wb = Workbook()
    ws = wb.active
    if first_sheet is not None:
        ws.title = "Ghi chú"
        for r in first_sheet:
            ws.append(r)
        ws = wb.create_sheet("Danh mục")
    for r in above or []:
        ws.append(r)
    ws.append(header or GSO_HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(district: str, district_code: str, name: str, code: str, level: str,
        city: tuple[str, str] = HN) -> list[str]:
    return [city[0], city[1], district, district_code, name, code, level, ""]
