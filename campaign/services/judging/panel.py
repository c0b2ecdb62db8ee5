"""The commission's side of judging: panels, the assignment table, reopening a submitted score.

Judges are shown by their full name (the login name only when none is set): people read
names, not accounts. Status codes reach pages through ``assignment_status_label``.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.labels import N_
from campaign.models import Assignment, Campaign, Entry, PanelMember, Unit, User
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError, Forbidden, NotFound
from campaign.services.judging import assignment as planner
from campaign.services.judging import conflicts
from campaign.services.results.freshness import mark_stale
from campaign.services.setup.campaigns import get_campaign, list_campaigns
from campaign.vietnamese import sort_key

ASSIGNMENT_STATUS_LABELS = {"assigned": N_("Chưa chấm"), "draft": N_("Bản nháp"), "submitted": N_("Đã nộp")}


def assignment_status_label(status: str) -> str:
    return _(ASSIGNMENT_STATUS_LABELS.get(status, status))


def person(user: User) -> str:
    """How a judge is named on pages."""
    return user.full_name or user.username


def admin_campaigns() -> list[Campaign]:
    """Non-archived campaigns, newest first."""
    return [row["campaign"] for row in list_campaigns()]


# --------------------------------------------------------------------------- panel

def _members(campaign_id: int) -> list[dict]:
    loads = dict(db.session.execute(
        sa.select(Assignment.judge_id, sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id).group_by(Assignment.judge_id)).all())
    done = dict(db.session.execute(
        sa.select(Assignment.judge_id, sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id, Assignment.status == "submitted").group_by(Assignment.judge_id)).all())
    rows = db.session.execute(
        sa.select(PanelMember, User, Unit.name, Unit.name_en, Unit.valid_to).join(User, User.id == PanelMember.judge_id)
        .outerjoin(Unit, Unit.id == User.unit_id).where(PanelMember.campaign_id == campaign_id)
        .order_by(User.username)).all()
    # a work unit that ended (the 2025 reform closed the districts) is shown with its end date, so the
    # commission sees that the judge's unit needs updating
    return sorted(({"judge": u, "name": person(u), "max_load": pm.max_load, "unit": _local(unit_name, name_en),
                    "unit_ended": valid_to, "load": loads.get(u.id, 0), "done": done.get(u.id, 0)}
                   for pm, u, unit_name, name_en, valid_to in rows),
                  key=lambda m: sort_key(m["name"]))


def _local(name: str | None, name_en: str | None) -> str | None:
    """A unit's name in the reader's language (its English name where it has one), as on the judge's page."""
    from campaign.services.judging.workspace import localized  # workspace's own imports stay one-way

    return localized({"vi": name, "en": name_en}) if name else name


def panel_page(campaign_id: int) -> dict:
    campaign = get_campaign(campaign_id)
    on_panel = sa.select(PanelMember.judge_id).where(PanelMember.campaign_id == campaign_id)
    available = db.session.scalars(sa.select(User).where(User.role == "judge", User.active, User.id.not_in(on_panel))
                                   .order_by(User.username)).all()
    return {"campaign": campaign, "members": _members(campaign_id),
            "available": sorted(({"id": u.id, "name": person(u), "username": u.username} for u in available),
                                key=lambda j: sort_key(j["name"]))}


def add_panel_member(campaign_id: int, judge_id: int, max_load: int | None = None) -> PanelMember:
    get_campaign(campaign_id)
    judge = db.session.get(User, judge_id)
    if judge is None or judge.role != "judge" or not judge.active:
        raise DomainError(_("Chỉ thêm được tài khoản giám khảo đang hoạt động."))
    member = db.session.get(PanelMember, (campaign_id, judge_id))
    if member is not None:
        return member  # idempotent
    member = PanelMember(campaign_id=campaign_id, judge_id=judge_id, max_load=max_load)
    db.session.add(member)
    audit.record("judging.panel_add", "panel_member", f"{campaign_id}:{judge_id}", campaign_id=campaign_id,
                 after={"judge_id": judge_id, "max_load": max_load})
    db.session.commit()
    return member


def set_max_load(campaign_id: int, judge_id: int, max_load: int | None) -> None:
    member = db.session.get(PanelMember, (campaign_id, judge_id))
    if member is None:
        raise NotFound(_("Giám khảo này chưa thuộc hội đồng chấm của phong trào."))
    audit.record("judging.panel_cap", "panel_member", f"{campaign_id}:{judge_id}", campaign_id=campaign_id,
                 before={"max_load": member.max_load}, after={"max_load": max_load})
    member.max_load = max_load
    db.session.commit()


def remove_panel_member(campaign_id: int, judge_id: int) -> None:
    member = db.session.get(PanelMember, (campaign_id, judge_id))
    if member is None:
        return
    n = db.session.scalar(sa.select(sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
                          .where(Entry.campaign_id == campaign_id, Assignment.judge_id == judge_id))
    if n:
        raise Conflict(_("Giám khảo còn %(n)s hồ sơ được phân công; hãy gỡ hoặc chuyển các phân công trước.", n=n))
    audit.record("judging.panel_remove", "panel_member", f"{campaign_id}:{judge_id}", campaign_id=campaign_id,
                 before={"judge_id": judge_id, "max_load": member.max_load})
    db.session.delete(member)
    db.session.commit()


# --------------------------------------------------------------------------- assignments

def assignments_page(campaign_id: int, preview: bool = False) -> dict:
    """Every assignable entry with its judges, their status and live conflicts; optionally the
    plan ``apply_auto`` would save now (dry run)."""
    campaign = get_campaign(campaign_id)
    info = conflicts.campaign_conflicts(campaign_id)
    entries = db.session.execute(
        sa.select(Entry, Unit.name, Unit.name_en).join(Unit, Unit.id == Entry.unit_id)
        .where(Entry.campaign_id == campaign_id, Entry.status.in_(planner.ASSIGNABLE_STATUSES))
        .order_by(Unit.code)).all()
    entries = [(e, _local(name, name_en)) for e, name, name_en in entries]
    rows = db.session.execute(
        sa.select(Assignment, User).join(User, User.id == Assignment.judge_id)
        .join(Entry, Entry.id == Assignment.entry_id).where(Entry.campaign_id == campaign_id)).all()
    by_entry: dict[int, list] = {}
    for a, user in rows:
        by_entry.setdefault(a.entry_id, []).append(
            {"assignment": a, "name": person(user), "conflict": info.pairs.get((a.judge_id, a.entry_id), [])})
    members = _members(campaign_id)
    return {"campaign": campaign, "k": planner.judges_per_entry(campaign), "members": members,
            "plan": planner.propose(campaign_id) if preview else None,
            "names": {m["judge"].id: m["name"] for m in members},
            "entries": {e.id: name for e, name in entries},
            "rows": [{"entry": e, "unit": name, "judges": sorted(by_entry.get(e.id, []), key=lambda r: sort_key(r["name"]))}
                     for e, name in entries]}


def campaign_of_assignment(assignment_id: int) -> int:
    campaign_id = db.session.scalar(sa.select(Entry.campaign_id).join(Assignment, Assignment.entry_id == Entry.id)
                                    .where(Assignment.id == assignment_id))
    if campaign_id is None:
        raise NotFound(_("Không tìm thấy phân công."))
    return campaign_id


# --------------------------------------------------------------------------- reopen

def reopen_summary(assignment_id: int) -> dict:
    """What reopening will do, for the confirmation page."""
    a = db.session.get(Assignment, assignment_id)
    if a is None:
        raise NotFound(_("Không tìm thấy phân công."))
    entry = a.entry
    unit = _local(entry.unit.name, entry.unit.name_en)
    return {"assignment": a, "campaign": entry.campaign, "judge": person(a.judge), "unit": unit,
            "blind_code": entry.blind_code, "submitted_at": a.submitted_at, "marks": len(a.scores),
            "entry_appraised": entry.status == "appraised", "submitted": a.status == "submitted"}


def reopen(assignment_id: int, reason: str, actor: User | None = None) -> Assignment:
    """Admin only (the route says so, and this checks it too): a submitted score back to draft."""
    if actor is not None and getattr(actor, "role", None) != "admin":
        raise Forbidden(_("Chỉ quản trị viên được mở lại điểm đã nộp."))
    a = db.session.get(Assignment, assignment_id)
    if a is None:
        raise NotFound(_("Không tìm thấy phân công."))
    if not (reason or "").strip():
        raise DomainError(_("Cần nêu lý do mở lại."))
    if a.status != "submitted":
        raise Conflict(_("Phân công này chưa nộp điểm."))
    a.status, a.reopened_reason, a.submitted_at = "draft", reason.strip(), None
    entry = a.entry
    if entry.status == "appraised":
        entry.status = "submitted"
    audit.record("judging.reopen", "assignment", a.id, campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                 before={"status": "submitted"}, after={"status": "draft"}, reason=a.reopened_reason, actor=actor)
    mark_stale(entry.campaign_id, entries=[entry.id])
    db.session.commit()
    return a
