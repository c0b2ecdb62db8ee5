"""The judging workflow: panels, the judge's workspace, scores, clarifications, reopening.

Object-level rules are enforced here, whatever the UI shows: a judge may read or score an
entry only through their own assignment and never while in conflict with it; a submitted
score changes only after the admin reopens it with a reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from scoring.framework import parse_framework
from scoring.rules import NA, clamp_points, indicator_points, parse_number

from campaign.extensions import db
from campaign.models import (Assignment, Campaign, ClarificationRequest, ConflictDeclaration, Entry, EvidenceFile,
                      IndicatorNode, IndicatorValue, JudgeScore, PanelMember, Unit, User)
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.judging import conflicts
from campaign.services.errors import Conflict, DomainError, Forbidden, NotFound
from campaign.services.results.freshness import mark_stale

SCORABLE_ENTRY = ("submitted", "resubmitted", "appraised", "clarification_requested")
SCORING_CAMPAIGN = ("open", "appraisal")


# --------------------------------------------------------------------------- helpers

def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("Không tìm thấy phong trào."))
    return campaign


def is_blind(campaign: Campaign) -> bool:
    return bool((campaign.settings or {}).get("blind"))


def framework_of(campaign: Campaign):
    return parse_framework(campaign.framework_version.document)


def rule_value(iv: IndicatorValue | None, node) -> object:
    """The value the scoring rule reads from a stored IndicatorValue."""
    if iv is None:
        return None
    if iv.is_na:
        return NA
    if node.rule is not None and node.rule.kind == "judged":
        return iv.value_text
    if node.value_type in ("choice", "text", "date"):
        return iv.value_text
    if iv.value_num is not None:
        return iv.value_num
    return iv.value_text if iv.value_text is not None else iv.raw


def point_range(node) -> tuple[float, float]:
    if node.rule.kind == "penalty" or node.kind == "penalty":
        return -node.max_points, 0.0
    return 0.0, node.max_points


def redact(text: str | None, unit: Unit, code: str) -> str:
    """Blind mode: replace the unit's names and code in free text with the entry code."""
    text = text or ""
    for needle in sorted({n for n in (unit.name, unit.name_en, unit.code) if n}, key=len, reverse=True):
        text = re.sub(re.escape(needle), code, text, flags=re.IGNORECASE)
    return text


def blind_file_name(entry: Entry, f: EvidenceFile, n: int) -> str:
    ext = f.original_name.rsplit(".", 1)[-1].lower() if "." in f.original_name else "bin"
    return f"{entry.blind_code}-{n:02d}.{ext}"


# --------------------------------------------------------------------------- panel

def panel(campaign_id: int) -> list[dict]:
    get_campaign(campaign_id)
    loads = dict(db.session.execute(
        sa.select(Assignment.judge_id, sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id).group_by(Assignment.judge_id)).all())
    done = dict(db.session.execute(
        sa.select(Assignment.judge_id, sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.campaign_id == campaign_id, Assignment.status == "submitted").group_by(Assignment.judge_id)).all())
    rows = db.session.execute(
        sa.select(PanelMember, User, Unit.name).join(User, User.id == PanelMember.judge_id)
        .outerjoin(Unit, Unit.id == User.unit_id).where(PanelMember.campaign_id == campaign_id)
        .order_by(User.username)).all()
    return [{"judge": u, "max_load": pm.max_load, "unit": unit_name, "load": loads.get(u.id, 0),
             "done": done.get(u.id, 0)} for pm, u, unit_name in rows]


def available_judges(campaign_id: int) -> list[User]:
    on_panel = sa.select(PanelMember.judge_id).where(PanelMember.campaign_id == campaign_id)
    return list(db.session.scalars(sa.select(User).where(User.role == "judge", User.active, User.id.not_in(on_panel))
                                   .order_by(User.username)))


def _parse_cap(max_load) -> int | None:
    if max_load in (None, ""):
        return None
    try:
        cap = int(str(max_load).strip())
    except ValueError:
        raise DomainError(_("Giới hạn số hồ sơ phải là số nguyên không âm.")) from None
    if cap < 0:
        raise DomainError(_("Giới hạn số hồ sơ phải là số nguyên không âm."))
    return cap


def add_panel_member(campaign_id: int, judge_id: int, max_load=None, actor=None) -> PanelMember:
    get_campaign(campaign_id)
    judge = db.session.get(User, judge_id)
    if judge is None or judge.role != "judge" or not judge.active:
        raise DomainError(_("Chỉ thêm được tài khoản giám khảo đang hoạt động."))
    cap = _parse_cap(max_load)
    member = db.session.get(PanelMember, (campaign_id, judge_id))
    if member is not None:
        return member  # idempotent
    member = PanelMember(campaign_id=campaign_id, judge_id=judge_id, max_load=cap)
    db.session.add(member)
    audit.record("judging.panel_add", "panel_member", f"{campaign_id}:{judge_id}", campaign_id=campaign_id,
                 after={"judge_id": judge_id, "max_load": cap}, actor=actor)
    db.session.commit()
    return member


def set_max_load(campaign_id: int, judge_id: int, max_load, actor=None) -> None:
    member = db.session.get(PanelMember, (campaign_id, judge_id))
    if member is None:
        raise NotFound(_("Giám khảo này chưa thuộc hội đồng chấm của phong trào."))
    cap = _parse_cap(max_load)
    audit.record("judging.panel_cap", "panel_member", f"{campaign_id}:{judge_id}", campaign_id=campaign_id,
                 before={"max_load": member.max_load}, after={"max_load": cap}, actor=actor)
    member.max_load = cap
    db.session.commit()


def remove_panel_member(campaign_id: int, judge_id: int, actor=None) -> None:
    member = db.session.get(PanelMember, (campaign_id, judge_id))
    if member is None:
        return
    n = db.session.scalar(sa.select(sa.func.count(Assignment.id)).join(Entry, Entry.id == Assignment.entry_id)
                          .where(Entry.campaign_id == campaign_id, Assignment.judge_id == judge_id))
    if n:
        raise Conflict(_("Giám khảo còn %(n)s hồ sơ được phân công; hãy gỡ hoặc chuyển các phân công trước.", n=n))
    audit.record("judging.panel_remove", "panel_member", f"{campaign_id}:{judge_id}", campaign_id=campaign_id,
                 before={"judge_id": judge_id, "max_load": member.max_load}, actor=actor)
    db.session.delete(member)
    db.session.commit()


def assignment_table(campaign_id: int) -> list[dict]:
    """Admin view: every assignable entry with its judges, their status and live conflicts."""
    from campaign.services.judging.assignment import ASSIGNABLE_STATUSES

    get_campaign(campaign_id)
    info = conflicts.campaign_conflicts(campaign_id)
    entries = db.session.execute(
        sa.select(Entry, Unit.name).join(Unit, Unit.id == Entry.unit_id)
        .where(Entry.campaign_id == campaign_id, Entry.status.in_(ASSIGNABLE_STATUSES)).order_by(Unit.code)).all()
    rows = db.session.execute(
        sa.select(Assignment, User.username).join(User, User.id == Assignment.judge_id)
        .join(Entry, Entry.id == Assignment.entry_id).where(Entry.campaign_id == campaign_id)).all()
    by_entry: dict[int, list] = {}
    for a, username in rows:
        by_entry.setdefault(a.entry_id, []).append(
            {"assignment": a, "username": username,
             "conflict": info.pairs.get((a.judge_id, a.entry_id), [])})
    return [{"entry": e, "unit": name, "judges": sorted(by_entry.get(e.id, []), key=lambda r: r["username"])}
            for e, name in entries]


# --------------------------------------------------------------------------- conflicts declared by judges

def declare_conflict(judge_id: int, unit_id: int, reason: str) -> ConflictDeclaration:
    if not (reason or "").strip():
        raise DomainError(_("Cần nêu lý do xung đột lợi ích."))
    if db.session.get(Unit, unit_id) is None:
        raise NotFound(_("Không tìm thấy đơn vị."))
    row = db.session.scalar(sa.select(ConflictDeclaration).where(ConflictDeclaration.judge_id == judge_id,
                                                                ConflictDeclaration.unit_id == unit_id))
    if row is not None:
        return row
    row = ConflictDeclaration(judge_id=judge_id, unit_id=unit_id, reason=reason.strip())
    db.session.add(row)
    db.session.flush()
    audit.record("judging.conflict_declared", "conflict_declaration", row.id, unit_id=unit_id,
                 after={"judge_id": judge_id, "unit_id": unit_id}, reason=row.reason)
    db.session.commit()
    return row


def my_declarations(judge_id: int) -> list[tuple[ConflictDeclaration, Unit]]:
    return list(db.session.execute(
        sa.select(ConflictDeclaration, Unit).join(Unit, Unit.id == ConflictDeclaration.unit_id)
        .where(ConflictDeclaration.judge_id == judge_id).order_by(ConflictDeclaration.created_at)).all())


def declarable_units() -> list[Unit]:
    return list(db.session.scalars(sa.select(Unit).where(Unit.valid_to.is_(None)).order_by(Unit.level, Unit.code)))


# --------------------------------------------------------------------------- the judge's workspace

def my_assignments(judge_id: int) -> list[dict]:
    indicator_count = (sa.select(IndicatorNode.framework_version_id, sa.func.count(IndicatorNode.id).label("n"))
                       .where(IndicatorNode.is_indicator).group_by(IndicatorNode.framework_version_id).subquery())
    scored = (sa.select(JudgeScore.assignment_id, sa.func.count(JudgeScore.id).label("n"))
              .group_by(JudgeScore.assignment_id).subquery())
    rows = db.session.execute(
        sa.select(Assignment, Entry, Campaign, Unit.name, indicator_count.c.n, scored.c.n)
        .join(Entry, Entry.id == Assignment.entry_id).join(Campaign, Campaign.id == Entry.campaign_id)
        .join(Unit, Unit.id == Entry.unit_id)
        .outerjoin(indicator_count, indicator_count.c.framework_version_id == Entry.framework_version_id)
        .outerjoin(scored, scored.c.assignment_id == Assignment.id)
        .where(Assignment.judge_id == judge_id).order_by(Campaign.id, Entry.blind_code)).all()
    out = []
    for a, e, c, unit_name, total, done in rows:
        out.append({"assignment": a, "entry": e, "campaign": c,
                    "label": e.blind_code if is_blind(c) else unit_name,
                    "total": total or 0, "done": done or 0, "deadline": c.appraisal_deadline,
                    "overdue": bool(c.appraisal_deadline and c.appraisal_deadline < utcnow()
                                    and a.status != "submitted")})
    return out


def _assignment_for(judge_id: int, entry_id: int) -> Assignment:
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    a = db.session.scalar(sa.select(Assignment).where(Assignment.entry_id == entry_id, Assignment.judge_id == judge_id))
    if a is None:
        raise Forbidden(_("Bạn không được phân công chấm hồ sơ này."))
    conflicts.check(judge_id, entry_id)
    return a


def _evidence_links(entry: Entry, blind: bool) -> dict[int | None, list[dict]]:
    files = db.session.scalars(
        sa.select(EvidenceFile).where(EvidenceFile.entry_id == entry.id, EvidenceFile.deleted_at.is_(None),
                                      EvidenceFile.status == "accepted").order_by(EvidenceFile.id)).all()
    out: dict[int | None, list[dict]] = {}
    for n, f in enumerate(files, 1):
        name = blind_file_name(entry, f, n) if blind else f.original_name
        url = url_for("judging.evidence", file_id=f.id)
        if not blind and "unit.evidence_download" in current_app.view_functions:
            url = url_for("unit.evidence_download", file_id=f.id)
        preview = f.mime == "application/pdf" or f.mime.startswith("image/")
        out.setdefault(f.indicator_id, []).append({"id": f.id, "name": name, "url": url, "mime": f.mime,
                                                   "preview": preview})
    return out


def entry_view(judge_id: int, entry_id: int) -> dict:
    """Everything the judge's entry page shows; names replaced by the entry code in blind mode."""
    a = _assignment_for(judge_id, entry_id)
    entry = a.entry
    campaign = entry.campaign
    blind = is_blind(campaign)
    unit = entry.unit
    fw = framework_of(campaign)
    nodes = {n.code: n for n in db.session.scalars(
        sa.select(IndicatorNode).where(IndicatorNode.framework_version_id == entry.framework_version_id))}
    values = {iv.indicator_id: iv for iv in entry.values}
    scores = {s.indicator_id: s for s in a.scores}
    files = _evidence_links(entry, blind)

    def text(t):
        return redact(t, unit, entry.blind_code) if blind else (t or "")

    groups = []
    for g in fw.groups:
        items = []
        for node in g.walk():
            if not node.is_indicator:
                continue
            row = nodes[node.code]
            iv = values.get(row.id)
            value = rule_value(iv, node)
            computed = indicator_points(node, value)
            js = scores.get(row.id)
            lo, hi = point_range(node)
            items.append({
                "code": node.code, "id": row.id, "name": row.name, "name_en": row.name_en, "max": node.max_points,
                "lo": lo, "hi": hi, "rule_kind": node.rule.kind, "unit": node.unit,
                "value": text(iv.raw if iv and iv.raw is not None else (None if iv is None else
                                                                          ("N/A" if iv.is_na else value))),
                "explanation": text(iv.explanation if iv else ""),
                "self_points": iv.self_points if iv else None,
                "computed": None if node.rule.kind in ("judged", "manual") or computed.status in ("missing", "invalid")
                else computed.points,
                "levels": [{"code": lv.code, "points": lv.points, "descriptor": lv.descriptor} for lv in node.rule.levels],
                "files": files.get(row.id, []),
                "score": js,
            })
        groups.append({"code": g.code, "name": g.name, "indicators": items})
    clarifications = db.session.scalars(sa.select(ClarificationRequest).where(ClarificationRequest.entry_id == entry.id)
                                        .order_by(ClarificationRequest.created_at)).all()
    return {"assignment": a, "entry": entry, "campaign": campaign, "blind": blind,
            "label": entry.blind_code if blind else unit.name,
            "narrative": text(entry.narrative), "groups": groups, "general_files": files.get(None, []),
            "clarifications": [{"codes": c.indicator_codes, "message": c.message, "created_at": c.created_at,
                                "response": text(c.response), "resolved_at": c.resolved_at} for c in clarifications],
            "deadline": campaign.appraisal_deadline,
            "editable": a.status != "submitted"}


@dataclass
class SaveResult:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    submitted: bool = False
    notice: str | None = None  # why a submit was kept as a draft


def save_scores(judge_id: int, entry_id: int, form: dict, *, submit: bool) -> SaveResult:
    """Save a draft or submit. ``form`` holds ``points-<code>``, ``comment-<code>``, ``public-<code>``.

    An empty points field confirms the computed points (rule indicators); points different
    from the computed ones need a comment; judged/manual indicators need points to submit.
    """
    a = _assignment_for(judge_id, entry_id)
    entry = a.entry
    campaign = entry.campaign
    if a.status == "submitted":
        raise Conflict(_("Điểm đã nộp; chỉ quản trị viên có thể mở lại để sửa."))
    if campaign.status not in SCORING_CAMPAIGN:
        raise DomainError(_("Phong trào không ở giai đoạn chấm điểm."))
    if entry.status not in SCORABLE_ENTRY:
        raise DomainError(_("Hồ sơ chưa được đơn vị nộp."))
    notice = None
    if submit and entry.status == "clarification_requested":
        # Keep what the judge typed: save it as a draft and say why it was not submitted.
        submit = False
        notice = _("Hồ sơ đang chờ đơn vị giải trình: điểm đã được lưu nháp, chưa nộp.")
    fw = framework_of(campaign)
    nodes = {n.code: n for n in db.session.scalars(
        sa.select(IndicatorNode).where(IndicatorNode.framework_version_id == entry.framework_version_id))}
    values = {iv.indicator_id: iv for iv in entry.values}
    existing = {s.indicator_id: s for s in a.scores}
    errors: dict[str, str] = {}
    parsed: dict[int, tuple[float, str, bool]] = {}
    for node in fw.indicators():
        row = nodes[node.code]
        raw = (form.get(f"points-{node.code}") or "").strip()
        comment = (form.get(f"comment-{node.code}") or "").strip()
        public = str(form.get(f"public-{node.code}") or "").lower() in ("1", "on", "true", "y", "yes")
        value = rule_value(values.get(row.id), node)
        computed = indicator_points(node, value)
        has_computed = node.rule.kind not in ("judged", "manual") and computed.status not in ("missing", "invalid")
        if raw == "":
            if has_computed:
                parsed[row.id] = (computed.points, comment, public)
            elif submit:
                errors[node.code] = _("Cần chấm điểm chỉ tiêu này trước khi nộp.")
            continue
        try:
            pts = parse_number(raw)
        except (ValueError, TypeError):
            errors[node.code] = _("Điểm không hợp lệ.")
            continue
        lo, hi = point_range(node)
        if not lo <= pts <= hi:
            errors[node.code] = _("Điểm phải trong khoảng %(lo)s đến %(hi)s.", lo=f"{lo:g}", hi=f"{hi:g}")
            continue
        pts = clamp_points(node.rule.kind if node.kind != "penalty" else "penalty", pts, node.max_points)
        if node.rule.kind == "judged" and node.rule.levels and pts not in {lv.points for lv in node.rule.levels}:
            errors[node.code] = _("Hãy chọn một mức đánh giá của chỉ tiêu.")
            continue
        if has_computed and abs(pts - computed.points) > 1e-9 and not comment:
            errors[node.code] = _("Điểm khác điểm tính theo quy tắc (%(p)s): cần ghi nhận xét giải thích.",
                                  p=f"{computed.points:g}")
            continue
        parsed[row.id] = (pts, comment, public)
    if errors:
        return SaveResult(False, errors)
    before = {str(k): v.points for k, v in existing.items()}
    for indicator_id, (pts, comment, public) in parsed.items():
        js = existing.get(indicator_id)
        if js is None:
            js = JudgeScore(assignment_id=a.id, indicator_id=indicator_id, points=pts)
            db.session.add(js)
        js.points, js.comment, js.comment_public = pts, comment, public
    a.status = "submitted" if submit else "draft"
    if submit:
        a.submitted_at = utcnow()
    audit.record("judging.submit" if submit else "judging.save_draft", "assignment", a.id,
                 campaign_id=campaign.id, unit_id=entry.unit_id, before=before or None,
                 after={str(k): v[0] for k, v in parsed.items()})
    db.session.flush()
    if submit:
        pending = db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(
            Assignment.entry_id == entry.id, Assignment.status != "submitted"))
        if pending == 0 and entry.status in ("submitted", "resubmitted"):
            entry.status = "appraised"
    mark_stale(campaign.id, entries=[entry.id])
    db.session.commit()
    return SaveResult(True, submitted=submit, notice=notice)


def request_clarification(judge_id: int, entry_id: int, codes: list[str], message: str) -> ClarificationRequest:
    a = _assignment_for(judge_id, entry_id)
    entry = a.entry
    if a.status == "submitted":
        raise Conflict(_("Điểm đã nộp; chỉ quản trị viên có thể mở lại để sửa."))
    valid = {n.code for n in framework_of(entry.campaign).indicators()}
    codes = [c for c in dict.fromkeys(codes) if c]
    if not codes or any(c not in valid for c in codes):
        raise DomainError(_("Hãy chọn ít nhất một chỉ tiêu cần giải trình."))
    if not (message or "").strip():
        raise DomainError(_("Cần ghi nội dung yêu cầu giải trình."))
    if entry.status not in ("submitted", "resubmitted", "appraised", "clarification_requested"):
        raise DomainError(_("Hồ sơ chưa được đơn vị nộp."))
    row = ClarificationRequest(entry_id=entry.id, indicator_codes=codes, message=message.strip(),
                               requested_by_id=judge_id)
    db.session.add(row)
    before = entry.status
    entry.status = "clarification_requested"
    db.session.flush()
    audit.record("judging.clarification_requested", "entry", entry.id, campaign_id=entry.campaign_id,
                 unit_id=entry.unit_id, before={"status": before},
                 after={"status": entry.status, "indicator_codes": codes, "request_id": row.id}, reason=row.message)
    db.session.commit()
    return row


def reopen(assignment_id: int, reason: str, actor=None) -> Assignment:
    """Admin only (the route says so): a submitted score back to draft, with a reason."""
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


def evidence_for_judge(judge_id: int, file_id: int) -> tuple[EvidenceFile, str]:
    """The file (after the assignment and conflict checks) and the name to download it as."""
    f = db.session.get(EvidenceFile, file_id)
    if f is None or f.deleted_at is not None or f.status != "accepted":
        raise NotFound(_("Không tìm thấy tệp."))
    _assignment_for(judge_id, f.entry_id)
    entry = f.entry
    if not is_blind(entry.campaign):
        return f, f.original_name
    ids = list(db.session.scalars(sa.select(EvidenceFile.id).where(
        EvidenceFile.entry_id == entry.id, EvidenceFile.deleted_at.is_(None), EvidenceFile.status == "accepted")
        .order_by(EvidenceFile.id)))
    return f, blind_file_name(entry, f, ids.index(f.id) + 1)
