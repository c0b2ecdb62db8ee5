"""Routes of the accounts feature: own account, invitations, notifications (any user), and the
admin's users, onboarding, audit log and mail sink pages. Views parse a form, call one service."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from campaign.models.base import utcnow
from campaign.safe_export import XLSX_MIMETYPE
from campaign.services.accounts import auditlog, invitations, mailsink, notifications, onboarding
from campaign.services.accounts import users as svc
from campaign.services.errors import DomainError

from ..access import ANY_USER, PUBLIC, allow
from ..web import attachment
from . import events, tasks  # noqa: F401  (tasks: registers this feature's Celery tasks)
from .forms import (
    AuditFilterForm,
    EmptyForm,
    OnboardingForm,
    PasswordChangeForm,
    PreferencesForm,
    SetPasswordForm,
    UserFilterForm,
    UserForm,
)

bp = Blueprint("accounts", __name__)
bp.record_once(lambda state: events.setup(state.app))


def _relogin(user) -> None:
    """Keep this browser signed in after its session version changed (all other sessions end)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session.permanent = True


# --------------------------------------------------------------------------- own account

def _prefs_form(formdata=None) -> PreferencesForm:
    form = PreferencesForm(formdata=formdata, obj=None if formdata else current_user,
                           opt_out=None if formdata else list(current_user.notify_opt_out or []),
                           locale=None if formdata else (current_user.locale or ""))
    form.opt_out.choices = notifications.optional_kinds()
    return form


def _account_page(prefs=None, pw=None, status: int = 200):
    return render_template("accounts/account.html", prefs=prefs or _prefs_form(), pw=pw or PasswordChangeForm(),
                           everywhere=EmptyForm()), status


@bp.route("/account", methods=["GET", "POST"])
@allow(ANY_USER)
def account():
    form = _prefs_form(request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                svc.update_preferences(current_user.id, locale=form.locale.data or None, email=form.email.data,
                                       opt_out=form.opt_out.data or [])
            except DomainError as exc:
                form.email.errors.append(exc.message)
                return _account_page(prefs=form, status=422)
            session.pop("lang", None)  # the saved preference now decides the language
            with force_locale(form.locale.data or current_app.config["BABEL_DEFAULT_LOCALE"]):
                flash(_("Đã lưu cài đặt tài khoản."), "success")
            return redirect(url_for("accounts.account"))
        return _account_page(prefs=form, status=422)
    return _account_page(prefs=form)


@bp.route("/account/password", methods=["POST"])
@allow(ANY_USER)
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = svc.change_password(current_user.id, form.current.data, form.new.data)
        except svc.WrongPassword as exc:
            form.current.errors.append(exc.message)
            return _account_page(pw=form, status=422)
        except DomainError as exc:
            form.new.errors.append(exc.message)
            return _account_page(pw=form, status=422)
        _relogin(user)
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "success")
        return redirect(url_for("accounts.account"))
    return _account_page(pw=form, status=422)


@bp.route("/account/logout-everywhere", methods=["POST"])
@allow(ANY_USER)
def logout_everywhere():
    if EmptyForm().validate_on_submit():
        _relogin(svc.end_sessions(current_user.id, "auth.logout_everywhere"))
        flash(_("Đã đăng xuất khỏi mọi thiết bị khác."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def invite(token: str):
    try:
        pending = invitations.find(token)
    except DomainError as exc:
        return render_template("accounts/invite_invalid.html", message=exc.message), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, form.new.data)
        except DomainError as exc:
            form.new.errors.append(exc.message)
            return render_template("accounts/invite.html", form=form, user=pending.user), 422
        _relogin(user)
        flash(_("Đã đặt mật khẩu. Chào mừng bạn!"), "success")
        return redirect(url_for("main.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/invite.html", form=form, user=pending.user), status


@bp.route("/notifications")
@allow(ANY_USER)
def notification_list():
    rows = notifications.for_user(current_user.id)
    locale = str(get_locale())
    items = [(n, *notifications.text_of(n, locale)) for n in rows]
    return render_template("accounts/notifications.html", items=items, form=EmptyForm())


@bp.route("/notifications/read", methods=["POST"])
@allow(ANY_USER)
def notifications_read():
    if EmptyForm().validate_on_submit():
        raw = request.form.get("id", "")
        try:
            notifications.mark_read(current_user.id, int(raw) if raw.isdigit() and len(raw) < 12 else None)
        except DomainError as exc:
            flash(exc.message, "danger")
    return redirect(url_for("accounts.notification_list"))


# --------------------------------------------------------------------------- admin: users

def _user_form(formdata=None, obj=None) -> UserForm:
    form = UserForm(formdata=formdata, obj=obj)
    form.unit_id.choices = [("", "—")] + svc.unit_choices()
    return form


def _user_data(form: UserForm, username: str | None = None) -> svc.UserData:
    return svc.UserData(username=username or form.username.data, full_name=form.full_name.data, role=form.role.data,
                        unit_id=form.unit_id.data, email=form.email.data, phone=form.phone.data)


@bp.route("/admin/users")
@allow("admin")
def users():
    form = UserFilterForm(request.args)
    form.validate()
    unit = svc.unit_by_code(request.args.get("unit", "")) if request.args.get("unit") else None
    f = svc.UserFilter(q=form.q.data or "", role=form.role.data or "", active=form.active.data or "",
                       unit_id=unit.id if unit else (-1 if request.args.get("unit") else None),
                       page=form.page.data if isinstance(form.page.data, int) and 0 < form.page.data < 10**9 else 1)
    rows, total = svc.list_users(f)
    return render_template("accounts/users.html", form=form, rows=rows, total=total, page=f.page,
                           page_size=svc.PAGE_SIZE, unit_code=request.args.get("unit", ""))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@allow("admin")
def user_new():
    form = _user_form(request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            user, _inv = invitations.invite_new_user(_user_data(form), current_user.id)
        except DomainError as exc:
            form.username.errors.append(exc.message)
            return render_template("accounts/user_form.html", form=form, user=None), 422
        flash(_("Đã tạo tài khoản %(name)s và thư mời đặt mật khẩu.", name=user.username), "success")
        return redirect(url_for("accounts.user_edit", user_id=user.id))
    return render_template("accounts/user_form.html", form=form, user=None), 422 if request.method == "POST" else 200


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@allow("admin")
def user_edit(user_id: int):
    user = svc.get_user(user_id)
    form = _user_form(request.form if request.method == "POST" else None, obj=user)
    form.username.data = user.username  # the username never changes (it is in printed invitations)
    if form.validate_on_submit():
        try:
            svc.update_user(user_id, _user_data(form, user.username), current_user.id)
        except DomainError as exc:
            form.role.errors.append(exc.message)
            return _user_page(user, form, 422)
        flash(_("Đã lưu."), "success")
        return redirect(url_for("accounts.user_edit", user_id=user_id))
    return _user_page(user, form, 422 if request.method == "POST" else 200)


def _user_page(user, form, status: int):
    pending = invitations.pending_for(user.id)
    return render_template("accounts/user_form.html", form=form, user=user, action=EmptyForm(),
                           invite_link=invitations.link_of(pending) if pending else None, pending=pending), status


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@allow("admin")
def user_active(user_id: int):
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            svc.set_active(user_id, active, current_user.id)
            flash(_("Đã mở khóa tài khoản.") if active
                  else _("Đã khóa tài khoản; mọi phiên đăng nhập của người này đã kết thúc."), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
    return redirect(url_for("accounts.user_edit", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/reset", methods=["POST"])
@allow("admin")
def user_reset(user_id: int):
    if EmptyForm().validate_on_submit():
        invitations.reissue(user_id, current_user.id)
        flash(_("Mật khẩu cũ đã bị vô hiệu; liên kết đặt mật khẩu mới đã được tạo (và gửi qua e-mail nếu có)."),
              "success")
    return redirect(url_for("accounts.user_edit", user_id=user_id))


# --------------------------------------------------------------------------- admin: bulk onboarding

def _onboarding_form() -> OnboardingForm:
    form = OnboardingForm()
    form.parent_id.choices = [("", _("Tất cả"))] + [(i, label) for i, label in svc.unit_choices()]
    return form


@bp.route("/admin/onboarding", methods=["GET", "POST"])
@allow("admin")
def onboarding_page():
    form = _onboarding_form()
    report = None
    status = 200
    if form.validate_on_submit():
        try:
            dry_run = bool(form.dry_run.data)
            if form.source.data == "tree":
                report = onboarding.from_tree(form.parent_id.data, int(form.level.data), dry_run=dry_run,
                                              actor_id=current_user.id)
            else:
                upload = form.file.data
                if not upload or not upload.filename:
                    raise DomainError(_("Hãy chọn tệp Excel hoặc CSV."))
                report = onboarding.from_file(upload.read(onboarding.LIMITS.max_bytes + 1), upload.filename,
                                              dry_run=dry_run, actor_id=current_user.id)
            status = 200 if report.ok else 422
        except DomainError as exc:
            form.file.errors.append(exc.message)
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template("accounts/onboarding.html", form=form, report=report), status


@bp.route("/admin/onboarding/<int:batch_id>/invitations.xlsx")
@allow("admin")
def onboarding_list(batch_id: int):
    return _xlsx(onboarding.printable_xlsx(batch_id), f"thu-moi-{batch_id}.xlsx")


@bp.route("/admin/invitations.xlsx")
@allow("admin")
def invitations_list():
    return _xlsx(onboarding.printable_xlsx(None), "thu-moi.xlsx")


def _xlsx(data: bytes, name: str) -> Response:
    return attachment(data, name, XLSX_MIMETYPE)


# --------------------------------------------------------------------------- admin: audit log, mail

def _audit_filter() -> tuple[AuditFilterForm, auditlog.AuditFilter]:
    form = AuditFilterForm(request.args)
    form.campaign_id.choices = [("", _("Tất cả"))] + auditlog.campaigns()
    form.action.choices = [("", _("Tất cả"))] + auditlog.actions()
    form.validate()
    page = form.page.data if isinstance(form.page.data, int) and 0 < form.page.data < 10**9 else 1
    return form, auditlog.AuditFilter(
        user=form.user.data or "", unit=form.unit.data or "", campaign_id=form.campaign_id.data,
        action=form.action.data or "", page=page,
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data)


@bp.route("/admin/audit")
@allow("admin")
def audit_log():
    form, f = _audit_filter()
    rows, total = auditlog.search(f)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("accounts/audit.html", form=form, rows=rows, total=total, page=f.page,
                           page_size=auditlog.PAGE_SIZE, args=args, action_label=auditlog.action_label)


@bp.route("/admin/audit/export.<fmt>")
@allow("admin")
def audit_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        return redirect(url_for("accounts.audit_log"))
    _form, f = _audit_filter()
    data = auditlog.export(f, fmt)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return attachment(data, f"nhat-ky-{stamp}.csv", "text/csv; charset=utf-8")
    return _xlsx(data, f"nhat-ky-{stamp}.xlsx")


@bp.route("/admin/mail")
@allow("admin")
def mail_sink():
    folder = current_app.config.get("MAIL_SINK_DIR")
    return render_template("accounts/mail.html", folder=folder, messages=mailsink.read(folder) if folder else [])
