"""Bringing the unit tree in line with an official list (a GSO file or the packaged 2025 list).

Never destructive: a list with a refused row changes nothing; ending units (deactivation) and
giving a reused code to a new unit (a lineage event) happen only when the caller confirms with
the token of a dry run that listed each of them. Units are never deleted or renamed into
another unit: a code that comes back with another name and type, or under another tier, is a
new unit record linked to the old one by a ``UnitLineage`` row, so history stays with the old one.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.importers import ImportFormatError, SourceUnit
from campaign.importers.gso import parse_gso, source_units
from campaign.importers.official import REFORM_DATE, LineageLink, OfficialList, official_list
from campaign.models import UNIT_LEVELS, Unit, UnitLineage
from campaign.services import audit
from campaign.services.errors import DomainError
from campaign.services.setup.units import ImportReport, kind_label

SCOPE_KINDS = ("provincial_city", "town", "urban_district", "rural_district", "ward", "commune", "township",
               "special_zone")


@dataclass
class _Sync:
    effective: date
    report: ImportReport
    lineage_source: str
    links: list[LineageLink] | None  # None: a GSO file, lineage only from reused codes


def _day(value: date) -> str:
    """A day in the reader's form (messages are worded in the request's language)."""
    return formats.day(value, str(get_locale() or "vi"))


def import_gso(data: bytes, filename: str, *, dry_run: bool = False, effective: date | None = None,
               confirm: str | None = None, user_id: int | None = None) -> ImportReport:
    """Import a GSO unit list (.xls/.xlsx): refused as a whole if any row is refused."""
    try:
        sources = source_units(parse_gso(data, filename))
    except ImportFormatError as exc:
        raise DomainError(_("Không nhập được tệp, không có thay đổi nào được lưu. %(err)s", err=exc.message)) from exc
    sync = _Sync(effective or date.today(), ImportReport("gso", dry_run), f"GSO: {filename}"[:120], None)
    return _run(sync, sources, [], dry_run, confirm, user_id, {"file": filename})


def load_official(province_code: str, *, dry_run: bool = False, effective: date | None = None,
                  confirm: str | None = None, user_id: int | None = None) -> ImportReport:
    """Load one province's list from 1 July 2025 (vietnam-provinces) with its lineage (vietnamadminunits)."""
    source = _official(province_code)
    sync = _Sync(effective or REFORM_DATE, ImportReport("official", dry_run), source.source[:120], source.links)
    return _run(sync, source.units, source.predecessors, dry_run, confirm, user_id,
                {"province": province_code, "source": source.source})


def apply_official_in_transaction(province_code: str, effective: date = REFORM_DATE) -> ImportReport:
    """The official list applied inside the caller's transaction, deactivations confirmed (demo loader).

    Report lines are translated: call it within a request context (``app.test_request_context()``)."""
    source = _official(province_code)
    sync = _Sync(effective, ImportReport("official", False), source.source[:120], source.links)
    _apply(sync, source.units, source.predecessors)
    return sync.report


def _official(province_code: str) -> OfficialList:
    try:
        return official_list(province_code)
    except ImportFormatError as exc:
        raise DomainError(_("Không có tỉnh, thành phố mã %(code)s trong danh mục chính thức.", code=province_code)) from exc


def _run(sync: _Sync, sources: list[SourceUnit], predecessors: list[SourceUnit], dry_run: bool,
         confirm: str | None, user_id: int | None, about: dict) -> ImportReport:
    report = sync.report
    try:
        _apply(sync, sources, predecessors)
        if report.refused or dry_run or (report.token and confirm != report.token):
            db.session.rollback()
            report.applied = False
            return report
        audit.record(f"units.import_{report.kind}", "unit", None,
                     after={**about, "effective": sync.effective.isoformat(), "counts": report.counts,
                            "ended": [line.code for line in report.lines if line.action in ("deactivated", "successor")]},
                     actor=user_id)
        db.session.commit()
        report.applied = True
    except Exception:
        db.session.rollback()
        raise
    return report


def _apply(sync: _Sync, sources: list[SourceUnit], predecessors: list[SourceUnit]) -> None:
    report, effective = sync.report, sync.effective
    for s in sources:
        if s.problem:
            report.add(s.row, s.code, s.name, "skipped", s.problem, None)
    report.refused = any(s.problem for s in sources)
    current = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.valid_to.is_(None)))}
    placed: dict[str, Unit] = {}
    for s in sources:
        if not s.problem:
            placed[s.code] = _place(sync, s, current, placed)
    db.session.flush()
    _end_vanished(sync, placed)
    if sync.links is not None:
        _record_links(sync, placed, predecessors)
    db.session.flush()
    ended = sorted((line.action, line.code) for line in report.lines if line.action in ("deactivated", "successor"))
    if ended:
        digest = hashlib.sha256(repr((effective.isoformat(), ended)).encode()).hexdigest()
        report.token = digest[:16]


def _place(sync: _Sync, s: SourceUnit, current: dict[str, Unit], placed: dict[str, Unit]) -> Unit:
    """Create, update or supersede the unit with this code; returns the record that is current after."""
    report, level = sync.report, UNIT_LEVELS[s.kind]
    parent = placed.get(s.parent_code) or current.get(s.parent_code) if s.parent_code else None
    unit = current.get(s.code)
    if unit is None:
        unit = _new(s, parent, sync.effective)
        report.add(s.row, s.code, s.name, "created", kind_label(s.kind), level)
        return unit
    parent_level = parent.level if parent else None
    old_parent_level = unit.parent.level if unit.parent else None
    if (unit.name != s.name and unit.kind != s.kind) or unit.level != level or parent_level != old_parent_level:
        # the code now names another unit (or the same one in another tier): a lineage event, not a rename
        unit.valid_to = sync.effective
        new = _new(s, parent, sync.effective)
        report.add(s.row, s.code, s.name, "successor", _(
            "mã %(code)s đang là “%(old)s” (%(old_kind)s): đơn vị cũ ngừng hoạt động từ %(day)s, tạo đơn vị mới "
            "“%(new)s” (%(new_kind)s) kế thừa đơn vị cũ", code=s.code, old=unit.name, old_kind=kind_label(unit.kind),
            new=s.name, new_kind=kind_label(s.kind), day=_day(sync.effective)), level)
        if sync.links is None:
            db.session.flush()
            db.session.add(UnitLineage(successor_id=new.id, predecessor_id=unit.id, effective=sync.effective,
                                       event="kept" if unit.name == s.name else "merger", source=sync.lineage_source))
        return new
    changes = []
    if unit.name != s.name:
        changes.append(_("tên “%(old)s” → “%(new)s”", old=unit.name, new=s.name))
        unit.name = s.name
    if s.name_en and unit.name_en != s.name_en:
        changes.append(_("tên tiếng Anh"))
        unit.name_en = s.name_en
    if unit.kind != s.kind:
        changes.append(_("loại %(old)s → %(new)s", old=kind_label(unit.kind), new=kind_label(s.kind)))
        unit.kind = s.kind
    if parent is not None and unit.parent is not parent:
        changes.append(_("đơn vị cấp trên → %(name)s", name=parent.name))
        unit.parent = parent
    report.add(s.row, s.code, s.name, "updated" if changes else "unchanged",
               "; ".join(changes) if changes else _("không có gì thay đổi"), level)
    return unit


def _new(s: SourceUnit, parent: Unit | None, effective: date) -> Unit:
    unit = Unit(code=s.code, name=s.name, name_en=s.name_en or None, kind=s.kind, level=UNIT_LEVELS[s.kind],
                parent=parent, valid_from=effective)
    db.session.add(unit)
    return unit


def _end_vanished(sync: _Sync, placed: dict[str, Unit]) -> None:
    """Current units under the list's provinces that the list no longer has end on the effective date."""
    roots = [u.id for u in placed.values() if u.level == 1]
    keep = {u.id for u in placed.values()}
    level2 = db.session.scalars(sa.select(Unit.id).where(Unit.parent_id.in_(roots))).all()
    vanished = db.session.scalars(
        sa.select(Unit).where(sa.or_(Unit.parent_id.in_(roots), Unit.parent_id.in_(level2)),
                              Unit.valid_to.is_(None), Unit.kind.in_(SCOPE_KINDS))
        .order_by(Unit.level, Unit.code)).all()
    for unit in vanished:
        if unit.id in keep:
            continue
        unit.valid_to = sync.effective
        sync.report.add(None, unit.code, unit.name, "deactivated", _(
            "không còn trong danh mục: ngừng hoạt động từ %(day)s (giữ lịch sử)",
            day=_day(sync.effective)), unit.level)


def _record_links(sync: _Sync, placed: dict[str, Unit], predecessors: list[SourceUnit]) -> None:
    """Lineage rows from the official mapping; predecessors missing from the database are added as history
    (bulk inserts: Hà Nội alone has 526 old communes)."""
    codes = {link.predecessor_code for link in sync.links} | {p.code for p in predecessors}
    old = _ended_by_code(codes, sync.effective)
    for level in (2, 3):  # old districts, then old communes under them
        missing = [p for p in predecessors if p.kind and UNIT_LEVELS[p.kind] == level and p.code not in old]
        if not missing:
            continue
        parent_ids = _ids_by_code({p.parent_code for p in missing if p.parent_code}, old, placed)
        db.session.execute(sa.insert(Unit), [
            {"code": p.code, "name": p.name, "kind": p.kind, "level": level, "parent_id": parent_ids.get(p.parent_code),
             "valid_to": sync.effective, "is_demo": False} for p in missing])
        old.update(_ended_by_code({p.code for p in missing}, sync.effective))
    existing = set(db.session.execute(sa.select(UnitLineage.successor_id, UnitLineage.predecessor_id)).all())
    rows = []
    for link in sync.links:
        succ, pred = placed.get(link.successor_code), old.get(link.predecessor_code)
        if succ is None or pred is None or (succ.id, pred.id) in existing:
            continue
        existing.add((succ.id, pred.id))
        rows.append({"successor_id": succ.id, "predecessor_id": pred.id, "event": link.event,
                     "effective": sync.effective, "source": sync.lineage_source})
    if rows:
        db.session.execute(sa.insert(UnitLineage), rows)
    sync.report.lineage = len(rows)


def _ids_by_code(codes: set[str], old: dict[str, Unit], placed: dict[str, Unit]) -> dict[str, int]:
    """A parent for history rows: the ended unit with the code, else the list's own (e.g. the province)."""
    ids = {c: placed[c].id for c in codes if c in placed}
    ids.update({c: old[c].id for c in codes if c in old})
    return ids


def _ended_by_code(codes: Iterable[str], effective: date) -> dict[str, Unit]:
    """For each code, the latest unit record that ended on or before ``effective``."""
    rows = db.session.scalars(sa.select(Unit).where(Unit.code.in_(list(codes)), Unit.valid_to.is_not(None),
                                                    Unit.valid_to <= effective).order_by(Unit.valid_to)).all()
    return {u.code: u for u in rows}
