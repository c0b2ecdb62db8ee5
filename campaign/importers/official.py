"""The official unit list from 1 July 2025 and its lineage, read from two pinned PyPI packages.

* ``vietnam-provinces`` (2025.10.1, data of 2025-10-18 from GSO's list): the 34 province-level
  and 3,321 commune-level units with their GSO codes and types — the source of codes and names.
* ``vietnamadminunits`` (1.0.4): the pre-2025 list (63 provinces, districts, 10,040 communes with
  their GSO codes) and its old→new conversion table — the source of lineage. Its own new-unit
  codes differ from GSO's for ~120 units, so new units are matched to it by name key, never by code.

No database access here: :func:`official_list` returns plain rows for ``campaign.services.setup.unit_sync``.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import metadata, util
from pathlib import Path

from . import ImportFormatError, SourceUnit

REFORM_DATE = date(2025, 7, 1)  # Resolutions 202/2025/QH15 and the NQ-UBTVQH15 of June 2025 take effect
PROVINCE_KINDS = {"thành phố trung ương": "city", "tỉnh": "province"}
COMMUNE_KINDS = {"phường": "ward", "xã": "commune", "đặc khu": "special_zone"}
OLD_DISTRICT_KINDS = {"Quận": "urban_district", "Huyện": "rural_district", "Thị xã": "town",
                      "Thành phố": "provincial_city"}
OLD_COMMUNE_KINDS = {"Phường": "ward", "Xã": "commune", "Thị trấn": "township"}


@dataclass(frozen=True)
class LineageLink:
    successor_code: str
    predecessor_code: str
    event: str  # merger | split | rename | kept


@dataclass
class OfficialList:
    source: str  # packages and versions, recorded with every lineage row
    units: list[SourceUnit]  # the province, then its commune-level units
    predecessors: list[SourceUnit] = field(default_factory=list)  # the old districts and communes involved
    links: list[LineageLink] = field(default_factory=list)


def source_label() -> str:
    return f"vietnam-provinces {metadata.version('vietnam-provinces')}, vietnamadminunits {metadata.version('vietnamadminunits')}"


def _data(package: str, name: str) -> Path:
    """A data file of a package, found without importing it (vietnamadminunits' import pulls in geopy
    and shapely and takes seconds; we only read its data)."""
    spec = util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportFormatError(f"package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


@cache
def _divisions() -> tuple[dict, ...]:
    return tuple(json.loads(_data("vietnam_provinces", "nested-divisions.json").read_text(encoding="utf-8")))


def provinces() -> list[tuple[str, str]]:
    """(code, name) of the 34 province-level units, by code."""
    return sorted((f"{p['code']:02d}", p["name"]) for p in _divisions())


@cache
def _conversion() -> dict:
    return json.loads(_data("vietnamadminunits", "converter_2025.json").read_text(encoding="utf-8"))


def _legacy_rows(old_province_keys: list[str]) -> list[sqlite3.Row]:
    path = _data("vietnamadminunits", "dataset.db")
    marks = ",".join("?" * len(old_province_keys))
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(
            "SELECT DISTINCT province, provinceCode, provinceKey, district, districtType, districtCode, districtKey,"
            f" ward, wardType, wardCode, wardKey FROM admin_units_legacy WHERE provinceKey IN ({marks})",
            old_province_keys).fetchall()


def official_list(province_code: str, with_lineage: bool = True) -> OfficialList:
    """One province's current units (and, with lineage, the old units they were formed from)."""
    code = province_code.strip().zfill(2)
    province = next((p for p in _divisions() if f"{p['code']:02d}" == code), None)
    if province is None:
        raise ImportFormatError(f"unknown province code {province_code!r}")
    units = [SourceUnit(None, code, province["name"], PROVINCE_KINDS[province["division_type"]], None)]
    key_of: dict[str, str] = {}  # vietnamadminunits' name key -> GSO code
    for w in province["wards"]:
        ward_code = f"{w['code']:05d}"
        units.append(SourceUnit(None, ward_code, w["name"], COMMUNE_KINDS[w["division_type"]], code))
        key_of[w["codename"].replace("_", "")] = ward_code
    result = OfficialList(source_label(), units)
    if with_lineage:
        _add_lineage(result, province["codename"].replace("_", ""), province["division_type"], key_of)
    return result


def _add_lineage(result: OfficialList, province_key: str, division_type: str, key_of: dict[str, str]) -> None:
    conv = _conversion()
    new_key = ("thanhpho" if division_type == "thành phố trung ương" else "tinh") + province_key
    whole = conv["DICT_PROVINCE_WARD_NO_DIVIDED"].get(new_key, {})  # new ward key -> [old keys]
    split = conv["DICT_PROVINCE_WARD_DIVIDED"].get(new_key, {})  # old key -> [{newWardKey, ...}]
    pairs: dict[tuple[str, str], bool] = {}  # (new key, old key) -> the old unit was split
    for new, olds in whole.items():
        for old in olds:
            pairs[(new, old)] = False
    for old, news in split.items():
        for n in news:
            pairs[(n["newWardKey"], old)] = True
    legacy = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r
              for r in _legacy_rows(conv["DICT_PROVINCE"].get(new_key, []))}
    n_preds: dict[str, int] = {}
    for new, _old in pairs:
        n_preds[new] = n_preds.get(new, 0) + 1
    names = {u.code: u.name for u in result.units}
    seen_old: set[str] = set()
    for (new, old), was_split in sorted(pairs.items()):
        successor, row = key_of.get(new), legacy.get(old)
        if successor is None or row is None or not row["wardCode"]:
            continue  # a key the name lists do not share: no link rather than a wrong one
        if was_split:
            event = "split"
        elif n_preds[new] > 1:
            event = "merger"
        else:
            event = "kept" if names[successor] == row["ward"] else "rename"
        result.links.append(LineageLink(successor, row["wardCode"], event))
        if row["wardCode"] not in seen_old:
            seen_old.add(row["wardCode"])
            result.predecessors.append(_old_unit(row))
    districts = {(r["districtCode"], r["district"], r["districtType"], r["provinceCode"])
                 for r in legacy.values() if r["wardCode"] in seen_old}
    result.predecessors[:0] = [SourceUnit(None, d, name, OLD_DISTRICT_KINDS.get(kind), p)
                               for d, name, kind, p in sorted(districts)]


def _old_unit(row: sqlite3.Row) -> SourceUnit:
    return SourceUnit(None, row["wardCode"], row["ward"], OLD_COMMUNE_KINDS.get(row["wardType"]), row["districtCode"])
