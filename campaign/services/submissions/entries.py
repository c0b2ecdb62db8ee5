"""A unit's entry: drafts, validation, self-score, submission, clarification and versions.

All maths goes through ``scoring`` (the same engine as the official results); this module
only turns stored rows into engine values and back, checks who may do what, and commits.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.labels import localized
from campaign.models import (
    Assignment,
    Campaign,
    CampaignUnit,
    ClarificationRequest,
    DeadlineExtension,
    Entry,
    EntryVersion,
    EvidenceFile,
    IndicatorNode,
    IndicatorValue,
    User,
)
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError, NotFound
from campaign.services.judging import conflicts
from campaign.services.judging.workspace import is_blind
from campaign.services.results.freshness import mark_stale
from campaign.services.setup.campaigns import get_campaign
from campaign.services.setup.framework_cache import parsed
from campaign.services.submissions import derived
from campaign.sqlite import writing_transactions
from scoring.entry import check_values, score_entry
from scoring.framework import Framework, Node
from scoring.rules import NA, is_missing, to_bool, to_number

EDITABLE = ("draft", "clarification_requested")
SUBMITTED = ("submitted", "resubmitted", "appraised")
OPEN_CAMPAIGN = ("open",)


# --------------------------------------------------------------------------- framework helpers

label = localized  # the user's language from a {vi, en} dict (Vietnamese as fallback)


def self_level_only(node: Node) -> bool:
    """A judged indicator whose value is free text/date/file: the engine cannot score the value."""
    return node.rule.kind == "judged" and node.value_type not in (None, "choice")


def engine_values(fw: Framework, posted: dict[str, dict]) -> dict[str, object]:
    """{code: {raw, na}} → values for ``scoring`` (NA marker, raw text, or None)."""
    out: dict[str, object] = {}
    for n in fw.indicators():
        item = posted.get(n.code) or {}
        if item.get("na"):
            out[n.code] = NA
        elif self_level_only(n) or n.value_type == "file_only":
            out[n.code] = None  # judges decide
        else:
            raw = item.get("raw")
            out[n.code] = None if is_missing(raw) else raw
    out.update(derived.part_values(fw, posted))  # criteria marked N/A as a whole
    return out


def check_values_raw(fw: Framework, posted: dict[str, dict]) -> dict[str, list]:
    """check_values on the posted draft, text values of free-form indicators included."""
    values = engine_values(fw, posted)
    for n in fw.indicators():
        item = posted.get(n.code) or {}
        if self_level_only(n) and not item.get("na") and not is_missing(item.get("raw")):
            values[n.code] = item.get("raw")
    return check_values(fw, values)


# --------------------------------------------------------------------------- messages

def _fmt(x) -> str:
    if x is None:
        return "…"
    return str(int(x) if isinstance(x, float) and x == int(x) else x)


def issue_message(fw: Framework, issue) -> str:
    """A ValueIssue from the engine as a sentence in the user's language."""
    p = issue.params or {}
    key = issue.key
    try:
        node = fw.node(issue.code)
    except KeyError:
        node = None
    if key == "required":
        return _("Chỉ tiêu này bắt buộc phải có giá trị.")
    if key == "not_a_number":
        if node is not None and node.value_type == "count":  # a whole number: no decimal examples
            return _("“%(value)s” không phải là một số nguyên. Ví dụ hợp lệ: 1234 hoặc 1.234", value=p.get("value", ""))
        return _("“%(value)s” không phải là một số. Ví dụ hợp lệ: 1234 hoặc 1.234,5 hoặc 1234.5", value=p.get("value", ""))
    if key == "ambiguous_number":
        return _("“%(value)s” không rõ nghĩa: dấu phân cách có thể là hàng nghìn hoặc phần thập phân. "
                 "Hãy viết không có dấu phân cách hàng nghìn (ví dụ 1234) hoặc ghi rõ phần thập phân "
                 "(ví dụ 1,2340 hoặc 1.234,0).", value=p.get("value", ""))
    if key == "out_of_range":
        if node is not None and node.value_type == "percentage":
            return _("Tỷ lệ phải từ %(min)s đến %(max)s%%.", min=_fmt(p.get("min")), max=_fmt(p.get("max")))
        if p.get("max") is None:
            return _("Giá trị phải lớn hơn hoặc bằng %(min)s.", min=_fmt(p.get("min")))
        if p.get("min") is None:
            return _("Giá trị phải nhỏ hơn hoặc bằng %(max)s.", max=_fmt(p.get("max")))
        return _("Giá trị phải nằm trong khoảng %(min)s – %(max)s.", min=_fmt(p.get("min")), max=_fmt(p.get("max")))
    if key == "not_an_integer":
        return _("Phải là số nguyên (không có phần thập phân).")
    if key in ("not_in_choices", "unknown_level"):
        return _("Lựa chọn không nằm trong danh sách cho phép.")
    if key == "not_yes_no":
        return _("Hãy chọn Có hoặc Không.")
    if key == "not_a_date":
        return _("Ngày không hợp lệ; dùng định dạng năm-tháng-ngày, ví dụ 2025-06-30.")
    if key == "na_not_allowed":
        return _("Chỉ tiêu này không được đánh dấu “không áp dụng”.")
    if key == "check_failed":
        custom = label(p.get("message"))
        if custom:
            return custom
        return _("Giá trị không thỏa điều kiện %(op)s so với chỉ tiêu %(other)s.", op=p.get("op", ""), other=p.get("other", ""))
    if key == "unknown_indicator":
        return _("Mã chỉ tiêu không có trong bộ tiêu chí.")
    if key == "not_computable":
        if p.get("reason") == "division_by_zero":
            return _("Không tính được: %(expr)s bằng 0 (phép chia cho 0).", expr=p.get("operand", ""))
        return _("Không tính được: chưa có giá trị của chỉ tiêu %(code)s.", code=p.get("operand", ""))
    return key


def validation_errors(fw: Framework, posted: dict[str, dict], *, for_submit: bool,
                      evidence_counts: dict[str, int] | None = None, only: set[str] | None = None) -> dict[str, list[str]]:
    """{code: [messages]}. Drafts skip 'required' and evidence; submission checks everything.

    ``only`` limits the check to some indicators: a clarification answer is held to what was
    asked, and what was accepted at the first submission stays accepted.
    """
    errors: dict[str, list[str]] = {}
    for code, issues in check_values_raw(fw, posted).items():
        if only is not None and code not in only:
            continue
        for issue in issues:
            if not for_submit and issue.key == "required":
                continue
            errors.setdefault(code, []).append(issue_message(fw, issue))
    if for_submit:
        counts = evidence_counts or {}
        for n in fw.indicators():
            if only is not None and n.code not in only:
                continue
            ev = n.evidence or {}
            item = posted.get(n.code) or {}
            if not ev.get("required") or item.get("na") or counts.get(n.code):
                continue
            if ev.get("explanation_allowed") and (item.get("explanation") or "").strip():
                continue
            if ev.get("explanation_allowed"):
                msg = _("Cần đính kèm tệp minh chứng, hoặc viết giải trình nếu chưa có.")
            else:
                msg = _("Cần đính kèm ít nhất một tệp minh chứng.")
            errors.setdefault(n.code, []).append(msg)
    return errors


# --------------------------------------------------------------------------- access

def _participates(campaign_id: int, unit_id: int | None) -> bool:
    return unit_id is not None and db.session.scalar(
        sa.select(sa.func.count()).select_from(CampaignUnit)
        .where(CampaignUnit.campaign_id == campaign_id, CampaignUnit.unit_id == unit_id)) > 0


def can_view_entry(entry: Entry, user: User) -> bool:
    if user.role == "admin":
        return True
    if user.role == "officer":
        return user.unit_id is not None and entry.unit_id == user.unit_id
    if user.role == "judge":
        # Only an assigned, unconflicted judge, and never in blind mode: there judges go through
        # the judging pages, which show entry codes and rename files instead of unit names.
        assigned = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(
            Assignment.entry_id == entry.id, Assignment.judge_id == user.id)) > 0
        return (assigned and not is_blind(entry.campaign)
                and not conflicts.conflict_reasons(user.id, entry.id))
    return False


def entry_for_view(entry_id: int, user: User) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None or not can_view_entry(entry, user):
        # the same answer whether it exists or not: ids of other units are not disclosed
        raise NotFound(_("Không tìm thấy hồ sơ."))
    return entry


def entry_for_edit(entry_id: int, user: User) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None or user.role != "officer" or entry.unit_id != user.unit_id:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    return entry


def open_entry(campaign_id: int, user: User) -> Entry:
    """The officer's entry in a campaign, created (draft) on first visit."""
    if user.role != "officer" or not _participates(campaign_id, user.unit_id):
        raise NotFound(_("Không tìm thấy phong trào."))
    campaign = get_campaign(campaign_id)
    entry = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == campaign_id,
                                                     Entry.unit_id == user.unit_id))
    if entry is not None:
        return entry
    if campaign.status not in OPEN_CAMPAIGN or campaign.framework_version_id is None:
        raise DomainError(_("Phong trào chưa mở nhận hồ sơ."))
    # The first visit (a GET) writes: leave the read snapshot and write in a transaction that
    # queues for SQLite's lock (a deferred one cannot wait and fails under load).
    db.session.rollback()
    with writing_transactions():
        existing = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == campaign_id,
                                                            Entry.unit_id == user.unit_id))
        if existing is not None:  # created by another tab meanwhile
            return existing
        entry = create_entry(db.session.get(Campaign, campaign_id), user.unit_id)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # created by another tab a moment ago (PostgreSQL)
            db.session.rollback()
            entry = db.session.scalar(sa.select(Entry).where(Entry.campaign_id == campaign_id,
                                                             Entry.unit_id == user.unit_id))
    return entry


def create_entry(campaign: Campaign, unit_id: int) -> Entry:
    """A new draft entry (flushed, not committed)."""
    entry = Entry(campaign_id=campaign.id, unit_id=unit_id, framework_version_id=campaign.framework_version_id,
                  blind_code=secrets.token_hex(6).upper())
    db.session.add(entry)
    db.session.flush()
    audit.record("entry.create", "entry", entry.id, campaign_id=campaign.id, unit_id=unit_id)
    return entry


# --------------------------------------------------------------------------- deadlines

def effective_deadline(campaign: Campaign, unit_id: int) -> tuple[datetime | None, bool]:
    """(deadline, extended?) for a unit: its extension when one was granted."""
    ext = db.session.scalar(sa.select(DeadlineExtension).where(
        DeadlineExtension.campaign_id == campaign.id, DeadlineExtension.unit_id == unit_id))
    if ext is not None:
        return ext.new_deadline, True
    return campaign.submission_deadline, False


# --------------------------------------------------------------------------- reading

def nodes_by_code(entry: Entry, indicators_only: bool = True) -> dict[str, IndicatorNode]:
    return {n.code: n for n in db.session.scalars(sa.select(IndicatorNode).where(
        IndicatorNode.framework_version_id == entry.framework_version_id,
        *((IndicatorNode.is_indicator,) if indicators_only else ())))}


def stored_posted(entry: Entry) -> dict[str, dict]:
    """{code: {raw, na, explanation}} of what is saved."""
    rows = db.session.execute(
        sa.select(IndicatorNode.code, IndicatorValue)
        .join(IndicatorValue, IndicatorValue.indicator_id == IndicatorNode.id)
        .where(IndicatorValue.entry_id == entry.id)).all()
    return {code: {"raw": iv.raw or "", "na": bool(iv.is_na), "explanation": iv.explanation or ""}
            for code, iv in rows}


def evidence_counts(entry_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(IndicatorNode.code, sa.func.count(EvidenceFile.id))
        .join(EvidenceFile, EvidenceFile.indicator_id == IndicatorNode.id)
        .where(EvidenceFile.entry_id == entry_id, EvidenceFile.deleted_at.is_(None),
               EvidenceFile.status == "accepted")
        .group_by(IndicatorNode.code)).all()
    return {code: n for code, n in rows}


def open_clarifications(entry_id: int) -> list[ClarificationRequest]:
    return list(db.session.scalars(sa.select(ClarificationRequest).where(
        ClarificationRequest.entry_id == entry_id, ClarificationRequest.resolved_at.is_(None))
        .order_by(ClarificationRequest.id)))


def editable_codes(entry: Entry, fw: Framework) -> set[str]:
    """Codes the unit may change now: all in a draft, only the asked ones under clarification."""
    if entry.status == "draft":
        return {n.code for n in fw.indicators()} | set(derived.part_codes(fw))
    if entry.status == "clarification_requested":
        asked = derived.with_operands(fw, {c for r in open_clarifications(entry.id) for c in (r.indicator_codes or [])})
        return asked | {c for c, n in derived.part_codes(fw).items()  # a criterion when all its sub-items are asked
                        if all(x.code in asked for x in n.walk() if x.is_indicator)}
    return set()


def completeness(fw: Framework, posted: dict[str, dict], counts: dict[str, int]) -> dict:
    """How much of the form is filled. A value with an error ("bốn", 150 %) is not filled until corrected."""
    inds = fw.indicators()
    invalid = set(validation_errors(fw, posted, for_submit=False))
    filled = sum(1 for n in inds if n.code not in invalid and (
        (posted.get(n.code) or {}).get("na") or not is_missing((posted.get(n.code) or {}).get("raw"))
        or n.value_type == "file_only" and counts.get(n.code)))
    need = [n for n in inds if (n.evidence or {}).get("required")]
    has = sum(1 for n in need if counts.get(n.code) or (posted.get(n.code) or {}).get("na")
              or ((n.evidence or {}).get("explanation_allowed") and (posted.get(n.code) or {}).get("explanation", "").strip()))
    total = len(inds)
    return {"filled": filled, "total": total, "pct": round(100.0 * filled / total) if total else 100,
            "evidence_needed": len(need), "evidence_ok": has, "invalid": len(invalid)}


@dataclass
class Preview:
    total: float
    scale: float
    indicators: dict[str, dict] = field(default_factory=dict)
    groups: dict[str, dict] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"total": self.total, "scale": self.scale, "indicators": self.indicators, "groups": self.groups}


def preview(fw: Framework, posted: dict[str, dict], unit_id: int | None = None) -> Preview:
    """Live self-score of a (possibly unsaved) draft, with the official engine (and the unit's targets). A value
    with an error ("-3", "1,234.5": a draft keeps it) is not counted: no points, feeds no formula (``counted``)."""
    issues = check_values_raw(fw, posted)
    bad = {code for code, found in issues.items() if any(i.key != "required" for i in found)}
    values, computed = engine_values(fw, posted), {n.code for n in fw.indicators() if n.compute is not None}
    values.update({code: None for code in bad - computed if code in values})  # as if empty
    # a computed value with an error of its own (a share over 100 %): 0 points, through the engine's totals
    score = score_entry(fw, values, judged={c: 0.0 for c in bad & computed}, unit=derived.unit_context(unit_id))
    inds = {}
    for code, s in score.indicators.items():
        inds[code] = {"points": s.points, "max": s.max_points, "status": s.status, "counted": code not in bad,
                      "errors": [issue_message(fw, i) for i in issues.get(code, []) if i.key != "required"],
                      **({"computed": s.value if isinstance(s.value, float) else None} if "formula" in s.basis else {}),
                      **({"thresholds": s.basis["thresholds"]} if "thresholds" in s.basis else {})}
    groups = {code: {"points": g.points, "max": g.max_points} for code, g in score.groups.items()}
    return Preview(score.total, score.scale, inds, groups)


# --------------------------------------------------------------------------- saving

class StaleForm(Conflict):
    """The entry changed since the form was loaded (another tab or colleague)."""


def value_columns(node: Node, item: dict) -> tuple[float | None, str | None]:
    """(value_num, value_text) for a posted {raw, na}: numbers and yes/no (1/0) in value_num, the rest as text."""
    if item.get("na") or is_missing(item.get("raw")):
        return None, None
    raw = item["raw"].strip()
    try:
        if node.value_type in ("number", "percentage", "count") or node.compute is not None:
            return to_number(raw), None
        if node.value_type == "yes_no":
            return (1.0 if to_bool(raw) else 0.0), None
    except ValueError:
        return None, None
    return None, raw


def save_values(entry_id: int, user: User, posted: dict[str, dict], lock_version: int | None, *,
                only: set[str] | None = None, source: str = "form", commit: bool = True) -> dict:
    """Store the posted values of an editable entry (a draft: malformed values kept as typed).

    ``posted`` = {code: {raw, na, explanation}}; codes absent from it are left alone.
    Returns {"changed": [codes], "errors": {code: [msg]}, "lock_version": n}.
    """
    entry = entry_for_edit(entry_id, user)
    return save_entry_values(entry, user, posted, lock_version, only=only, source=source, commit=commit)


def save_entry_values(entry: Entry, user: User, posted: dict[str, dict], lock_version: int | None, *,
                      only: set[str] | None = None, source: str = "form", commit: bool = True) -> dict:
    """save_values for an entry the caller has already authorised."""
    if entry.status not in EDITABLE:
        raise DomainError(_("Hồ sơ đã nộp và đang khóa; không thể sửa."))
    fw = parsed(entry.framework_version_id)
    allowed = editable_codes(entry, fw)
    stored = stored_posted(entry)
    merged = {code: dict(v) for code, v in stored.items()}
    changed: list[str] = []
    refused: dict[str, list[str]] = {}
    known = {n.code for n in fw.indicators()} | set(derived.part_codes(fw))
    for code, item in derived.normalise_posted(fw, posted, stored).items():
        if code not in known:
            continue
        if only is not None and code not in only:
            continue
        old = stored.get(code, {"raw": "", "na": False, "explanation": ""})
        new = {"raw": (item.get("raw") or "").strip(), "na": bool(item.get("na")),
               "explanation": (item.get("explanation") or "").strip()}
        if new == {"raw": (old["raw"] or "").strip(), "na": old["na"], "explanation": (old["explanation"] or "").strip()}:
            continue
        if code not in allowed:
            refused.setdefault(code, []).append(
                _("Chỉ được sửa các chỉ tiêu được yêu cầu giải trình; chỉ tiêu này đang khóa."))
            continue
        merged[code] = new
        changed.append(code)
    if refused:
        return {"changed": [], "errors": refused, "lock_version": entry.lock_version, "refused": True}
    if changed:  # computed indicators and the sub-items of a criterion marked N/A follow what changed
        changed += [c for c in derived.derive(fw, merged, engine_values) if c not in changed]
    if lock_version is not None:
        # Optimistic concurrency: only the form loaded at the current version may write. A post that
        # changes no value (the browser re-sending a saved form on reload) overwrites nobody's work.
        bumped = db.session.execute(
            sa.update(Entry).where(Entry.id == entry.id, Entry.lock_version == int(lock_version))
            .values(lock_version=Entry.lock_version + 1, updated_at=utcnow())) if changed else None
        if bumped is not None and bumped.rowcount != 1:
            db.session.rollback()
            raise StaleForm(_("Hồ sơ vừa được lưu ở một tab hoặc máy khác. Dữ liệu bạn nhập vẫn còn trên biểu mẫu; "
                              "hãy xem lại phiên bản mới nhất rồi lưu lại."))
    else:
        db.session.execute(sa.update(Entry).where(Entry.id == entry.id)
                           .values(lock_version=Entry.lock_version + 1, updated_at=utcnow()))
    errors = validation_errors(fw, merged, for_submit=False)
    if changed:
        _write_rows(entry, fw, merged, changed, user)
        audit.record("entry.save_values", "entry", entry.id, campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                     before={c: stored.get(c) for c in changed}, after={c: merged[c] for c in changed},
                     reason=source)
        mark_stale(entry.campaign_id, entries=[entry.id])
    if commit:
        db.session.commit()
    db.session.refresh(entry)
    return {"changed": changed, "errors": errors, "lock_version": entry.lock_version, "refused": False}


def _write_rows(entry: Entry, fw: Framework, merged: dict[str, dict], changed: list[str], user: User) -> None:
    nodes = nodes_by_code(entry, indicators_only=False)
    score = score_entry(fw, engine_values(fw, merged), unit=derived.unit_context(entry.unit_id))
    existing = {iv.indicator_id: iv for iv in db.session.scalars(
        sa.select(IndicatorValue).where(IndicatorValue.entry_id == entry.id))}
    by_code = {n.code: n for n in fw.indicators()}
    for code in changed:
        node_row, node = nodes[code], by_code.get(code)
        item = merged[code]
        iv = existing.get(node_row.id)
        if iv is None:
            iv = IndicatorValue(entry_id=entry.id, indicator_id=node_row.id)
            db.session.add(iv)
        num, text = value_columns(node, item) if node is not None else (None, None)
        iv.raw = item["raw"] or None
        iv.is_na = item["na"]
        iv.explanation = item["explanation"]
        iv.value_num, iv.value_text = num, text
        iv.updated_by_id = getattr(user, "id", None)
        if node is None:  # a criterion marked N/A as a whole: its sub-items carry the points
            iv.points = iv.self_points = None
            continue
        s = score.indicators[code]
        iv.points = s.points
        iv.self_points = s.points if s.status in ("scored", "not_applicable") else None
        iv.updated_by_id = getattr(user, "id", None)
    db.session.execute(sa.update(Entry).where(Entry.id == entry.id).values(self_total=score.total))


# --------------------------------------------------------------------------- submission

def snapshot(entry: Entry) -> dict:
    fw = parsed(entry.framework_version_id)
    posted = stored_posted(entry)
    score = score_entry(fw, engine_values(fw, posted), unit=derived.unit_context(entry.unit_id))
    files = db.session.execute(
        sa.select(IndicatorNode.code, EvidenceFile.id, EvidenceFile.original_name, EvidenceFile.sha256)
        .join(IndicatorNode, IndicatorNode.id == EvidenceFile.indicator_id)
        .where(EvidenceFile.entry_id == entry.id, EvidenceFile.deleted_at.is_(None))
        .order_by(EvidenceFile.id)).all()
    out = {}
    for n in fw.indicators():
        item = posted.get(n.code, {"raw": "", "na": False, "explanation": ""})
        out[n.code] = {**item, "points": score.indicators[n.code].points,
                       "files": [{"id": f.id, "name": f.original_name, "sha256": f.sha256}
                                 for f in files if f.code == n.code]}
    return {"values": out, "self_total": score.total}


def check_window(entry: Entry, now: datetime | None = None) -> None:
    """Raise DomainError when a first submission is no longer accepted (campaign closed, deadline passed).

    A clarification answer is not bound by the deadline: the council asked for it.
    """
    if entry.status == "clarification_requested":
        return
    campaign = db.session.get(Campaign, entry.campaign_id)
    if campaign.status not in OPEN_CAMPAIGN:
        raise DomainError(_("Phong trào không còn nhận hồ sơ."))
    deadline, extended = effective_deadline(campaign, entry.unit_id)
    if deadline is not None and (now or utcnow()) > deadline:
        if extended:
            raise DomainError(_("Đã quá hạn gia hạn nộp hồ sơ của đơn vị. Vui lòng liên hệ Hội đồng thi đua."))
        raise DomainError(_("Đã quá hạn nộp hồ sơ. Đơn vị chỉ nộp được khi Hội đồng thi đua cho gia hạn."))


def submit_errors(entry: Entry, fw: Framework) -> dict[str, list[str]]:
    """What stops this entry from being submitted now: everything for a first submission; only the
    asked indicators for a clarification answer (the rest was accepted and is locked)."""
    only = editable_codes(entry, fw) if entry.status == "clarification_requested" else None
    return validation_errors(fw, stored_posted(entry), for_submit=True, evidence_counts=evidence_counts(entry.id),
                             only=only)


def submit(entry_id: int, user: User, *, now: datetime | None = None,
           expected_lock: int | None = None) -> tuple[Entry, bool]:
    """Validate, lock and snapshot. Returns (entry, created); already submitted → (entry, False).

    ``expected_lock`` is the version the officer confirmed: a change made meanwhile (another
    tab) is not submitted unseen.
    """
    entry = entry_for_edit(entry_id, user)
    if entry.status in SUBMITTED:
        return entry, False  # double click / second tab: one submission
    if expected_lock is not None and expected_lock != entry.lock_version:
        raise StaleForm(_("Hồ sơ đã thay đổi sau khi bạn mở trang xác nhận (ở một tab hoặc máy khác). "
                          "Hãy xem lại rồi bấm nộp lần nữa."))
    now = now or utcnow()
    resubmit = entry.status == "clarification_requested"
    check_window(entry, now)
    errors = submit_errors(entry, parsed(entry.framework_version_id))
    if errors:
        raise InvalidEntry(errors)
    new_status = "resubmitted" if resubmit else "submitted"
    claimed = db.session.execute(
        sa.update(Entry).where(Entry.id == entry.id, Entry.status == entry.status)
        .values(status=new_status, submitted_at=now,
                first_submitted_at=sa.func.coalesce(Entry.first_submitted_at, now),
                lock_version=Entry.lock_version + 1))
    if claimed.rowcount != 1:  # the other tab won the race
        db.session.rollback()
        return db.session.get(Entry, entry_id), False
    number = (db.session.scalar(sa.select(sa.func.max(EntryVersion.number))
                                .where(EntryVersion.entry_id == entry.id)) or 0) + 1
    db.session.refresh(entry)
    db.session.add(EntryVersion(entry_id=entry.id, number=number, kind="resubmit" if resubmit else "submit",
                                content=snapshot(entry), created_by_id=user.id, created_at=now))
    if resubmit:
        db.session.execute(sa.update(ClarificationRequest).where(
            ClarificationRequest.entry_id == entry.id, ClarificationRequest.resolved_at.is_(None))
            .values(resolved_at=now))
    audit.record("entry.resubmit" if resubmit else "entry.submit", "entry", entry.id,
                 campaign_id=entry.campaign_id, unit_id=entry.unit_id, after={"version": number})
    mark_stale(entry.campaign_id, entries=[entry.id])
    db.session.commit()
    return entry, True


class InvalidEntry(DomainError):
    status = 422

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("Hồ sơ chưa nộp được: còn %(n)s chỉ tiêu cần sửa (xem thông báo cạnh từng ô).", n=len(errors)))
        self.errors = errors


def request_clarification(entry_id: int, user: User, codes: list[str], message: str) -> ClarificationRequest:
    """Commission or an assigned judge asks the unit to clarify some indicators; reopens only those."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not (user.role == "admin" or (user.role == "judge" and can_view_entry(entry, user))):
        raise NotFound(_("Không tìm thấy hồ sơ."))
    if entry.status not in ("submitted", "resubmitted", "clarification_requested"):
        raise DomainError(_("Chỉ yêu cầu giải trình được với hồ sơ đã nộp."))
    fw = parsed(entry.framework_version_id)
    known = {n.code for n in fw.indicators()}
    codes = [c for c in dict.fromkeys(c.strip() for c in codes) if c]
    unknown = [c for c in codes if c not in known]
    if not codes or unknown:
        raise DomainError(_("Mã chỉ tiêu không hợp lệ: %(codes)s", codes=", ".join(unknown) or "—"))
    req = ClarificationRequest(entry_id=entry.id, indicator_codes=codes, message=message.strip(),
                               requested_by_id=user.id)
    db.session.add(req)
    entry.status = "clarification_requested"
    entry.lock_version += 1
    audit.record("entry.clarification_requested", "entry", entry.id, campaign_id=entry.campaign_id,
                 unit_id=entry.unit_id, after={"codes": codes})
    db.session.commit()
    return req
