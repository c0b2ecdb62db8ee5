"""Units (the administrative tree), clusters/blocks, and unit imports from CSV.

GSO lists and the official 2025 list are imported by ``unit_sync``; lineage is read by ``lineage``.

Every import runs as one transaction: the plan is worked out against the current
database, reported row by row, and applied only when it is not a dry run. A file that
cannot be read raises :class:`DomainError` before anything is written.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.importers import ImportFormatError
from campaign.importers.csv_units import parse_clusters_csv, parse_units_csv
from campaign.labels import N_
from campaign.models import (
    UNIT_LEVELS,
    Campaign,
    CampaignUnit,
    Cluster,
    ClusterMember,
    ScoreRun,
    Unit,
    UnitResult,
)
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError, NotFound
from campaign.services.results.freshness import mark_stale
from campaign.vietnamese import matches

# The official types by their names (Law on Local Government Organisation, 2025).
UNIT_KIND_LABELS = {
    "city": N_("Thành phố trực thuộc trung ương"), "province": N_("Tỉnh"),
    "provincial_city": N_("Thành phố thuộc tỉnh"), "town": N_("Thị xã"), "urban_district": N_("Quận"),
    "rural_district": N_("Huyện"), "ward": N_("Phường"), "commune": N_("Xã"), "township": N_("Thị trấn"),
    "special_zone": N_("Đặc khu"), "agency": N_("Cơ quan"), "mass_org": N_("Đoàn thể"),
}


def kind_label(kind: str) -> str:
    return _(UNIT_KIND_LABELS.get(kind, kind))


def kind_choices() -> list[tuple[str, str]]:
    """(kind, translated name) of every unit type, province level first."""
    return [(k, kind_label(k)) for k in UNIT_KIND_LABELS]


# --------------------------------------------------------------------------- reports

@dataclass
class ReportLine:
    row: int | None
    code: str
    name: str
    action: str  # created | updated | unchanged | skipped | deactivated | successor (a reused code: new unit)
    reason: str = ""
    level: int | None = None


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    lines: list[ReportLine] = field(default_factory=list)
    refused: bool = False  # a row was refused: nothing is saved
    token: str = ""  # set when units end or codes pass to new units: the confirmation to give
    applied: bool = False
    lineage: int = 0  # lineage rows added

    def add(self, *args, **kw) -> None:
        self.lines.append(ReportLine(*args, **kw))

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(line.action for line in self.lines)
        return {k: c.get(k, 0) for k in ("created", "updated", "unchanged", "skipped", "deactivated", "successor")}

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.token) and not self.applied and not self.refused


def _format_error(exc: ImportFormatError) -> DomainError:
    return DomainError(_("Không nhập được tệp, không có thay đổi nào được lưu. %(err)s", err=exc.message))


# --------------------------------------------------------------------------- browsing

def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị."))
    return unit


def unit_tree(include_inactive: bool = True, on: date | None = None, query: str = "") -> list[dict]:
    """The units as nested dicts (city → districts → communes), from one query.

    ``include_inactive=False`` leaves out the units ended by ``on`` (today), unless a current unit
    still hangs below one; ``query`` keeps the units whose code or name holds every word (without
    diacritics: "ba dinh" finds "Ba Đình") and the units above them, marked ``open``.
    """
    rows = db.session.scalars(sa.select(Unit).order_by(Unit.level, Unit.code)).all()
    on = on or date.today()
    nodes = {u.id: {"unit": u, "active": u.is_active_on(on), "children": [], "open": False} for u in rows}
    roots = []
    for u in rows:
        parent = nodes.get(u.parent_id)
        (parent["children"] if parent else roots).append(nodes[u.id])
    if include_inactive and not query:
        return roots

    def kept(node: dict) -> bool:
        node["children"] = [child for child in node["children"] if kept(child)]
        u = node["unit"]
        own = (include_inactive or node["active"]) and (not query or matches(query, u.code, u.name, u.name_en))
        node["open"] = bool(query and node["children"])
        return own or bool(node["children"])

    return [root for root in roots if kept(root)]


def ended_count(on: date | None = None) -> int:
    """How many units no longer exist on ``on`` (today): what the units page hides by default."""
    on = on or date.today()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.valid_to <= on)) or 0


def ended_matches(query: str, on: date | None = None) -> int:
    """How many units ended by ``on`` (today) match ``query``: what a search among current units
    offers to show (the only hint when no current unit matched, rather than a bare "no match")."""
    on = on or date.today()
    rows = db.session.execute(sa.select(Unit.code, Unit.name, Unit.name_en).where(Unit.valid_to <= on)).all()
    return sum(1 for code, name, name_en in rows if matches(query, code, name, name_en))


def active_on(day: date | None) -> sa.ColumnElement[bool]:
    """SQL condition: the unit exists on ``day`` (today's tree when None), so a campaign uses the
    tree of its own period (2018: districts; 2026: the two-tier units)."""
    if day is None:
        return Unit.valid_to.is_(None)
    return sa.and_(sa.or_(Unit.valid_from.is_(None), Unit.valid_from <= day),
                   sa.or_(Unit.valid_to.is_(None), Unit.valid_to > day))


def unit_counts() -> dict:
    rows = db.session.execute(
        sa.select(Unit.kind, sa.func.count()).where(Unit.valid_to.is_(None)).group_by(Unit.kind)).all()
    return {k: n for k, n in rows}


def level_counts() -> dict[str, dict[int, int]]:
    """Units by level, current and ended, so a dashboard never reads "0 districts" after the 2025 reform as "nothing".

    ``{"current": {2: n, 3: n}, "ended": {2: n, 3: n}}`` (levels 2 = district, 3 = commune).
    """
    ended = Unit.valid_to.is_not(None)
    rows = db.session.execute(sa.select(ended, Unit.level, sa.func.count()).where(Unit.level.in_((2, 3)))
                              .group_by(ended, Unit.level)).all()
    out: dict[str, dict[int, int]] = {"current": {2: 0, 3: 0}, "ended": {2: 0, 3: 0}}
    for is_ended, level, n in rows:
        out["ended" if is_ended else "current"][level] = n
    return out


def unit_choices(levels: tuple[int, ...] = (1, 2, 3)) -> list[Unit]:
    return list(db.session.scalars(sa.select(Unit).where(Unit.level.in_(levels)).order_by(Unit.level, Unit.code)))


def cluster_unit_choices(cluster: Cluster | None) -> list[tuple[int, str]]:
    """(id, label) of the units a cluster can hold: those active today, and the cluster's own members,
    head and deputy even when they have ended (labelled so). After the 2025 reform the full list
    held every ended district and ward beside the new ones, some with the same code and name."""
    keep = set()
    if cluster is not None:
        keep = {m.unit_id for m in cluster.members} | {cluster.head_unit_id, cluster.deputy_unit_id}
    today = date.today()
    units = db.session.scalars(sa.select(Unit).where(
        Unit.level.in_((2, 3)), sa.or_(active_on(today), Unit.id.in_(keep - {None}))).order_by(Unit.level, Unit.code))
    return [(u.id, f"{u.code} – {u.name}" if u.is_active_on(today) else
             _("%(code)s – %(name)s (ngừng hoạt động từ %(day)s)", code=u.code, name=u.name,
               day=formats.day(u.valid_to, str(get_locale() or "vi")))) for u in units]


def save_unit(data: dict, unit_id: int | None = None, user_id: int | None = None) -> Unit:
    """Create or edit a unit; ``data`` has code, name, name_en, kind, parent_id, population, area_km2."""
    kind = data["kind"]
    if kind not in UNIT_LEVELS:
        raise DomainError(_("Loại đơn vị không hợp lệ."))
    code = (data.get("code") or "").strip()
    if not code:
        raise DomainError(_("Mã đơn vị là bắt buộc."))
    clash = db.session.scalar(sa.select(Unit).where(Unit.code == code, Unit.id != (unit_id or -1),
                                                    Unit.valid_to.is_(None)))  # codes are reused over time
    if clash is not None:
        raise Conflict(_("Mã %(code)s đã được dùng cho %(name)s.", code=code, name=clash.name))
    parent_id = data.get("parent_id") or None
    if parent_id is not None:
        parent = get_unit(int(parent_id))
        if parent.level >= UNIT_LEVELS[kind]:
            raise DomainError(_("Đơn vị cấp trên phải ở cấp cao hơn đơn vị này."))
        if unit_id is not None and _is_descendant(parent.id, unit_id):
            raise DomainError(_("Không thể chọn một đơn vị cấp dưới làm đơn vị cấp trên."))
    fields = {"code": code, "name": data["name"].strip(), "name_en": (data.get("name_en") or "").strip() or None,
              "kind": kind, "level": UNIT_LEVELS[kind], "parent_id": int(parent_id) if parent_id else None,
              "population": data.get("population"), "area_km2": data.get("area_km2")}
    if unit_id is None:
        unit = Unit(**fields, valid_from=data.get("valid_from"))
        db.session.add(unit)
        db.session.flush()
        audit.record("unit.create", "unit", unit.id, after=_unit_dict(unit), unit_id=unit.id, actor=user_id)
    else:
        unit = get_unit(unit_id)
        before = _unit_dict(unit)
        for k, v in fields.items():
            setattr(unit, k, v)
        db.session.flush()
        audit.record("unit.update", "unit", unit.id, before=before, after=_unit_dict(unit), unit_id=unit.id,
                     actor=user_id)
    db.session.commit()
    return unit


def _is_descendant(candidate_id: int, ancestor_id: int) -> bool:
    seen = set()
    node = db.session.get(Unit, candidate_id)
    while node is not None and node.id not in seen:
        if node.id == ancestor_id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def set_inactive(unit_id: int, valid_to: date | None, reason: str = "", user_id: int | None = None) -> Unit:
    """Mark a unit inactive from ``valid_to`` (e.g. a merger); ``None`` makes it active again."""
    unit = get_unit(unit_id)
    if valid_to is None and unit.valid_to is not None:
        holder = db.session.scalar(sa.select(Unit).where(Unit.code == unit.code, Unit.valid_to.is_(None)))
        if holder is not None:
            raise Conflict(_("Mã %(code)s đã được dùng cho %(name)s.", code=unit.code, name=holder.name))
    before = _unit_dict(unit)
    unit.valid_to = valid_to
    audit.record("unit.deactivate" if valid_to else "unit.reactivate", "unit", unit.id, before=before,
                 after=_unit_dict(unit), reason=reason or None, unit_id=unit.id, actor=user_id)
    db.session.commit()
    return unit


def _unit_dict(u: Unit) -> dict:
    return {"code": u.code, "name": u.name, "name_en": u.name_en, "kind": u.kind, "parent_id": u.parent_id,
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None}



# --------------------------------------------------------------------------- clusters

def list_clusters(campaign_id: int | None = None, shared_only: bool = False) -> list[Cluster]:
    q = sa.select(Cluster).order_by(Cluster.code)
    if shared_only:
        q = q.where(Cluster.campaign_id.is_(None))
    elif campaign_id is not None:
        q = q.where(sa.or_(Cluster.campaign_id.is_(None), Cluster.campaign_id == campaign_id))
    return list(db.session.scalars(q))


def get_cluster(cluster_id: int) -> Cluster:
    c = db.session.get(Cluster, cluster_id)
    if c is None:
        raise NotFound(_("Không tìm thấy cụm, khối thi đua."))
    return c


def save_cluster(data: dict, cluster_id: int | None = None, user_id: int | None = None) -> Cluster:
    """Create or edit a cluster; ``data['member_ids']`` replaces its members."""
    code = (data.get("code") or "").strip()
    if not code:
        raise DomainError(_("Mã cụm là bắt buộc."))
    campaign_id = data.get("campaign_id")
    clash = db.session.scalar(sa.select(Cluster).where(
        Cluster.code == code, Cluster.id != (cluster_id or -1),
        Cluster.campaign_id.is_(None) if campaign_id is None else Cluster.campaign_id == campaign_id))
    if clash is not None:
        raise Conflict(_("Mã cụm %(code)s đã tồn tại.", code=code))
    member_ids = [int(i) for i in data.get("member_ids") or []]
    for key in ("head_unit_id", "deputy_unit_id"):
        if data.get(key) and int(data[key]) not in member_ids:
            raise DomainError(_("Cụm trưởng phải là một đơn vị thành viên của cụm (đánh dấu ở danh sách trên).")
                              if key == "head_unit_id" else
                              _("Cụm phó phải là một đơn vị thành viên của cụm (đánh dấu ở danh sách trên)."), field=key)
    if cluster_id is None:
        cluster = Cluster(code=code, campaign_id=campaign_id)
        db.session.add(cluster)
        before = None
    else:
        cluster = get_cluster(cluster_id)
        before = _cluster_dict(cluster)
    cluster.code = code
    cluster.name = data["name"].strip()
    cluster.name_en = (data.get("name_en") or "").strip() or None
    cluster.kind = data.get("kind") or "cluster"
    cluster.head_unit_id = int(data["head_unit_id"]) if data.get("head_unit_id") else None
    cluster.deputy_unit_id = int(data["deputy_unit_id"]) if data.get("deputy_unit_id") else None
    db.session.flush()
    db.session.execute(sa.delete(ClusterMember).where(ClusterMember.cluster_id == cluster.id))
    if member_ids:
        db.session.execute(sa.insert(ClusterMember), [{"cluster_id": cluster.id, "unit_id": i} for i in set(member_ids)])
    db.session.expire(cluster, ["members"])
    audit.record("cluster.create" if before is None else "cluster.update", "cluster", cluster.id,
                 before=before, after=_cluster_dict(cluster), campaign_id=campaign_id, actor=user_id)
    _mark_campaigns_stale_for_cluster(cluster.id)
    db.session.commit()
    return cluster


def cluster_uses(cluster_id: int) -> list[str]:
    """The campaigns that use the cluster (participants ranked in it, chosen by it, or results
    that name it), by name: a cluster in use is kept, so every past ranking stays explainable."""
    ids = set(db.session.scalars(sa.select(CampaignUnit.campaign_id).where(CampaignUnit.cluster_id == cluster_id)))
    ids |= set(db.session.scalars(sa.select(ScoreRun.campaign_id).join(UnitResult, UnitResult.run_id == ScoreRun.id)
                                  .where(UnitResult.cluster_id == cluster_id).distinct()))  # results that name it
    for cid, settings in db.session.execute(sa.select(Campaign.id, Campaign.settings)):
        s = settings or {}
        chosen = list((s.get("participants") or {}).get("cluster_ids") or []) + list(s.get("ranking_cluster_ids") or [])
        if cluster_id in {int(x) for x in chosen}:
            ids.add(cid)
    return list(db.session.scalars(sa.select(Campaign.name).where(Campaign.id.in_(ids)).order_by(Campaign.name)))


def delete_cluster(cluster_id: int, user_id: int | None = None) -> None:
    """Delete a cluster no campaign uses (a mistaken or test one); one in use is refused."""
    cluster = get_cluster(cluster_id)
    used = cluster_uses(cluster_id)
    if used:
        raise Conflict(_("Không xoá được cụm %(code)s vì đang được dùng trong: %(uses)s.", code=cluster.code,
                         uses="; ".join(used)))
    before = _cluster_dict(cluster)
    db.session.execute(sa.delete(ClusterMember).where(ClusterMember.cluster_id == cluster_id))
    db.session.expire(cluster, ["members"])
    db.session.delete(cluster)
    audit.record("cluster.delete", "cluster", cluster_id, before=before, after=None, actor=user_id)
    db.session.commit()


def _cluster_dict(c: Cluster) -> dict:
    return {"code": c.code, "name": c.name, "kind": c.kind, "head_unit_id": c.head_unit_id,
            "deputy_unit_id": c.deputy_unit_id, "members": sorted(m.unit_id for m in c.members)}


def _mark_campaigns_stale_for_cluster(cluster_id: int) -> None:
    """Ranking uses clusters: campaigns ranking in this cluster get a recompute."""
    ids = db.session.scalars(sa.select(CampaignUnit.campaign_id).where(CampaignUnit.cluster_id == cluster_id)
                             .distinct()).all()
    for cid in ids:
        mark_stale(cid, entries=())  # ranking clusters: no entry's points change


# --------------------------------------------------------------------------- CSV imports

def import_units_csv(data: bytes, *, dry_run: bool = False, user_id: int | None = None) -> ImportReport:
    try:
        rows = parse_units_csv(data, tuple(UNIT_LEVELS))
    except ImportFormatError as exc:
        raise _format_error(exc) from exc
    report = ImportReport("units_csv", dry_run)
    try:
        # a reused code (GSO) names the current unit: it is read last and wins
        existing = {u.code: u for u in db.session.scalars(sa.select(Unit).order_by(Unit.valid_to.is_(None)))}
        seen: set[str] = set()
        for r in rows:
            v = r.values
            if r.problem:
                report.add(r.row, v.get("code", ""), v.get("name", ""), "skipped", r.problem)
                continue
            if v["code"] in seen:
                report.add(r.row, v["code"], v["name"], "skipped", _("mã %(code)s bị lặp trong tệp", code=v["code"]))
                continue
            parent = None
            if v.get("parent_code"):
                parent = existing.get(v["parent_code"])
                if parent is None:
                    report.add(r.row, v["code"], v["name"], "skipped",
                               _("không có đơn vị cấp trên mã %(code)s", code=v["parent_code"]))
                    continue
                if parent.level >= UNIT_LEVELS[v["kind"]]:
                    report.add(r.row, v["code"], v["name"], "skipped", _("đơn vị cấp trên phải ở cấp cao hơn"))
                    continue
            seen.add(v["code"])
            fields = {"name": v["name"], "name_en": v.get("name_en") or None, "kind": v["kind"],
                      "level": UNIT_LEVELS[v["kind"]], "parent": parent, **{k: x for k, x in r.parsed.items()
                                                                             if x is not None}}
            unit = existing.get(v["code"])
            if unit is None:
                unit = Unit(code=v["code"], **fields)
                db.session.add(unit)
                existing[v["code"]] = unit
                report.add(r.row, v["code"], v["name"], "created", "", UNIT_LEVELS[v["kind"]])
                continue
            changed = [k for k, x in fields.items() if getattr(unit, k) != x and not (k == "parent" and parent is None)]
            for k in changed:
                setattr(unit, k, fields[k])
            report.add(r.row, v["code"], v["name"], "updated" if changed else "unchanged",
                       ", ".join(changed) if changed else _("không có gì thay đổi"), UNIT_LEVELS[v["kind"]])
        db.session.flush()
        if dry_run:
            db.session.rollback()
            return report
        audit.record("units.import_csv", "unit", None, after={"counts": report.counts}, actor=user_id)
        db.session.commit()
        report.applied = True
    except Exception:
        db.session.rollback()
        raise
    return report


def import_clusters_csv(data: bytes, *, dry_run: bool = False, user_id: int | None = None) -> ImportReport:
    """Cluster membership: creates shared clusters that do not exist and adds members."""
    try:
        rows = parse_clusters_csv(data)
    except ImportFormatError as exc:
        raise _format_error(exc) from exc
    report = ImportReport("clusters_csv", dry_run)
    try:
        # a reused code (GSO) names the current unit: it is read last and wins
        units = {u.code: u for u in db.session.scalars(sa.select(Unit).order_by(Unit.valid_to.is_(None)))}
        clusters = {c.code: c for c in db.session.scalars(sa.select(Cluster).where(Cluster.campaign_id.is_(None)))}
        members = {(m.cluster_id, m.unit_id) for m in db.session.scalars(sa.select(ClusterMember))}
        touched: set[int] = set()
        for r in rows:
            v = r.values
            if r.problem:
                report.add(r.row, v.get("unit_code", ""), v.get("cluster_code", ""), "skipped", r.problem)
                continue
            unit = units.get(v["unit_code"])
            if unit is None:
                report.add(r.row, v["unit_code"], v["cluster_code"], "skipped",
                           _("không có đơn vị mã %(code)s", code=v["unit_code"]))
                continue
            cluster = clusters.get(v["cluster_code"])
            created_cluster = False
            if cluster is None:
                cluster = Cluster(code=v["cluster_code"], name=v.get("cluster_name") or v["cluster_code"], kind="cluster")
                db.session.add(cluster)
                db.session.flush()
                clusters[cluster.code] = cluster
                created_cluster = True
            touched.add(cluster.id)
            role = v.get("role", "")
            if role == "head":
                cluster.head_unit_id = unit.id
            elif role == "deputy":
                cluster.deputy_unit_id = unit.id
            label = f"{unit.name} → {cluster.name}"
            if (cluster.id, unit.id) in members:
                report.add(r.row, unit.code, label, "updated" if role else "unchanged",
                           _("vai trò: %(role)s", role=role) if role else _("đã là thành viên"))
                continue
            db.session.add(ClusterMember(cluster_id=cluster.id, unit_id=unit.id))
            members.add((cluster.id, unit.id))
            report.add(r.row, unit.code, label, "created",
                       _("tạo cụm mới %(code)s", code=cluster.code) if created_cluster else "")
        db.session.flush()
        if dry_run:
            db.session.rollback()
            return report
        for cid in touched:
            _mark_campaigns_stale_for_cluster(cid)
        audit.record("clusters.import_csv", "cluster", None, after={"counts": report.counts}, actor=user_id)
        db.session.commit()
        report.applied = True
    except Exception:
        db.session.rollback()
        raise
    return report
