"""CSV files for units and for cluster membership (UTF-8, comma or semicolon separated).

Units: ``code,name,name_en,kind,parent_code,population,area_km2,valid_from,valid_to``
(``code``, ``name`` and ``kind`` required; the rest optional).
Cluster membership: ``cluster_code,cluster_name,unit_code,role`` (``role`` = head, deputy or empty).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from . import ImportFormatError
from .sheets import CSV_LIMITS, read_rows

UNIT_COLUMNS = ("code", "name", "name_en", "kind", "parent_code", "population", "area_km2", "valid_from", "valid_to")
UNIT_REQUIRED = ("code", "name", "kind")
CLUSTER_COLUMNS = ("cluster_code", "cluster_name", "unit_code", "role")
CLUSTER_REQUIRED = ("cluster_code", "unit_code")


@dataclass
class CsvRow:
    row: int
    values: dict
    problem: str | None = None
    parsed: dict = field(default_factory=dict)


def _read(data: bytes, required: tuple[str, ...], known: tuple[str, ...]) -> list[CsvRow]:
    if not data or not data.strip():
        raise ImportFormatError(_("Tệp rỗng: không có dữ liệu để nhập."))
    rows = read_rows(data, "units.csv", CSV_LIMITS, formats=("csv",))
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFormatError(_("Thiếu cột bắt buộc: %(cols)s. Các cột được dùng: %(all)s.",
                                  cols=", ".join(missing), all=", ".join(known)))
    out = []
    for n, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        values = {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header) if h in known}
        out.append(CsvRow(n, values))
    if not out:
        raise ImportFormatError(_("Tệp chỉ có dòng tiêu đề, không có dữ liệu."))
    return out


def _date(text: str) -> date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_units_csv(data: bytes, kinds: tuple[str, ...]) -> list[CsvRow]:
    rows = _read(data, UNIT_REQUIRED, UNIT_COLUMNS)
    for r in rows:
        v = r.values
        missing = [c for c in UNIT_REQUIRED if not v.get(c)]
        if missing:
            r.problem = _("thiếu %(cols)s", cols=", ".join(missing))
            continue
        if v["kind"] not in kinds:
            r.problem = _("loại đơn vị “%(kind)s” không hợp lệ (dùng: %(kinds)s)", kind=v["kind"], kinds=", ".join(kinds))
            continue
        try:
            r.parsed = {
                "population": int(v["population"].replace(".", "").replace(",", "")) if v.get("population") else None,
                "area_km2": float(v["area_km2"].replace(",", ".")) if v.get("area_km2") else None,
            }
        except ValueError:
            r.problem = _("dân số hoặc diện tích không phải là số")
            continue
        try:
            r.parsed["valid_from"] = _date(v.get("valid_from", ""))
            r.parsed["valid_to"] = _date(v.get("valid_to", ""))
        except ValueError:
            r.problem = _("ngày không hợp lệ (dùng YYYY-MM-DD hoặc DD/MM/YYYY)")
    return rows


def parse_clusters_csv(data: bytes) -> list[CsvRow]:
    rows = _read(data, CLUSTER_REQUIRED, CLUSTER_COLUMNS)
    for r in rows:
        v = r.values
        missing = [c for c in CLUSTER_REQUIRED if not v.get(c)]
        if missing:
            r.problem = _("thiếu %(cols)s", cols=", ".join(missing))
        elif v.get("role", "") not in ("", "head", "deputy"):
            r.problem = _("vai trò “%(role)s” không hợp lệ (head, deputy hoặc để trống)", role=v["role"])
    return rows
