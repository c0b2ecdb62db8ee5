"""The officer's entry page: what it shows, and what one press of a button on it does.

The view parses the form into a ``Posted`` and makes one call here (issue 17): reading,
saving values and files, deleting a file and the pre-submit check happen in one
transaction, so a refused request leaves nothing half-written. Submitting is a second,
explicit step (``submit_summary`` → ``confirm_submit``) so that an officer sees what will
happen before the entry is locked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from campaign.extensions import db
from campaign.models import Campaign, ClarificationRequest, Entry, EvidenceFile, User
from campaign.services.errors import DomainError
from campaign.services.setup.framework_cache import parsed
from campaign.services.submissions import derived, evidence, stash
from campaign.services.submissions.entries import (
    EDITABLE,
    SUBMITTED,
    InvalidEntry,
    Preview,
    StaleForm,
    check_window,
    completeness,
    editable_codes,
    effective_deadline,
    engine_values,
    entry_for_edit,
    label,
    open_clarifications,
    preview,
    save_entry_values,
    stored_posted,
    submit,
    submit_errors,
    validation_errors,
)
from scoring.framework import Framework
from scoring.rules import is_missing

# Longest value kept without a remark: numbers and short answers / free text and explanations.
SHORT_MAX, TEXT_MAX = 100, 20000


@dataclass
class Posted:
    """What one press of a button on the entry form sent."""

    values: dict[str, dict]  # {code: {raw, na, explanation}} for the codes on the form
    files: dict[str, list] = field(default_factory=dict)  # {code: [FileStorage]}, empty inputs dropped
    lock_version: int | None = None
    action: str = "save"  # save | submit
    delete_file: int | None = None


@dataclass
class EntryPage:
    """Everything the entry page shows; ``shown`` is what each field displays."""

    entry: Entry
    campaign: Campaign
    fw: Framework
    shown: dict[str, dict]
    errors: dict[str, list[str]]
    files: dict[str, list[EvidenceFile]]
    editable: set[str]
    preview: Preview
    completeness: dict
    clarifications: list[ClarificationRequest]
    deadline: datetime | None
    extended: bool
    accepted: dict[str, list[str]]  # code -> file kinds accepted for it
    form_signature: str
    restored: bool = False
    conflict: str | None = None
    formulas: dict[str, str] = field(default_factory=dict)  # computed indicator -> its formula with names
    value_errors: dict[str, list[str]] = field(default_factory=dict)  # the messages about the value field itself


@dataclass
class SubmitSummary:
    """What the confirmation step states before an entry is locked."""

    entry: Entry
    campaign: Campaign
    total: float
    scale: float
    empty: list[tuple[str, str]]  # (code, name) of indicators left without a value
    files: int
    resubmit: bool
    asked: list[str]


@dataclass
class Outcome:
    """The answer to a post: a page to render (with status), a confirmation step, or a redirect."""

    page: EntryPage | None = None
    status: int = 200
    confirm: SubmitSummary | None = None
    redirect: bool = False
    messages: list[tuple[str, str]] = field(default_factory=list)  # (text, category) to flash


# --------------------------------------------------------------------------- reading

def _page(entry: Entry, user: User, *, posted: dict[str, dict] | None = None,
          errors: dict[str, list[str]] | None = None, **extra) -> EntryPage:
    """The page for ``entry``: stored values, overlaid with posted ones on the indicators the officer may edit.

    Locked indicators always show what is stored (a refused post carries no value for them),
    and invalid values kept in a draft are marked with their message on every visit.
    """
    fw = parsed(entry.framework_version_id)
    editable = editable_codes(entry, fw)
    shown = stored_posted(entry)
    for code, item in derived.typed_posted(fw, posted or {}).items():
        if code in editable:
            shown[code] = item
    derived.derive(fw, shown, engine_values)  # computed values and N/A sub-items as they will be saved
    marks = validation_errors(fw, shown, for_submit=False, only=editable)
    about_value = {code: set(msgs) for code, msgs in marks.items()}
    for code, msgs in (errors or {}).items():
        marks[code] = list(dict.fromkeys(marks.get(code, []) + msgs))
    value_errors = {code: [m for m in msgs if m in about_value.get(code, ()) or m in _value_messages()]
                    for code, msgs in marks.items()}
    files = evidence.files_of(entry.id)
    campaign = db.session.get(Campaign, entry.campaign_id)
    deadline, extended = effective_deadline(campaign, entry.unit_id)
    return EntryPage(
        entry=entry, campaign=campaign, fw=fw, shown=shown, errors=marks, files=files, editable=editable,
        preview=preview(fw, shown, entry.unit_id), completeness=completeness(fw, shown, {c: len(v) for c, v in files.items()}),
        clarifications=open_clarifications(entry.id), deadline=deadline, extended=extended,
        accepted={n.code: evidence.allowed_kinds(n) for n in fw.indicators()},
        form_signature=stash.form_signature(user.id, entry.id),
        formulas={n.code: derived.formula(fw, n, label) for n in fw.indicators() if n.compute is not None},
        value_errors=value_errors, **extra)


def _value_messages() -> set[str]:
    """Messages about the value itself besides the draft's checks (shown under the value field; the rest —
    evidence, files, explanation — under the explanation)."""
    return {_("Chỉ tiêu này bắt buộc phải có giá trị."),
            _("Chỉ được sửa các chỉ tiêu được yêu cầu giải trình; chỉ tiêu này đang khóa."),
            _("Giá trị quá dài: tối đa %(n)s ký tự.", n=SHORT_MAX), _("Giá trị quá dài: tối đa %(n)s ký tự.", n=TEXT_MAX)}


def entry_page(entry_id: int, user: User, *, restore: str = "") -> EntryPage:
    """The officer's entry page; ``restore`` reopens what this officer typed before a refused post."""
    entry = entry_for_edit(entry_id, user)
    kept = stash.take(restore, entry.id, user.id) if restore else None
    if kept is None:
        return _page(entry, user)
    return _page(entry, user, posted=posted_from_form(kept), restored=True)


def posted_from_form(formdata: MultiDict) -> dict[str, dict]:
    """{code: {raw, na, explanation}} for the codes listed on a posted entry form (at most 5,000)."""
    out = {}
    for code in list(dict.fromkeys(formdata.getlist("codes")))[:5000]:
        out[code] = {"raw": (formdata.get(f"v-{code}") or "").strip(),
                     "na": formdata.get(f"na-{code}") in ("y", "on", "1", "true"),
                     "explanation": (formdata.get(f"ex-{code}") or "").strip()}
    return out


def live_preview(entry_id: int, user: User, posted: dict[str, dict]) -> dict:
    """Self-score, messages and completeness of what is on screen (not saved): the page's live counter."""
    page = _page(entry_for_edit(entry_id, user), user, posted=posted)
    out = page.preview.as_json()
    for code, item in out["indicators"].items():
        item["errors"] = page.errors.get(code, []) if code in page.editable else []
    out["completeness"] = page.completeness
    return out


# --------------------------------------------------------------------------- saving

def _length_errors(fw: Framework, posted: dict[str, dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kinds = {n.code: n.value_type for n in fw.indicators()}
    for code, item in posted.items():
        limit = TEXT_MAX if kinds.get(code) == "text" else SHORT_MAX
        if len(item.get("raw") or "") > limit:
            errors.setdefault(code, []).append(_("Giá trị quá dài: tối đa %(n)s ký tự.", n=limit))
        if len(item.get("explanation") or "") > TEXT_MAX:
            errors.setdefault(code, []).append(_("Giải trình quá dài: tối đa %(n)s ký tự.", n=TEXT_MAX))
    return errors


def save_form(entry_id: int, user: User, posted: Posted) -> Outcome:
    """Save a draft (values, files, a file deletion) in one transaction; on "submit", check and ask to confirm."""
    entry = entry_for_edit(entry_id, user)
    if entry.status in SUBMITTED and posted.action == "submit":
        return Outcome(redirect=True, messages=[(_("Hồ sơ đã được nộp trước đó; không tạo thêm lần nộp mới."), "info")])
    if entry.status not in EDITABLE:
        return Outcome(page=_page(entry, user), status=400,
                       messages=[(_("Hồ sơ đã nộp và đang khóa; không thể sửa."), "danger")])
    fw = parsed(entry.framework_version_id)
    whole, per_code = evidence.count_refusals(entry.id, {c: len(fs) for c, fs in posted.files.items()})
    if whole or per_code:
        msgs = [(whole or _("Có chỉ tiêu vượt quá số tệp cho phép; không có gì được lưu (xem thông báo cạnh chỉ tiêu)."),
                 "danger")]
        return Outcome(page=_page(entry, user, posted=posted.values, errors={c: [m] for c, m in per_code.items()}),
                       status=413 if whole else 422, messages=msgs)
    try:
        result = save_entry_values(entry, user, posted.values, posted.lock_version, commit=False)
    except StaleForm as exc:
        db.session.rollback()
        return Outcome(page=_page(entry, user, posted=posted.values, conflict=exc.message), status=409)
    errors = result["errors"]
    for code, msgs in _length_errors(fw, posted.values).items():
        errors.setdefault(code, []).extend(msgs)
    if result.get("refused"):
        db.session.rollback()
        return Outcome(page=_page(entry, user, posted=posted.values, errors=errors), status=422,
                       messages=[(_("Không lưu được: có chỉ tiêu đang khóa bị thay đổi."), "danger")])
    file_errors = 0
    for code, items in posted.files.items():
        for fs in items:
            try:
                evidence.attach(entry, user, code, fs)
            except DomainError as exc:
                file_errors += 1
                errors.setdefault(code, []).append(
                    _("Tệp “%(name)s”: %(msg)s", name=evidence.clean_name(fs.filename), msg=exc.message))
    messages: list[tuple[str, str]] = []
    if posted.delete_file:
        try:
            evidence.remove(entry, user, posted.delete_file)
        except DomainError as exc:
            messages.append((exc.message, "danger"))
    db.session.commit()
    db.session.refresh(entry)
    if errors:
        messages.append((_("Đã lưu nháp, nhưng còn ô chưa hợp lệ (xem thông báo cạnh từng ô).")
                         if not file_errors or result["changed"]
                         else _("Có tệp bị từ chối (xem thông báo cạnh chỉ tiêu)."), "warning"))
        if posted.action == "submit":
            messages.append((_("Hồ sơ chưa được nộp vì còn lỗi."), "danger"))
        return Outcome(page=_page(entry, user, posted=posted.values, errors=errors), status=422, messages=messages)
    if posted.action == "submit":
        try:
            check_window(entry)
        except DomainError as exc:
            messages.append((exc.message, "danger"))
            return Outcome(page=_page(entry, user, posted=posted.values), status=exc.status, messages=messages)
        blocking = submit_errors(entry, fw)
        if blocking:
            messages.append((InvalidEntry(blocking).message, "danger"))
            return Outcome(page=_page(entry, user, errors=blocking), status=422, messages=messages)
        return Outcome(confirm=submit_summary(entry, fw), messages=messages)
    messages.append((_("Đã lưu nháp."), "success"))
    return Outcome(redirect=True, messages=messages)


# --------------------------------------------------------------------------- submitting

def submit_summary(entry: Entry, fw: Framework) -> SubmitSummary:
    """What the confirmation step tells the officer: score, empty indicators, files, what gets locked."""
    stored = stored_posted(entry)
    shown = preview(fw, stored, entry.unit_id)
    resubmit = entry.status == "clarification_requested"
    asked = sorted(editable_codes(entry, fw)) if resubmit else []
    empty = [(n.code, label(n.name)) for n in fw.indicators()
             if n.value_type != "file_only" and not (stored.get(n.code) or {}).get("na")
             and is_missing((stored.get(n.code) or {}).get("raw"))]
    files = sum(len(v) for v in evidence.files_of(entry.id).values())
    return SubmitSummary(entry=entry, campaign=db.session.get(Campaign, entry.campaign_id), total=shown.total,
                         scale=shown.scale, empty=empty, files=files, resubmit=resubmit, asked=asked)


def confirm_submit(entry_id: int, user: User, lock_version: int | None) -> Outcome:
    """Submit after the officer confirmed; a double click still gives one version."""
    entry = entry_for_edit(entry_id, user)
    try:
        created = submit(entry.id, user, expected_lock=lock_version)[1]
    except InvalidEntry as exc:
        db.session.rollback()
        return Outcome(page=_page(entry, user, errors=exc.errors), status=422, messages=[(exc.message, "danger")])
    except StaleForm as exc:
        db.session.rollback()
        return Outcome(redirect=True, messages=[(exc.message, "warning")])
    except DomainError as exc:
        db.session.rollback()
        return Outcome(page=_page(entry, user), status=exc.status, messages=[(exc.message, "danger")])
    if created:
        return Outcome(redirect=True, messages=[
            (_("Đã nộp hồ sơ. Hồ sơ được khóa cho đến khi có yêu cầu giải trình."), "success")])
    return Outcome(redirect=True, messages=[(_("Hồ sơ đã được nộp trước đó; không tạo thêm lần nộp mới."), "info")])
