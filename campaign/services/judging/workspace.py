"""The judge's workspace: assigned entries, the scoring page, drafts, the two-step submit,
clarification requests, evidence, and conflicts the judge declares.

Object-level rules are enforced here, whatever the UI shows: a judge reads or scores an entry
only through their own assignment ("not yours" and "not there" get the same answer) and never
while in conflict with it; a submitted score changes only after the admin reopens it.

A draft is never refused for what only a submit requires (a comment on a changed mark, a mark
for every judged indicator): a draft keeps whatever valid marks were typed. Submitting saves
the draft first, so a refused submit loses nothing, then asks for confirmation of the
reviewed marks (``submission_summary`` → ``confirm_submit``).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.labels import localized
from campaign.models import (
    Assignment,
    Campaign,
    ClarificationRequest,
    ConflictDeclaration,
    Entry,
    EvidenceFile,
    IndicatorNode,
    IndicatorValue,
    JudgeScore,
    Unit,
)
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError, NotFound
from campaign.services.judging import blind as blind_mode
from campaign.services.judging import conflicts
from campaign.services.results.freshness import mark_stale
from campaign.services.setup.framework_cache import parsed
from campaign.services.submissions.derived import unit_context
from scoring.entry import score_entry
from scoring.framework import Framework, Node
from scoring.rules import NA, clamp_points, indicator_points, parse_number
from scoring.values import rule_for, with_rule

SCORABLE_ENTRY = ("submitted", "resubmitted", "appraised", "clarification_requested")
SCORING_CAMPAIGN = ("open", "appraisal")
Marks = dict[str, tuple[str, str, bool]]  # code -> (typed points, comment, public)


# --------------------------------------------------------------------------- helpers

def is_blind(campaign: Campaign) -> bool:
    return bool((campaign.settings or {}).get("blind"))


def rule_value(iv: IndicatorValue | None, node: Node) -> object:
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


def point_range(node: Node) -> tuple[float, float]:
    if node.rule.kind == "penalty" or node.kind == "penalty":
        return -node.max_points, 0.0
    return 0.0, node.max_points


def _unit_name(unit: Unit) -> str:
    """The unit's name in the reader's language (its English name where it has one)."""
    return localized({"vi": unit.name, "en": unit.name_en})


def _lang() -> str:
    """The page's language ("vi" outside a request)."""
    return str(get_locale() or "vi") if has_request_context() else "vi"


def _num(x: float) -> str:
    """Points in the locale's form without grouping ("12,5" / "12.5"), as a judge types them."""
    return format_decimal(x, format="0.####")


def _shown(x: float) -> str:
    """Points in a message as the page's tables show them (``|number``: "6,00" / "6.00")."""
    return formats.number(x, str(get_locale() or "vi"))


def value_label(iv: IndicatorValue | None, node: Node) -> str | None:
    """The stored value as a person reads it: "Có", a choice's or level's name, never a code."""
    if iv is None:
        return None
    if iv.is_na:
        return _("Không áp dụng")
    raw = iv.raw if iv.raw is not None else (iv.value_text if iv.value_text is not None else iv.value_num)
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if node.value_type == "yes_no" or node.rule.kind == "yes_no":
        yes = text.lower() in ("yes", "y", "1", "1.0", "true", "có", "co")
        no = text.lower() in ("no", "n", "0", "0.0", "false", "không", "khong")
        if yes or no:
            return _("Có") if yes else _("Không")
    for c in node.choices:
        if c.code == text:
            return localized(c.label) or text
    for lv in getattr(node.rule, "levels", ()) or ():
        if lv.code == text:
            return localized(lv.descriptor) or text
    if iv.value_num is not None and node.value_type not in ("choice", "text", "date", "yes_no"):
        # a number (also when the framework leaves value_type unset and the rule reads a number)
        return formats.plain(iv.value_num, _lang(), grouped=True)  # read, not typed: "1.234,5" / "1,234.5"
    return text


def _assignment_for(judge_id: int, entry_id: int) -> Assignment:
    """The judge's assignment to the entry. "Not yours" and "not there" are the same 404, so
    entry ids reveal nothing; a conflict the judge cannot avoid knowing about is a 403."""
    a = db.session.scalar(sa.select(Assignment).where(Assignment.entry_id == entry_id, Assignment.judge_id == judge_id))
    if a is None:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    conflicts.check_judge_access(judge_id, a.entry)
    return a


def _nodes(entry: Entry) -> dict[str, IndicatorNode]:
    return {n.code: n for n in db.session.scalars(
        sa.select(IndicatorNode).where(IndicatorNode.framework_version_id == entry.framework_version_id))}


def _computed(node: Node, value, fw=None, unit=None) -> float | None:
    """Points of the campaign's rule for the unit's value (with the unit's own target when ``fw`` is
    given); None when judges must decide."""
    if node.rule.kind in ("judged", "manual"):
        return None
    if fw is not None:
        node = with_rule(node, rule_for(node, unit, fw)[0])
    result = indicator_points(node, value)
    return None if result.status in ("missing", "invalid") else result.points


# --------------------------------------------------------------------------- the judge's list

def my_assignments(judge_id: int) -> list[dict]:
    indicator_count = (sa.select(IndicatorNode.framework_version_id, sa.func.count(IndicatorNode.id).label("n"))
                       .where(IndicatorNode.is_indicator).group_by(IndicatorNode.framework_version_id).subquery())
    scored = (sa.select(JudgeScore.assignment_id, sa.func.count(JudgeScore.id).label("n"))
              .group_by(JudgeScore.assignment_id).subquery())
    rows = db.session.execute(
        sa.select(Assignment, Entry, Campaign, Unit.name, indicator_count.c.n, scored.c.n, Unit.name_en)
        .join(Entry, Entry.id == Assignment.entry_id).join(Campaign, Campaign.id == Entry.campaign_id)
        .join(Unit, Unit.id == Entry.unit_id)
        .outerjoin(indicator_count, indicator_count.c.framework_version_id == Entry.framework_version_id)
        .outerjoin(scored, scored.c.assignment_id == Assignment.id)
        # what is left to score first, whichever campaign (a walk found 5 unscored entries after 15 submitted)
        .where(Assignment.judge_id == judge_id)
        .order_by(sa.case((Assignment.status == "submitted", 1), else_=0), Campaign.id, Entry.blind_code)).all()
    out = []
    for a, e, c, unit_name, total, done, name_en in rows:
        out.append({"assignment": a, "entry": e, "campaign": c,
                    "label": e.blind_code if is_blind(c) else localized({"vi": unit_name, "en": name_en}),
                    # a submit confirms the rule's points of every indicator left empty
                    "total": total or 0, "done": (total or 0) if a.status == "submitted" else (done or 0),
                    "deadline": c.appraisal_deadline,
                    "overdue": bool(c.appraisal_deadline and c.appraisal_deadline < utcnow()
                                    and a.status != "submitted")})
    return out


# --------------------------------------------------------------------------- the scoring page

def _accepted_files(entry_id: int) -> list[EvidenceFile]:
    return list(db.session.scalars(
        sa.select(EvidenceFile).where(EvidenceFile.entry_id == entry_id, EvidenceFile.deleted_at.is_(None),
                                      EvidenceFile.status == "accepted").order_by(EvidenceFile.id)))


def _evidence(entry: Entry, blind: bool) -> dict[int | None, list[dict]]:
    out: dict[int | None, list[dict]] = {}
    for n, f in enumerate(_accepted_files(entry.id), 1):
        name = blind_mode.served_name(entry, f, n) if blind else f.original_name
        preview = f.mime == "application/pdf" or f.mime.startswith("image/")
        out.setdefault(f.indicator_id, []).append({"id": f.id, "name": name, "mime": f.mime, "preview": preview})
    return out


def entry_view(judge_id: int, entry_id: int) -> dict:
    """Everything the judge's entry page shows; in blind mode every way of naming the unit is
    replaced by the entry code, in every free text (values, explanations, clarifications)."""
    a = _assignment_for(judge_id, entry_id)
    entry = a.entry
    campaign = entry.campaign
    blind = is_blind(campaign)
    fw = parsed(campaign.framework_version_id)
    nodes = _nodes(entry)
    values = {iv.indicator_id: iv for iv in entry.values}
    scores = {s.indicator_id: s for s in a.scores}
    files = _evidence(entry, blind)
    pattern = blind_mode.name_patterns(entry.unit) if blind else None

    def text(t: str | None) -> str:
        return blind_mode.redact(t, pattern, entry.blind_code) if blind else (t or "")

    groups = []
    unit = unit_context(entry.unit_id)
    for g in fw.groups:
        items = []
        for node in g.walk():
            if not node.is_indicator:
                continue
            row = nodes[node.code]
            iv = values.get(row.id)
            lo, hi = point_range(node)
            shown = value_label(iv, node)
            items.append({
                "code": node.code, "id": row.id, "name": localized(node.name) or row.name, "max": node.max_points,
                "lo": lo, "hi": hi, "rule_kind": node.rule.kind, "unit": node.unit,
                "value": None if shown is None else text(shown),
                "explanation": text(iv.explanation if iv else ""),
                "self_points": iv.self_points if iv else None,
                "computed": _computed(node, rule_value(iv, node), fw, unit),
                "levels": [{"points": lv.points, "name": localized(lv.descriptor) or lv.code}
                           for lv in getattr(node.rule, "levels", ()) or ()],
                "files": files.get(row.id, []),
                "score": scores.get(row.id),
            })
        groups.append({"code": g.code, "name": localized(g.name), "indicators": items})
    rule_points = {it["code"]: it["computed"] for g in groups for it in g["indicators"]}
    clarifications = db.session.scalars(sa.select(ClarificationRequest).where(ClarificationRequest.entry_id == entry.id)
                                        .order_by(ClarificationRequest.created_at)).all()
    return {"assignment": a, "entry": entry, "campaign": campaign, "blind": blind, "fw": fw,
            "marks": _stored_marks(a, nodes, rule_points), "label": entry.blind_code if blind else _unit_name(entry.unit),
            "narrative": text(entry.narrative), "groups": groups, "general_files": files.get(None, []),
            "clarifications": [{"codes": c.indicator_codes, "message": text(c.message), "created_at": c.created_at,
                                "response": text(c.response), "resolved_at": c.resolved_at} for c in clarifications],
            "deadline": campaign.appraisal_deadline,
            "editable": a.status != "submitted"}


def entry_framework(judge_id: int, entry_id: int) -> Framework:
    """The framework of an entry the judge may score (the scoring form is built from it)."""
    return parsed(_assignment_for(judge_id, entry_id).entry.campaign.framework_version_id)


def _stored_marks(a: Assignment, nodes: dict[str, IndicatorNode], rule_points: dict[str, float | None]) -> Marks:
    """The judge's saved marks in the shape of the form (points as typed in the locale).

    A mark equal to the rule's points shows as an empty field: empty means "confirm the rule's
    points" (the placeholder shows them), so a field the judge left empty comes back empty.
    """
    code_of = {n.id: c for c, n in nodes.items()}
    out: Marks = {}
    for s in a.scores:
        code = code_of[s.indicator_id]
        rule = rule_points.get(code)
        same = rule is not None and abs(s.points - rule) <= 1e-9
        out[code] = ("" if same else _num(s.points), s.comment or "", bool(s.comment_public))
    return out


# --------------------------------------------------------------------------- saving

@dataclass
class SaveResult:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)  # form field name -> message
    saved: bool = False  # the marks were written as a draft
    ready: bool = False  # a submit passed every check: confirm next
    notice: str | None = None  # why a submit was kept as a draft


def _submit_issues(fw: Framework, computed: dict[str, float | None],
                   marks: dict[str, tuple[float, str]]) -> dict[str, str]:
    """What a final submit still needs: a mark for every indicator the rule cannot score, and a
    comment on every mark that differs from the rule's points. Keys are form field names."""
    issues = {}
    for node in fw.indicators():
        mark = marks.get(node.code)
        if mark is None:
            issues[f"points-{node.code}"] = _("Cần chấm điểm chỉ tiêu này trước khi nộp.")
        elif computed.get(node.code) is not None and abs(mark[0] - computed[node.code]) > 1e-9 and not mark[1]:
            issues[f"comment-{node.code}"] = _(
                "Điểm %(mark)s khác điểm tính theo quy tắc (%(p)s): cần ghi nhận xét giải thích trước khi nộp.",
                mark=_shown(mark[0]), p=_shown(computed[node.code]))
    return issues


def _parse_mark(node: Node, raw: str) -> float:
    """The typed points, or DomainError with the message shown next to the field."""
    try:
        pts = parse_number(raw)
    except (ValueError, TypeError):
        raise DomainError(_("Điểm không hợp lệ: hãy nhập một số, ví dụ 12,5.")) from None
    lo, hi = point_range(node)
    if not lo <= pts <= hi:
        raise DomainError(_("Điểm phải trong khoảng %(lo)s đến %(hi)s.", lo=_shown(lo), hi=_shown(hi)))
    pts = clamp_points(node.rule.kind if node.kind != "penalty" else "penalty", pts, node.max_points)
    levels = getattr(node.rule, "levels", ()) or ()
    if node.rule.kind == "judged" and levels and pts not in {lv.points for lv in levels}:
        raise DomainError(_("Hãy chọn một mức đánh giá của chỉ tiêu."))
    return pts


def _writable(a: Assignment) -> None:
    if a.status == "submitted":
        raise Conflict(_("Điểm đã nộp; chỉ quản trị viên có thể mở lại để sửa."))
    if a.entry.campaign.status not in SCORING_CAMPAIGN:
        raise DomainError(_("Phong trào không ở giai đoạn chấm điểm."))
    if a.entry.status not in SCORABLE_ENTRY:
        raise DomainError(_("Hồ sơ chưa được đơn vị nộp."))


def save_scores(judge_id: int, entry_id: int, posted: Marks, *, submit: bool) -> SaveResult:
    """Save the posted marks as a draft; with ``submit``, also check what a submit needs.

    An empty points field confirms the rule's points (indicators the rule can score) or
    leaves the indicator unmarked. Only invalid numbers refuse the save (nothing is written
    then, and the page keeps what was typed); submit-only rules never block the draft.
    """
    a = _assignment_for(judge_id, entry_id)
    _writable(a)
    entry = a.entry
    fw = parsed(entry.campaign.framework_version_id)
    nodes = _nodes(entry)
    values = {iv.indicator_id: iv for iv in entry.values}
    errors: dict[str, str] = {}
    marks: dict[str, tuple[float, str, bool]] = {}
    computed: dict[str, float | None] = {}
    unit = unit_context(entry.unit_id)
    for node in fw.indicators():
        raw, comment, public = posted.get(node.code, ("", "", False))
        computed[node.code] = _computed(node, rule_value(values.get(nodes[node.code].id), node), fw, unit)
        if not node.max_points:  # an information indicator (0 points): judges do not score it
            if raw != "":
                errors[f"points-{node.code}"] = _("Chỉ tiêu này chỉ để thông tin, không tính điểm: giám khảo không chấm.")
            marks[node.code] = (0.0, comment, public)
            continue
        if raw == "":
            if computed[node.code] is not None:
                marks[node.code] = (computed[node.code], comment, public)
            continue
        try:
            marks[node.code] = (_parse_mark(node, raw), comment, public)
        except DomainError as exc:
            errors[f"points-{node.code}"] = exc.message
    if errors:
        return SaveResult(False, errors)
    _write_draft(a, fw, nodes, marks)
    notice = None
    if submit and entry.status == "clarification_requested":
        notice = _("Hồ sơ đang chờ đơn vị giải trình: điểm đã được lưu nháp, chưa nộp.")
        submit = False
    issues = _submit_issues(fw, computed, {c: (p, cm) for c, (p, cm, _pub) in marks.items()}) if submit else {}
    return SaveResult(not issues, issues, saved=True, ready=submit and not issues, notice=notice)


def _write_draft(a: Assignment, fw: Framework, nodes: dict[str, IndicatorNode],
                 marks: dict[str, tuple[float, str, bool]]) -> None:
    existing = {s.indicator_id: s for s in a.scores}
    before = {str(k): v.points for k, v in existing.items()}
    for node in fw.indicators():
        indicator_id = nodes[node.code].id
        js = existing.get(indicator_id)
        if node.code not in marks:
            if js is not None:  # the judge cleared the mark
                a.scores.remove(js)
            continue
        pts, comment, public = marks[node.code]
        if js is None:
            js = JudgeScore(assignment_id=a.id, indicator_id=indicator_id, points=pts)
            a.scores.append(js)
        js.points, js.comment, js.comment_public = pts, comment, public
    a.status = "draft"
    entry = a.entry
    audit.record("judging.save_draft", "assignment", a.id, campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                 before=before or None, after={str(nodes[c].id): m[0] for c, m in marks.items()})
    mark_stale(entry.campaign_id, entries=[entry.id])
    db.session.commit()


def _digest(a: Assignment) -> str:
    h = hashlib.sha256()
    for s in sorted(a.scores, key=lambda s: s.indicator_id):
        h.update(f"{s.indicator_id}|{s.points!r}|{s.comment}|{s.comment_public}\n".encode())
    return h.hexdigest()[:32]


def submission_summary(judge_id: int, entry_id: int) -> dict:
    """What the confirmation step states: the saved marks' total, how many differ from the
    rule and what is still missing (then the submit cannot be confirmed)."""
    a = _assignment_for(judge_id, entry_id)
    entry = a.entry
    fw = parsed(entry.campaign.framework_version_id)
    nodes = _nodes(entry)
    code_of = {n.id: c for c, n in nodes.items()}
    values = {iv.indicator_id: iv for iv in entry.values}
    unit = unit_context(entry.unit_id)
    computed = {n.code: _computed(n, rule_value(values.get(nodes[n.code].id), n), fw, unit) for n in fw.indicators()}
    marks = {code_of[s.indicator_id]: (s.points, s.comment or "") for s in a.scores}
    issues = _submit_issues(fw, computed, marks) if a.status != "submitted" else {}
    changed = [c for c, (p, _cm) in marks.items() if computed.get(c) is not None and abs(p - computed[c]) > 1e-9]
    by_code = {n.code: rule_value(values.get(nodes[n.code].id), n) for n in fw.indicators()}
    total = score_entry(fw, by_code, judged={c: p for c, (p, _cm) in marks.items()}, unit=unit).total
    return {"assignment": a, "entry": entry, "campaign": entry.campaign,
            "label": entry.blind_code if is_blind(entry.campaign) else _unit_name(entry.unit),
            "total": total, "scale": fw.scale, "marked": len(marks), "indicators": len(fw.indicators()),
            "changed": changed, "issues": issues, "digest": _digest(a), "submitted": a.status == "submitted"}


def confirm_submit(judge_id: int, entry_id: int, digest: str) -> Assignment:
    """Submit the saved marks the judge reviewed (``digest``); refused if they changed since."""
    summary = submission_summary(judge_id, entry_id)
    a = summary["assignment"]
    _writable(a)
    entry = a.entry
    if entry.status == "clarification_requested":
        raise Conflict(_("Hồ sơ đang chờ đơn vị giải trình: điểm đã được lưu nháp, chưa nộp."))
    if summary["issues"]:
        raise Conflict(_("Chưa nộp được: còn %(n)s mục cần sửa trên trang chấm điểm.", n=len(summary["issues"])))
    if digest != summary["digest"]:
        raise Conflict(_("Điểm đã thay đổi (ở một cửa sổ khác) từ khi bạn xem lại: hãy xem lại rồi nộp."))
    a.status, a.submitted_at = "submitted", utcnow()
    audit.record("judging.submit", "assignment", a.id, campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                 before={"status": "draft"}, after={"status": "submitted", "total": summary["total"]})
    db.session.flush()
    pending = db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(
        Assignment.entry_id == entry.id, Assignment.status != "submitted"))
    if pending == 0 and entry.status in ("submitted", "resubmitted"):
        entry.status = "appraised"
    mark_stale(entry.campaign_id, entries=[entry.id])
    db.session.commit()
    return a


# --------------------------------------------------------------------------- clarifications

def clarification_codes(judge_id: int, entry_id: int) -> list[str]:
    a = _assignment_for(judge_id, entry_id)
    return [n.code for n in parsed(a.entry.campaign.framework_version_id).indicators()]


def request_clarification(judge_id: int, entry_id: int, codes: list[str], message: str) -> ClarificationRequest:
    a = _assignment_for(judge_id, entry_id)
    entry = a.entry
    if a.status == "submitted":
        raise Conflict(_("Điểm đã nộp; chỉ quản trị viên có thể mở lại để sửa."))
    valid = {n.code for n in parsed(entry.campaign.framework_version_id).indicators()}
    codes = [c for c in dict.fromkeys(codes) if c]
    if not codes or any(c not in valid for c in codes):
        raise DomainError(_("Hãy chọn ít nhất một chỉ tiêu cần giải trình."))
    if not (message or "").strip():
        raise DomainError(_("Cần ghi nội dung yêu cầu giải trình."))
    if entry.status not in SCORABLE_ENTRY:
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


# --------------------------------------------------------------------------- evidence

@dataclass(frozen=True)
class Download:
    path: str
    name: str
    mime: str
    inline: bool


def evidence_for_judge(judge_id: int, file_id: int) -> Download:
    """The file to send (after the assignment and conflict checks) and its name. In blind mode
    the name comes from the entry code and the sniffed type, and PDF/Office files are a copy
    without author metadata; the original stays as uploaded for the commission."""
    f = db.session.get(EvidenceFile, file_id)
    if f is None or f.deleted_at is not None or f.status != "accepted":
        raise NotFound(_("Không tìm thấy tệp."))
    try:
        _assignment_for(judge_id, f.entry_id)
    except NotFound:
        raise NotFound(_("Không tìm thấy tệp.")) from None
    folder = current_app.config["UPLOAD_FOLDER"]
    path = os.path.join(folder, os.path.basename(f.storage_name))
    if not os.path.isfile(path):
        raise NotFound(_("Tệp không còn trên máy chủ; hãy báo quản trị viên."))
    inline = f.mime == "application/pdf" or f.mime.startswith("image/")
    entry = f.entry
    if not is_blind(entry.campaign):
        return Download(path, f.original_name, f.mime, inline)
    n = [x.id for x in _accepted_files(entry.id)].index(f.id) + 1
    copy = blind_mode.stripped_copy(f, path, os.path.join(folder, "blind-copies"))
    return Download(copy, blind_mode.served_name(entry, f, n), f.mime, inline)


# --------------------------------------------------------------------------- conflicts declared by judges

def declare_conflict(judge_id: int, unit_id: int, reason: str) -> ConflictDeclaration:
    """Record a declared conflict. The answer is the same whether or not it hits an assigned
    entry: in a blind campaign anything else would tell the judge which entry is that unit's."""
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


def conflict_page(judge_id: int) -> dict:
    """The judge's declarations and the units they may declare (active units, by level and code)."""
    declarations = db.session.execute(
        sa.select(ConflictDeclaration, Unit).join(Unit, Unit.id == ConflictDeclaration.unit_id)
        .where(ConflictDeclaration.judge_id == judge_id).order_by(ConflictDeclaration.created_at)).all()
    units = db.session.scalars(sa.select(Unit).where(Unit.valid_to.is_(None)).order_by(Unit.level, Unit.code)).all()
    return {"declarations": list(declarations), "units": list(units)}
