"""Login, logout and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from ..access import ANY_USER, PUBLIC, allow
from ..extensions import csrf, db, login_manager
from ..models import User
from ..models.base import utcnow
from campaign.services import audit
from . import ratelimit
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Sessions carry the user's session_version, so bumping it logs out everywhere."""
    try:
        uid, version = (int(part) for part in user_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


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
            audit.record("auth.login_throttled", "user", username, after={"limit": refused_by})
            db.session.commit()
            flash(_("Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau ít phút."), "danger")
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None or not user.check_password(form.password.data) or not user.active:
            ratelimit.note_failure(client)
            audit.record("auth.login_failed", "user", username)
            db.session.commit()
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
            return render_template("auth/login.html", form=form), 401
        ratelimit.clear(client)
        lang = session.get("lang")
        session.clear()  # a fresh session on login (no fixation)
        if lang:
            session["lang"] = lang
        login_user(user)
        session.permanent = True
        user.last_login_at = utcnow()
        audit.record("auth.login", "user", user.id, actor=user)
        db.session.commit()
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
    lang = session.get("lang")
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
