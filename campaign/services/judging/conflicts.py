"""Conflicts of interest between judges and entries, aware of the unit hierarchy.

A judge never scores (reasons in brackets):
* their own unit (``own_unit``), its parent (``parent_unit``) or its children (``child_unit``);
* across a reorganisation (the 2025 reform: ``unit_lineage``, followed through every step): a unit
  formed from their unit (``formed_from_own``) or from a unit under it (``formed_from_child``) — a
  closed district's judge never scores the new wards carved out of its wards —, a unit their unit was
  formed from (``predecessor_of_own``), or a unit above one their unit was formed from
  (``former_parent``). These apply only where the plain hierarchy gives no reason already;
* a unit of a cluster their unit belongs to, when the campaign sets ``coi_same_cluster``
  (``same_cluster``);
* a unit they declared a conflict with (``declared``).
With ``forbid_reciprocal``, judges of two units of one cluster may not judge each other's
entries both ways (``reciprocal``): that depends on the other assignments, so it is checked
against the current assignments (``check``) and by the planner.

Everything here is computed with a handful of set-based queries per campaign.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.labels import localized
from campaign.models import (
    Assignment,
    Campaign,
    CampaignUnit,
    Cluster,
    ClusterMember,
    ConflictDeclaration,
    Entry,
    PanelMember,
    Unit,
    UnitLineage,
    User,
)
from campaign.services.errors import Forbidden, NotFound
from campaign.services.setup.campaigns import get_campaign

REASONS = ("own_unit", "parent_unit", "child_unit", "formed_from_own", "formed_from_child", "predecessor_of_own",
           "former_parent", "same_cluster", "declared", "reciprocal")


def reason_label(code: str) -> str:
    return {
        "own_unit": _("Đơn vị của giám khảo"),
        "parent_unit": _("Đơn vị cấp trên của giám khảo"),
        "child_unit": _("Đơn vị trực thuộc của giám khảo"),
        "formed_from_own": _("Hình thành từ đơn vị của giám khảo (sắp xếp đơn vị hành chính)"),
        "formed_from_child": _("Hình thành từ đơn vị trực thuộc của giám khảo (sắp xếp đơn vị hành chính)"),
        "predecessor_of_own": _("Đơn vị tiền thân của đơn vị giám khảo (sắp xếp đơn vị hành chính)"),
        "former_parent": _("Đơn vị cấp trên cũ của đơn vị giám khảo (sắp xếp đơn vị hành chính)"),
        "same_cluster": _("Cùng cụm, khối thi đua"),
        "declared": _("Giám khảo tự khai báo xung đột"),
        "reciprocal": _("Chấm chéo hai chiều trong cùng cụm"),
    }.get(code, code)


@dataclass
class CampaignConflicts:
    pairs: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # (judge, entry) -> reasons
    judge_unit: dict[int, int] = field(default_factory=dict)
    entry_unit: dict[int, int] = field(default_factory=dict)
    reciprocal_pairs: set[frozenset] = field(default_factory=set)


def _clusters_of(campaign_id: int, unit_ids: set[int]) -> dict[int, set[int]]:
    """unit -> clusters (reusable clusters and this campaign's, plus CampaignUnit.cluster_id)."""
    out: dict[int, set[int]] = defaultdict(set)
    if not unit_ids:
        return out
    rows = db.session.execute(
        sa.select(ClusterMember.unit_id, ClusterMember.cluster_id).join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(ClusterMember.unit_id.in_(unit_ids),
               sa.or_(Cluster.campaign_id.is_(None), Cluster.campaign_id == campaign_id))).all()
    for unit_id, cluster_id in rows:
        out[unit_id].add(cluster_id)
    rows = db.session.execute(
        sa.select(CampaignUnit.unit_id, CampaignUnit.cluster_id)
        .where(CampaignUnit.campaign_id == campaign_id, CampaignUnit.unit_id.in_(unit_ids),
               CampaignUnit.cluster_id.is_not(None))).all()
    for unit_id, cluster_id in rows:
        out[unit_id].add(cluster_id)
    return out


@dataclass
class Lineage:
    """What the units in question were formed from (every step back) and the parents of those units."""
    formed_from: dict[int, set[int]] = field(default_factory=dict)  # unit -> its predecessors, transitively
    parents: dict[int, int | None] = field(default_factory=dict)  # predecessor -> its parent

    def reason(self, judge_unit: int, entry_unit: int) -> str | None:
        """The lineage reason why the judge of ``judge_unit`` may not score ``entry_unit`` (None: none)."""
        entry_from = self.formed_from.get(entry_unit, ())
        judge_from = self.formed_from.get(judge_unit, ())
        if judge_unit in entry_from:
            return "formed_from_own"
        if any(self.parents.get(p) == judge_unit for p in entry_from):
            return "formed_from_child"
        if entry_unit in judge_from:
            return "predecessor_of_own"
        if any(self.parents.get(p) == entry_unit for p in judge_from):
            return "former_parent"
        return None


def load_lineage(unit_ids: set[int] | None = None, campaign_id: int | None = None) -> Lineage:
    """Lineage of ``unit_ids`` and of the units of ``campaign_id``'s entries: one query per step back
    (the 2025 reform is one step; a rename before it, two) and one for the predecessors' parents."""
    link = UnitLineage
    starts = []
    if unit_ids:
        starts.append(link.successor_id.in_(unit_ids))
    if campaign_id is not None:
        starts.append(link.successor_id.in_(sa.select(Entry.unit_id).where(Entry.campaign_id == campaign_id)))
    out = Lineage()
    if not starts:
        return out
    step: dict[int, set[int]] = defaultdict(set)
    where, asked = sa.or_(*starts), set(unit_ids or ())
    while True:
        rows = db.session.execute(sa.select(link.successor_id, link.predecessor_id).where(where)).all()
        for s, p in rows:
            step[s].add(p)
        asked |= set(step)
        frontier = {p for _s, p in rows} - asked
        if not frontier:
            break
        asked |= frontier
        where = link.successor_id.in_(frontier)
    for unit in list(step):  # every step back, each unit once (a cycle in bad data ends too)
        found, todo = set(), list(step[unit])
        while todo:
            p = todo.pop()
            if p not in found:
                found.add(p)
                todo.extend(step.get(p, ()))
        out.formed_from[unit] = found - {unit}
    preds = set().union(*out.formed_from.values()) if out.formed_from else set()
    if preds:
        out.parents = dict(db.session.execute(sa.select(Unit.id, Unit.parent_id).where(Unit.id.in_(preds))).all())
    return out


def static_reasons(judge_unit: int | None, entry_unit: int, parents: dict[int, int | None],
                   clusters: dict[int, set[int]], same_cluster: bool, declared: bool,
                   lineage: Lineage | None = None) -> list[str]:
    reasons = []
    if judge_unit is not None:
        if judge_unit == entry_unit:
            reasons.append("own_unit")
        elif parents.get(judge_unit) == entry_unit:
            reasons.append("parent_unit")
        elif parents.get(entry_unit) == judge_unit:
            reasons.append("child_unit")
        elif (lineage is not None and (entry_unit in lineage.formed_from or judge_unit in lineage.formed_from)
              and (why := lineage.reason(judge_unit, entry_unit))):
            reasons.append(why)
        if same_cluster and judge_unit != entry_unit and clusters.get(judge_unit, set()) & clusters.get(entry_unit, set()):
            reasons.append("same_cluster")
    if declared:
        reasons.append("declared")
    return reasons


def campaign_conflicts(campaign_id: int, judge_ids: list[int] | None = None) -> CampaignConflicts:
    """Static conflicts between the panel (or ``judge_ids``) and the campaign's entries."""
    campaign = get_campaign(campaign_id)
    settings = campaign.settings or {}
    if judge_ids is None:
        judge_ids = list(db.session.scalars(sa.select(PanelMember.judge_id).where(PanelMember.campaign_id == campaign_id)))
    judge_unit = dict(db.session.execute(
        sa.select(User.id, User.unit_id).where(User.id.in_(judge_ids or [-1]), User.unit_id.is_not(None))).all())
    entry_unit = dict(db.session.execute(sa.select(Entry.id, Entry.unit_id).where(Entry.campaign_id == campaign_id)).all())
    unit_ids = set(judge_unit.values()) | set(entry_unit.values())
    parents = dict(db.session.execute(sa.select(Unit.id, Unit.parent_id).where(Unit.id.in_(unit_ids or [-1]))).all())
    clusters = _clusters_of(campaign_id, unit_ids)
    lineage = load_lineage(set(judge_unit.values()), campaign_id)
    declared = set(db.session.execute(
        sa.select(ConflictDeclaration.judge_id, ConflictDeclaration.unit_id)
        .where(ConflictDeclaration.judge_id.in_(judge_ids or [-1]))).all())
    same_cluster = bool(settings.get("coi_same_cluster"))
    out = CampaignConflicts(judge_unit=judge_unit, entry_unit=entry_unit)
    for j in judge_ids:
        ju = judge_unit.get(j)
        for e, eu in entry_unit.items():
            reasons = static_reasons(ju, eu, parents, clusters, same_cluster, (j, eu) in declared, lineage)
            if reasons:
                out.pairs[(j, e)] = reasons
    if settings.get("forbid_reciprocal"):
        by_cluster: dict[int, set[int]] = defaultdict(set)
        for u, cs in clusters.items():
            for c in cs:
                by_cluster[c].add(u)
        for members in by_cluster.values():
            ms = sorted(members)
            for i, a in enumerate(ms):
                for b in ms[i + 1:]:
                    out.reciprocal_pairs.add(frozenset((a, b)))
    return out


def conflict_reasons(judge_id: int, entry_id: int) -> list[str]:
    """Every reason why ``judge_id`` may not score ``entry_id`` now (empty = allowed)."""
    entry = db.session.get(Entry, entry_id)
    judge = db.session.get(User, judge_id)
    if entry is None or judge is None:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    campaign = db.session.get(Campaign, entry.campaign_id)
    settings = campaign.settings or {}
    ju = judge.unit_id
    unit_ids = {entry.unit_id} | ({ju} if ju else set())
    parents = dict(db.session.execute(sa.select(Unit.id, Unit.parent_id).where(Unit.id.in_(unit_ids))).all())
    clusters = _clusters_of(campaign.id, unit_ids)
    declared = db.session.scalar(sa.select(ConflictDeclaration.id).where(
        ConflictDeclaration.judge_id == judge_id, ConflictDeclaration.unit_id == entry.unit_id)) is not None
    lineage = load_lineage(unit_ids) if ju else None
    reasons = static_reasons(ju, entry.unit_id, parents, clusters, bool(settings.get("coi_same_cluster")), declared,
                             lineage)
    shared = clusters.get(ju, set()) & clusters.get(entry.unit_id, set()) if ju else set()
    if settings.get("forbid_reciprocal") and ju and ju != entry.unit_id and shared:
        # a judge of the entry's unit already judges an entry of this judge's unit (same campaign)
        reverse = db.session.scalar(
            sa.select(Assignment.id).join(Entry, Entry.id == Assignment.entry_id)
            .join(User, User.id == Assignment.judge_id)
            .where(Entry.campaign_id == campaign.id, Entry.unit_id == ju, User.unit_id == entry.unit_id).limit(1))
        if reverse is not None:
            reasons.append("reciprocal")
    return reasons


def refusal(judge_id: int, entry: Entry, reasons: list[str]) -> str:
    """Why an assignment is refused, naming the judge (with their work unit) and the entry's unit."""
    judge = db.session.get(User, judge_id)
    name = judge.full_name or judge.username if judge is not None else str(judge_id)
    if judge is not None and judge.unit is not None:
        name = f"{name} ({localized({'vi': judge.unit.name, 'en': judge.unit.name_en})})"
    return _("Không thể phân công %(judge)s chấm hồ sơ của %(unit)s: %(why)s.", judge=name,
             unit=localized({"vi": entry.unit.name, "en": entry.unit.name_en}),
             why=", ".join(reason_label(r) for r in reasons))


def check_judge_access(judge_id: int, entry: Entry) -> None:
    """Raise Forbidden when the judge may not open ``entry`` because of a conflict.

    In a blind campaign the judge's own declarations are left to the commission (the
    assignment table flags them, the planner avoids them): refusing the entry would tell the
    judge which code hides the unit they named. Other reasons are not named there either.
    """
    reasons = conflict_reasons(judge_id, entry.id)
    if not bool((entry.campaign.settings or {}).get("blind")):
        if reasons:
            raise Forbidden(_("Giám khảo có xung đột lợi ích với hồ sơ này (%(why)s).",
                              why=", ".join(reason_label(r) for r in reasons)))
        return
    if [r for r in reasons if r != "declared"]:
        raise Forbidden(_("Giám khảo có xung đột lợi ích với hồ sơ này; hãy liên hệ ban thi đua."))
