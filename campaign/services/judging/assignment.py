"""Assigning judges to entries: the database side of :func:`scoring.assignment.plan_assignment`.

The planner is pure (``scoring/assignment.py``); this service loads its plain inputs (entries,
panel, caps, conflicts, existing assignments), saves the plan's new assignments and handles
manual assignment, removal and reassignment, each with its audit row.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import Assignment, Campaign, Entry, PanelMember, User
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError, NotFound
from campaign.services.judging import conflicts
from campaign.services.results.freshness import mark_stale
from campaign.services.setup.campaigns import get_campaign
from scoring.assignment import Plan, Shortfall, plan_assignment

__all__ = ["ASSIGNABLE_STATUSES", "Plan", "Shortfall", "apply_auto", "assign", "judges_per_entry", "plan_assignment",
           "propose", "reassign", "unassign"]

ASSIGNABLE_STATUSES = ("submitted", "clarification_requested", "resubmitted", "appraised")


def judges_per_entry(campaign: Campaign) -> int:
    return int((campaign.settings or {}).get("judges_per_entry") or 3)


def propose(campaign_id: int) -> Plan:
    """The plan ``apply_auto`` would save now (dry run): existing assignments are kept."""
    campaign = get_campaign(campaign_id)
    entries = db.session.execute(
        sa.select(Entry.id, Entry.unit_id).where(Entry.campaign_id == campaign_id,
                                                 Entry.status.in_(ASSIGNABLE_STATUSES))).all()
    members = db.session.execute(
        sa.select(PanelMember.judge_id, PanelMember.max_load).where(PanelMember.campaign_id == campaign_id)).all()
    fixed = db.session.execute(
        sa.select(Assignment.entry_id, Assignment.judge_id).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id)).all()
    info = conflicts.campaign_conflicts(campaign_id)
    return plan_assignment(
        [e.id for e in entries], [m.judge_id for m in members], judges_per_entry(campaign),
        conflicts=set(info.pairs), caps={m.judge_id: m.max_load for m in members},
        fixed=[(e, j) for e, j in fixed], judge_unit=info.judge_unit, entry_unit=info.entry_unit,
        reciprocal_pairs=info.reciprocal_pairs,
    )


def apply_auto(campaign_id: int, actor: User | None = None) -> Plan:
    """Compute the plan again (never trust a stale preview) and save its new assignments."""
    get_campaign(campaign_id)
    plan = propose(campaign_id)
    for entry_id, judge_id in plan.new:
        db.session.add(Assignment(entry_id=entry_id, judge_id=judge_id, assigned_by_id=getattr(actor, "id", None)))
    audit.record("judging.auto_assign", "campaign", campaign_id, campaign_id=campaign_id,
                 after={"created": len(plan.new), "k": plan.k,
                        "judges": sorted({judge_id for _entry, judge_id in plan.new}),  # who is told (notifications)
                        "shortfalls": [{"entry_id": s.entry_id, "got": s.got, "eligible": s.eligible}
                                       for s in plan.shortfalls]}, actor=actor)
    db.session.commit()
    return plan


def assign(campaign_id: int, entry_id: int, judge_id: int, actor: User | None = None) -> Assignment:
    """Manual assignment by the admin; refuses judges off the panel or in conflict."""
    get_campaign(campaign_id)
    entry = db.session.get(Entry, entry_id)
    if entry is None or entry.campaign_id != campaign_id:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    if db.session.get(PanelMember, (campaign_id, judge_id)) is None:
        raise DomainError(_("Giám khảo này chưa thuộc hội đồng chấm của phong trào."))
    existing = db.session.scalar(sa.select(Assignment).where(Assignment.entry_id == entry_id,
                                                             Assignment.judge_id == judge_id))
    if existing is not None:
        return existing  # idempotent
    reasons = conflicts.conflict_reasons(judge_id, entry_id)
    if reasons:
        raise Conflict(conflicts.refusal(judge_id, entry, reasons))
    row = Assignment(entry_id=entry_id, judge_id=judge_id, assigned_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record("judging.assign", "assignment", row.id, campaign_id=campaign_id, unit_id=entry.unit_id,
                 after={"entry_id": entry_id, "judge_id": judge_id}, actor=actor)
    db.session.commit()
    return row


def unassign(assignment_id: int, reason: str, actor: User | None = None) -> None:
    """Remove an assignment (its scores go with it, so a reason is required)."""
    row = db.session.get(Assignment, assignment_id)
    if row is None:
        raise NotFound(_("Không tìm thấy phân công."))
    had_scores = bool(row.scores)
    if had_scores and not (reason or "").strip():
        raise DomainError(_("Cần nêu lý do khi gỡ phân công đã có điểm."))
    campaign_id = row.entry.campaign_id
    audit.record("judging.unassign", "assignment", row.id, campaign_id=campaign_id, unit_id=row.entry.unit_id,
                 before={"entry_id": row.entry_id, "judge_id": row.judge_id, "status": row.status,
                         "scores": {s.indicator_id: s.points for s in row.scores}},
                 reason=(reason or "").strip() or None, actor=actor)
    if had_scores and row.status == "submitted":
        mark_stale(campaign_id, entries=[row.entry_id])
    db.session.delete(row)
    db.session.commit()


def reassign(assignment_id: int, new_judge_id: int, reason: str, actor: User | None = None) -> Assignment:
    """Move an assignment to another judge (same checks as a manual assignment)."""
    row = db.session.get(Assignment, assignment_id)
    if row is None:
        raise NotFound(_("Không tìm thấy phân công."))
    campaign_id, entry_id = row.entry.campaign_id, row.entry_id
    # check the new judge first, so a refused move leaves the old assignment intact
    if db.session.get(PanelMember, (campaign_id, new_judge_id)) is None:
        raise DomainError(_("Giám khảo này chưa thuộc hội đồng chấm của phong trào."))
    reasons = conflicts.conflict_reasons(new_judge_id, entry_id)
    if reasons:
        raise Conflict(conflicts.refusal(new_judge_id, row.entry, reasons))
    unassign(assignment_id, reason, actor)
    return assign(campaign_id, entry_id, new_judge_id, actor)
