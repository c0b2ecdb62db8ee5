"""Conflicts of interest between judges and entries, aware of the unit hierarchy.

A judge never scores (reasons in brackets):
* their own unit (``own_unit``), its parent (``parent_unit``) or its children (``child_unit``);
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
    User,
)
from campaign.services.errors import Forbidden, NotFound
from campaign.services.setup.campaigns import get_campaign

REASONS = ("own_unit", "parent_unit", "child_unit", "same_cluster", "declared", "reciprocal")


def reason_label(code: str) -> str:
    return {
        "own_unit": _("Đơn vị của giám khảo"),
        "parent_unit": _("Đơn vị cấp trên của giám khảo"),
        "child_unit": _("Đơn vị trực thuộc của giám khảo"),
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


def static_reasons(judge_unit: int | None, entry_unit: int, parents: dict[int, int | None],
                   clusters: dict[int, set[int]], same_cluster: bool, declared: bool) -> list[str]:
    reasons = []
    if judge_unit is not None:
        if judge_unit == entry_unit:
            reasons.append("own_unit")
        elif parents.get(judge_unit) == entry_unit:
            reasons.append("parent_unit")
        elif parents.get(entry_unit) == judge_unit:
            reasons.append("child_unit")
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
    declared = set(db.session.execute(
        sa.select(ConflictDeclaration.judge_id, ConflictDeclaration.unit_id)
        .where(ConflictDeclaration.judge_id.in_(judge_ids or [-1]))).all())
    same_cluster = bool(settings.get("coi_same_cluster"))
    out = CampaignConflicts(judge_unit=judge_unit, entry_unit=entry_unit)
    for j in judge_ids:
        ju = judge_unit.get(j)
        for e, eu in entry_unit.items():
            reasons = static_reasons(ju, eu, parents, clusters, same_cluster, (j, eu) in declared)
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
    reasons = static_reasons(ju, entry.unit_id, parents, clusters, bool(settings.get("coi_same_cluster")), declared)
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
