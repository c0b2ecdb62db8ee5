"""Login, logout and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from campaign.services.accounts import users

from ..access import ANY_USER, PUBLIC, allow
from ..extensions import csrf, login_manager
from ..models import User
from . import ratelimit
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Sessions carry the user's session_version, so bumping it logs out everywhere."""
    return users.session_user(user_id)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        username = form.username.data.strip()
        client = ratelimit.Client(username, request.remote_addr or "-", ratelimit.is_known_device(
            request.cookies.get(ratelimit.DEVICE_COOKIE), username))
        refused_by = ratelimit.limited_by(client)
        if refused_by:
            users.record_failed_login(username, refused_by)
            flash(_("Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau ít phút."), "danger")
            return render_template("auth/login.html", form=form), 429
        user = users.authenticate(username, form.password.data)
        if user is None:
            ratelimit.note_failure(client)
            users.record_failed_login(username)
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
            return render_template("auth/login.html", form=form), 401
        ratelimit.clear(client)
        lang = session.get("lang")
        session.clear()  # a fresh session on login (no fixation)
        if lang:
            session["lang"] = lang
        login_user(user)
        session.permanent = True
        users.record_login(user.id)
        resp = redirect(_safe_next(form.next.data))
        # This browser may keep signing in to this account during a spread guessing attack.
        resp.set_cookie(ratelimit.DEVICE_COOKIE, ratelimit.device_token(username), max_age=ratelimit.DEVICE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
                        path=url_for("auth.login"))
        return resp
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(ANY_USER)
def logout():
    """Ends every session of the user server-side (a copied cookie stops working too)."""
    lang = session.get("lang")
    users.end_sessions(current_user.id)
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("main.home"))


@bp.route("/lang/<code>", methods=["POST"])
@allow(PUBLIC)
@csrf.exempt
def set_language(code: str):
    """Only a display preference, so no CSRF token: public pages then need no session
    cookie at all, which keeps them cacheable and fast for anonymous visitors."""
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
