"""Routes of the 'unit' feature (blueprint `unit`, under /unit): the officer's workspace."""
from __future__ import annotations

import re

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from campaign.services.errors import DomainError, NotFound
from campaign.services.submissions import entries as svc
from campaign.services.submissions import evidence as ev
from campaign.services.submissions import officer_form, overview, stash, values_xlsx
from campaign.services.submissions.officer_form import posted_from_form
from scoring.rules import to_number

from ..access import allow
from ..templating import number, plain
from ..web import attachment, evidence_file
from .forms import ConfirmSubmitForm, XlsxUploadForm, build_entry_form, files_name, form_data, posted_entry

bp = Blueprint("unit", __name__, url_prefix="/unit")


@bp.route("/")
@allow("officer")
def dashboard() -> ResponseReturnValue:
    rows = overview.dashboard(current_user)
    return render_template("unit/dashboard.html", rows=rows)


@bp.route("/campaigns/<int:campaign_id>/entry", methods=["GET"])
@allow("officer")
def open_entry(campaign_id: int) -> ResponseReturnValue:
    entry = svc.open_entry(campaign_id, current_user)
    return redirect(url_for("unit.edit_entry", entry_id=entry.id))


NUMERIC = ("number", "percentage", "count")


def _locked_number(raw: str) -> str:
    """A stored number on a locked field in the reader's format (90.5 → 90,5 in Vietnamese); text as it is."""
    try:
        value = to_number(raw)
    except (TypeError, ValueError):
        return raw
    decimals = f"{value:.4f}".rstrip("0").split(".")[1]
    return number(value, len(decimals))


_SIMPLE_NUMBER = re.compile(r"-?\d+[.,]\d+")


def _typed_number(raw: str) -> str:
    """A valid plain decimal the officer may edit, shown back in the reader's form ("88.8" → "88,8" in Vietnamese).

    Anything else (grouped, whole, invalid) stays exactly as typed, so a draft is never rewritten.
    """
    if not _SIMPLE_NUMBER.fullmatch(raw):
        return raw
    try:
        return plain(to_number(raw))
    except (TypeError, ValueError):
        return raw


def _locked_text(node, raw: str) -> str:
    """What a locked field reads: the choice's label, never its code ("tot" → "Tốt"); numbers in the reader's form."""
    if node.value_type in NUMERIC:
        return _locked_number(raw)
    if node.value_type == "yes_no":
        return {"yes": _("Có"), "no": _("Không")}.get(raw, raw)
    options = {c.code: svc.label(c.label) for c in node.choices}
    options.update({lv.code: svc.label(lv.descriptor) for lv in getattr(node.rule, "levels", ()) if lv.code not in options})
    return options.get(raw) or raw


def _render(page: officer_form.EntryPage, status: int = 200) -> ResponseReturnValue:
    numeric = {n.code for n in page.fw.indicators() if n.value_type in NUMERIC}
    shown = {code: ({**item, "raw": _typed_number(item["raw"])} if code in numeric and code in page.editable
                    and item.get("raw") and not page.errors.get(code) else item) for code, item in page.shown.items()}
    locked = {n.code: _locked_text(n, page.shown[n.code].get("raw") or "") for n in page.fw.indicators()
              if n.code not in page.editable and n.code in page.shown}
    form = build_entry_form(page.fw, form_data(page.fw, shown, lock_version=page.entry.lock_version,
                                               form_sig=page.form_signature))
    accepted = {code: (", ".join(k.upper() for k in kinds), ev.accept_attribute(kinds))
                for code, kinds in page.accepted.items()}
    return render_template("unit/entry.html", page=page, entry=page.entry, campaign=page.campaign, fw=page.fw,
                           form=form, errors=page.errors, files=page.files, editable=page.editable,
                           preview=page.preview, completeness=page.completeness, accepted=accepted,
                           label=svc.label, files_name=files_name, locked=locked), status


def _answer(outcome: officer_form.Outcome, entry_id: int) -> ResponseReturnValue:
    for text, category in outcome.messages:
        flash(text, category)
    if outcome.redirect:
        return redirect(url_for("unit.edit_entry", entry_id=entry_id), code=303)
    if outcome.confirm is not None:
        form = ConfirmSubmitForm(formdata=None, data={"lock_version": outcome.confirm.entry.lock_version})
        return render_template("unit/confirm_submit.html", summary=outcome.confirm, form=form)
    return _render(outcome.page, outcome.status)


@bp.route("/entries/<int:entry_id>", methods=["GET"])
@allow("officer")
def edit_entry(entry_id: int) -> ResponseReturnValue:
    return _render(officer_form.entry_page(entry_id, current_user, restore=request.args.get("restore", "")[:64]))


@bp.route("/entries/<int:entry_id>", methods=["POST"])
@allow("officer")
def save_entry(entry_id: int) -> ResponseReturnValue:
    """Save the draft; "Nộp hồ sơ" also checks it and shows the confirmation step."""
    posted = posted_entry(request.form, request.files)
    return _answer(officer_form.save_form(entry_id, current_user, posted), entry_id)


@bp.route("/entries/<int:entry_id>/submit", methods=["POST"])
@allow("officer")
def confirm_submit(entry_id: int) -> ResponseReturnValue:
    form = ConfirmSubmitForm()
    form.validate()  # CSRF is checked app-wide; the version is only compared
    lock = form.lock_version.data
    outcome = officer_form.confirm_submit(entry_id, current_user, int(lock) if (lock or "").isdigit() else None)
    return _answer(outcome, entry_id)


@bp.route("/entries/<int:entry_id>/preview", methods=["POST"])
@allow("officer")
def preview(entry_id: int) -> ResponseReturnValue:
    return jsonify(officer_form.live_preview(entry_id, current_user, posted_from_form(request.form)))


# ---------------------------------------------------------------- expired session / CSRF: keep the data

@bp.errorhandler(CSRFError)
def csrf_failed(_e) -> ResponseReturnValue:
    """An expired session or form: nothing is saved, but what the officer typed is kept.

    Only for a post carrying the form signature given to an officer with the form (so an
    anonymous or forged post stores nothing), and only for that officer: the page offers to
    reopen the form with the data, after logging in again when the session is gone.
    Restoring only pre-fills the form; the officer still reviews and saves it.
    """
    entry_id = (request.view_args or {}).get("entry_id")
    restore_url = login_url = None
    if request.endpoint == "unit.save_entry" and entry_id:
        owner = stash.signed_owner(request.form.get("form_sig"), entry_id)
        if owner is not None and (not current_user.is_authenticated or current_user.id == owner):
            token = stash.keep(entry_id, owner, request.form)
            if token:
                restore_url = url_for("unit.edit_entry", entry_id=entry_id, restore=token)
                if not current_user.is_authenticated:
                    login_url = url_for("auth.login", next=restore_url)
    msg = _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng gửi lại.")
    if request.accept_mimetypes.best == "application/json" or request.endpoint == "unit.preview":
        return jsonify({"error": "csrf", "message": msg}), 400
    return render_template("unit/session_expired.html", message=msg, restore_url=restore_url,
                           login_url=login_url), 400


# ---------------------------------------------------------------- files

@bp.route("/files/<int:file_id>")
@allow("officer", "judge", "admin")
def download(file_id: int) -> ResponseReturnValue:
    row, path = ev.for_download(file_id, current_user)
    kind = row.storage_name.rsplit(".", 1)[-1]
    inline = request.args.get("inline") == "1" and kind in ev.INLINE_OK
    return evidence_file(path, row.original_name, ev.MIME.get(kind, "application/octet-stream"), inline=inline)


# ---------------------------------------------------------------- versions

@bp.route("/entries/<int:entry_id>/versions")
@allow("officer", "judge", "admin")
def versions(entry_id: int) -> ResponseReturnValue:
    entry, rows = overview.versions(entry_id, current_user)
    return render_template("unit/versions.html", entry=entry, versions=rows)


@bp.route("/entries/<int:entry_id>/versions/<int:number>")
@allow("officer", "judge", "admin")
def version_diff(entry_id: int, number: int) -> ResponseReturnValue:
    diff = overview.version_diff(entry_id, current_user, number)
    return render_template("unit/version_diff.html", **diff)


# ---------------------------------------------------------------- Excel

@bp.route("/entries/<int:entry_id>/xlsx")
@allow("officer")
def download_xlsx(entry_id: int) -> ResponseReturnValue:
    data, name = values_xlsx.entry_workbook(entry_id, current_user)
    return attachment(data, name, ev.MIME["xlsx"])


@bp.route("/entries/<int:entry_id>/xlsx", methods=["POST"])
@allow("officer")
def upload_xlsx(entry_id: int) -> ResponseReturnValue:
    form = XlsxUploadForm()
    form.validate_on_submit()
    try:
        report = values_xlsx.import_for_entry(entry_id, current_user, form.workbook.data)
    except NotFound:
        raise
    except DomainError as exc:
        return render_template("unit/import_report.html", entry_id=entry_id, report=None, error=exc.message), exc.status
    return render_template("unit/import_report.html", entry_id=entry_id, report=report, error=None)
