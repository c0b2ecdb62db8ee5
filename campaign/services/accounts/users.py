"""User accounts: sign-in, sessions, own settings, and the admin's user pages.

Sessions carry ``User.session_version`` (see ``campaign.auth.views.load_user``); bumping it
ends every session of the user on every device at once — logout, password change,
deactivation and "log out everywhere" all do that.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import ROLES, Unit, User
from campaign.models.base import utcnow
from campaign.params import MAX_INT
from campaign.services import audit
from campaign.services.errors import Conflict, DomainError, NotFound
from campaign.vietnamese import matches

from . import passwords

PAGE_SIZE = 50
# Kinds a user may turn off; messages about their own obligations (deadlines, clarifications)
# are always sent.
OPTIONAL_KINDS = ("campaign_opened", "results_published", "judge_assigned", "clarification_answered")


class WrongPassword(DomainError):
    """The current password given to confirm a change is not the user's."""


# --------------------------------------------------------------------------- sign-in and sessions

def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, or None; every path costs one hash check."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    ok = passwords.verify(user.password_hash if user else None, password)
    return user if ok and user is not None and user.active else None


def session_user(session_id: str) -> User | None:
    """The user a login session ("<id>:<session_version>") belongs to, or None once that session was ended
    (bumping ``session_version`` logs the user out everywhere) or the account was deactivated."""
    try:
        uid, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    if not 0 < uid <= MAX_INT:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def record_failed_login(username: str, limit: str | None = None) -> None:
    audit.record("auth.login_throttled" if limit else "auth.login_failed", "user", username,
                 after={"limit": limit} if limit else None)
    db.session.commit()


def record_login(user_id: int) -> None:
    user = _get(user_id)
    user.last_login_at = utcnow()
    audit.record("auth.login", "user", user.id, actor=user)
    db.session.commit()


def end_sessions(user_id: int, action: str = "auth.logout") -> User:
    """End every session of the user (a copied cookie stops working too)."""
    user = _get(user_id)
    user.session_version += 1
    audit.record(action, "user", user.id, actor=user)
    db.session.commit()
    return user


def change_password(user_id: int, current: str, new: str) -> User:
    """Needs the current password; ends every other session (the caller logs this one in again)."""
    user = _get(user_id)
    if not passwords.verify(user.password_hash, current):
        raise WrongPassword(_("Mật khẩu hiện tại không đúng."))
    why = passwords.problem(new, username=user.username, full_name=user.full_name)
    if why:
        raise DomainError(why)
    _set_password(user, new)
    audit.record("account.password_changed", "user", user.id, actor=user)
    db.session.commit()
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    user.session_version += 1


def update_preferences(user_id: int, *, locale: str | None, email: str | None, opt_out: list[str]) -> User:
    user = _get(user_id)
    before = _prefs(user)
    user.locale = locale if locale in ("vi", "en") else None
    user.email = _clean_email(email)
    user.notify_opt_out = sorted(k for k in set(opt_out) if k in OPTIONAL_KINDS)
    audit.record("account.preferences", "user", user.id, before=before, after=_prefs(user), actor=user)
    db.session.commit()
    return user


def _prefs(user: User) -> dict:
    return {"locale": user.locale, "email": user.email, "notify_opt_out": list(user.notify_opt_out or [])}


def _clean_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email or len(email) > 200:
        raise DomainError(_("Địa chỉ e-mail không hợp lệ."))
    return email


# --------------------------------------------------------------------------- admin: users

@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    role: str = ""
    unit_id: int | None = None
    active: str = ""  # "" | "1" | "0"
    page: int = 1


def list_users(f: UserFilter) -> tuple[list[User], int]:
    """One page of users matching the filter, and the total count."""
    query = sa.select(User)
    if f.role in ROLES:
        query = query.where(User.role == f.role)
    if f.unit_id:
        query = query.where(User.unit_id == f.unit_id)
    if f.active in ("1", "0"):
        query = query.where(User.active.is_(f.active == "1"))
    if f.q.strip():
        # Search ignores diacritics and case ("dong da" finds "Đống Đa"), which SQL collations do not:
        # match in Python over the filtered accounts (a province has hundreds to a few thousand).
        found = [u for u in db.session.scalars(query.order_by(User.username))
                 if matches(f.q, u.username, u.full_name, u.email, u.unit.name if u.unit else "")]
        total = len(found)
        page = max(1, min(f.page, 1 + total // PAGE_SIZE))
        return found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], total
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(1, min(f.page, 1 + total // PAGE_SIZE))
    rows = db.session.scalars(query.order_by(User.username).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def get_user(user_id: int) -> User:
    return _get(user_id)


def unit_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Unit.id, Unit.code, Unit.name).where(Unit.valid_to.is_(None))
                              .order_by(Unit.level, Unit.code)).all()
    return [(r.id, f"{r.code} · {r.name}") for r in rows]


def unit_by_code(code: str) -> Unit | None:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code.strip(), Unit.valid_to.is_(None)))


@dataclass(frozen=True)
class UserData:
    username: str
    full_name: str
    role: str
    unit_id: int | None
    email: str | None
    phone: str | None


def _check(data: UserData) -> None:
    if data.role not in ROLES:
        raise DomainError(_("Vai trò không hợp lệ."))
    if data.role == "officer" and not data.unit_id:
        raise DomainError(_("Cán bộ đơn vị phải thuộc một đơn vị."))
    if data.unit_id and db.session.get(Unit, data.unit_id) is None:
        raise DomainError(_("Không tìm thấy đơn vị."))


def create_user(data: UserData, actor_id: int) -> User:
    """A new account without a password: the person sets one through an invitation."""
    _check(data)
    username = data.username.strip()
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username.lower())):
        raise Conflict(_("Tên đăng nhập “%(name)s” đã có người dùng.", name=username))
    user = User(username=username, full_name=data.full_name.strip(), role=data.role, unit_id=data.unit_id,
                email=_clean_email(data.email), phone=(data.phone or "").strip() or None, password_hash="!")
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, after=_user_dict(user), unit_id=user.unit_id, actor=actor_id)
    return user


def update_user(user_id: int, data: UserData, actor_id: int) -> User:
    _check(data)
    user = _get(user_id)
    before = _user_dict(user)
    user.full_name = data.full_name.strip()
    user.role = data.role
    user.unit_id = data.unit_id
    user.email = _clean_email(data.email)
    user.phone = (data.phone or "").strip() or None
    if before["role"] != user.role or before["unit_id"] != user.unit_id:
        user.session_version += 1  # new rights take effect now, not at the next login
    audit.record("user.update", "user", user.id, before=before, after=_user_dict(user), unit_id=user.unit_id,
                 actor=actor_id)
    db.session.commit()
    return user


def set_active(user_id: int, active: bool, actor_id: int) -> User:
    """Deactivation ends the user's sessions at once; reactivation lets them sign in again."""
    user = _get(user_id)
    if user.id == actor_id and not active:
        raise DomainError(_("Bạn không thể tự khóa tài khoản của mình."))
    if user.active == active:
        return user
    before = _user_dict(user)
    user.active = active
    user.session_version += 1
    audit.record("user.reactivate" if active else "user.deactivate", "user", user.id, before=before,
                 after=_user_dict(user), unit_id=user.unit_id, actor=actor_id)
    db.session.commit()
    return user


def _user_dict(user: User) -> dict:
    return {"username": user.username, "full_name": user.full_name, "role": user.role, "unit_id": user.unit_id,
            "email": user.email, "phone": user.phone, "active": user.active}


def _get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng."))
    return user
