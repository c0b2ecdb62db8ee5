"""Routes of the 'unit' feature (blueprint `unit`, under /unit): the officer's workspace."""
from __future__ import annotations

import io
import json
import secrets

from flask import (Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict

from ..access import allow
from ..extensions import db
from ..models import Campaign
from ..redis_client import get_redis
from campaign.services.submissions import entries as svc
from campaign.services.submissions import evidence as ev
from campaign.services.submissions import values_xlsx
from campaign.services.errors import DomainError
from .forms import XlsxUploadForm, build_entry_form, files_name, form_data_from_stored, posted_values

bp = Blueprint("unit", __name__, url_prefix="/unit")
_STASH = "thidua:unit-stash:{}"
_STASH_TTL = 7 * 24 * 3600


@bp.route("/")
@allow("officer")
def dashboard():
    rows = svc.dashboard(current_user)
    return render_template("unit/dashboard.html", rows=rows)


@bp.route("/campaigns/<int:campaign_id>/entry", methods=["GET"])
@allow("officer")
def open_entry(campaign_id: int):
    entry = svc.open_entry(campaign_id, current_user)
    return redirect(url_for("unit.edit_entry", entry_id=entry.id))


def _render(entry, form, fw, *, errors=None, status=200, restored=False, conflict=None):
    stored = svc.stored_posted(entry)
    files = ev.files_of(entry.id)
    counts = {c: len(v) for c, v in files.items()}
    editable = svc.editable_codes(entry, fw)
    campaign = db.session.get(Campaign, entry.campaign_id)
    deadline, extended = svc.effective_deadline(campaign, entry.unit_id)
    # the preview reflects what is on screen (posted data when re-rendering)
    shown = posted_values(fw, request.form) if request.method == "POST" else {}
    shown = {**stored, **shown}
    prev = svc.preview(fw, shown)
    return render_template(
        "unit/entry.html", entry=entry, campaign=campaign, fw=fw, form=form, errors=errors or {},
        files=files, editable=editable, preview=prev, deadline=deadline, extended=extended,
        completeness=svc.completeness(fw, shown, counts), clarifications=svc.open_clarifications(entry.id),
        restored=restored, conflict=conflict, label=svc.label, files_name=files_name,
        allowed_types=", ".join(t.upper() for t in ev.allowed_kinds(None)),
    ), status


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
@allow("officer")
def edit_entry(entry_id: int):
    entry = svc.entry_for_edit(entry_id, current_user)
    fw = svc.framework_of(entry.framework_version_id)
    if request.method == "GET":
        restored = False
        token = request.args.get("restore", "")
        stash = _load_stash(token, entry.id) if token else None
        if stash is not None:
            form = build_entry_form(fw, formdata=stash)
            restored = True
        else:
            form = build_entry_form(fw, data={**form_data_from_stored(fw, svc.stored_posted(entry)),
                                              "lock_version": entry.lock_version})
        return _render(entry, form, fw, restored=restored)[0]

    form = build_entry_form(fw, formdata=request.form)
    form.validate()  # CSRF is checked app-wide; field lengths here
    field_errors = {k: v for k, v in form.errors.items() if k != "csrf_token"}
    posted = posted_values(fw, request.form)
    action = request.form.get("action", "save")
    delete_id = request.form.get("delete_file", type=int)
    try:
        lock = request.form.get("lock_version", type=int)
        if entry.status in svc.SUBMITTED and action == "submit":
            flash(_("Hồ sơ đã được nộp trước đó; không tạo thêm lần nộp mới."), "info")
            return redirect(url_for("unit.edit_entry", entry_id=entry.id), code=303)
        result = svc.save_values(entry.id, current_user, posted, lock)
    except svc.StaleForm as exc:
        return _render(entry, form, fw, conflict=exc.message, status=409)
    except DomainError as exc:
        flash(exc.message, "danger")
        return _render(entry, form, fw, status=exc.status)
    errors = dict(result["errors"])
    for code, msgs in field_errors.items():
        errors.setdefault(code, []).extend(msgs if isinstance(msgs, list) else [str(msgs)])
    if result.get("refused"):
        flash(_("Không lưu được: có chỉ tiêu đang khóa bị thay đổi."), "danger")
        return _render(entry, form, fw, errors=errors, status=422)
    # files: each refused file is reported next to its indicator; values stay saved
    file_errors = 0
    for code in editable_codes_with_files(fw):
        for fs in request.files.getlist(files_name(code)):
            if not fs or not fs.filename:
                continue
            try:
                ev.upload(entry.id, current_user, code, fs)
            except DomainError as exc:
                db.session.rollback()
                file_errors += 1
                errors.setdefault(code, []).append(_("Tệp “%(name)s”: %(msg)s", name=ev.clean_name(fs.filename),
                                                     msg=exc.message))
    if delete_id:
        try:
            ev.delete(delete_id, current_user)
        except DomainError as exc:
            flash(exc.message, "danger")
    db.session.refresh(entry)
    form.lock_version.data = entry.lock_version
    form.lock_version.raw_data = [str(entry.lock_version)]
    if action == "submit" and not errors:
        try:
            created = svc.submit(entry.id, current_user)[1]
        except svc.InvalidEntry as exc:
            flash(exc.message, "danger")
            return _render(entry, form, fw, errors=exc.errors, status=422)
        except DomainError as exc:
            flash(exc.message, "danger")
            return _render(entry, form, fw, errors=errors, status=exc.status)
        flash(_("Đã nộp hồ sơ. Hồ sơ được khóa cho đến khi có yêu cầu giải trình.") if created
              else _("Hồ sơ đã được nộp trước đó; không tạo thêm lần nộp mới."), "success")
        return redirect(url_for("unit.edit_entry", entry_id=entry.id), code=303)
    if errors:
        flash(_("Đã lưu nháp, nhưng còn ô chưa hợp lệ (xem thông báo cạnh từng ô).") if not file_errors or result["changed"]
              else _("Có tệp bị từ chối (xem thông báo cạnh chỉ tiêu)."), "warning")
        if action == "submit":
            flash(_("Hồ sơ chưa được nộp vì còn lỗi."), "danger")
        return _render(entry, form, fw, errors=errors, status=422)
    flash(_("Đã lưu nháp."), "success")
    return redirect(url_for("unit.edit_entry", entry_id=entry.id), code=303)


def editable_codes_with_files(fw) -> list[str]:
    return [n.code for n in fw.indicators()]


@bp.route("/entries/<int:entry_id>/preview", methods=["POST"])
@allow("officer")
def preview(entry_id: int):
    entry = svc.entry_for_edit(entry_id, current_user)
    fw = svc.framework_of(entry.framework_version_id)
    shown = {**svc.stored_posted(entry), **posted_values(fw, request.form)}
    return jsonify(svc.preview(fw, shown).as_json())


# ---------------------------------------------------------------- expired session / CSRF: keep the data

def _stash(entry_id: int, formdata: MultiDict, owner_id: int | None) -> str | None:
    token = secrets.token_urlsafe(16)
    items = [(k, v) for k, v in formdata.items(multi=True) if k != "csrf_token"]
    try:
        get_redis().set(_STASH.format(token), json.dumps({"entry_id": entry_id, "owner": owner_id, "items": items}),
                        ex=_STASH_TTL)
    except Exception:  # noqa: BLE001 - Redis down: fall back to the plain error page
        return None
    return token


def _load_stash(token: str, entry_id: int) -> MultiDict | None:
    try:
        raw = get_redis().get(_STASH.format(token[:64]))
    except Exception:  # noqa: BLE001
        return None
    if not raw:
        return None
    data = json.loads(raw)
    if data.get("entry_id") != entry_id or data.get("owner") not in (None, current_user.id):
        return None
    return MultiDict([tuple(i) for i in data["items"]])


@bp.errorhandler(CSRFError)
def csrf_failed(_e):
    """An expired session or form: nothing is saved, but what was typed is kept.

    The post is stashed server-side under a random token and the page (a 400, since the
    request itself is refused) offers to reopen the form with the data, after logging in
    again when the session is gone. Restoring only pre-fills the form: the user still
    reviews and saves it, so a forged post cannot change an entry by itself.
    """
    entry_id = (request.view_args or {}).get("entry_id")
    restore_url = login_url = None
    if request.endpoint == "unit.edit_entry" and request.method == "POST" and entry_id:
        owner = current_user.id if current_user.is_authenticated else None
        token = _stash(entry_id, request.form, owner)
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
def download(file_id: int):
    row, path = ev.for_download(file_id, current_user)
    kind = row.storage_name.rsplit(".", 1)[-1]
    inline = request.args.get("inline") == "1" and kind in ev.INLINE_OK
    resp = send_file(path, mimetype=ev.MIME.get(kind, "application/octet-stream"), as_attachment=not inline,
                     download_name=row.original_name, max_age=0, conditional=True)
    if inline:
        # send_file only encodes the name for attachments; keep the UTF-8 name for inline too
        from urllib.parse import quote

        resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row.original_name)}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# ---------------------------------------------------------------- versions

@bp.route("/entries/<int:entry_id>/versions")
@allow("officer", "judge", "admin")
def versions(entry_id: int):
    entry, rows = svc.versions(entry_id, current_user)
    return render_template("unit/versions.html", entry=entry, versions=rows)


@bp.route("/entries/<int:entry_id>/versions/<int:number>")
@allow("officer", "judge", "admin")
def version_diff(entry_id: int, number: int):
    diff = svc.version_diff(entry_id, current_user, number)
    return render_template("unit/version_diff.html", **diff)


# ---------------------------------------------------------------- Excel

@bp.route("/entries/<int:entry_id>/xlsx")
@allow("officer")
def download_xlsx(entry_id: int):
    data, name = values_xlsx.entry_workbook(entry_id, current_user)
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype=ev.MIME["xlsx"], max_age=0)


@bp.route("/entries/<int:entry_id>/xlsx", methods=["POST"])
@allow("officer")
def upload_xlsx(entry_id: int):
    entry = svc.entry_for_edit(entry_id, current_user)
    form = XlsxUploadForm()
    form.validate_on_submit()
    fs = request.files.get("workbook")
    try:
        report = values_xlsx.import_for_entry(entry.id, current_user, fs)
    except DomainError as exc:
        return render_template("unit/import_report.html", entry=entry, report=None, error=exc.message), exc.status
    return render_template("unit/import_report.html", entry=entry, report=report, error=None)
