"""Invitations: a single-use link, valid ``VALID_DAYS`` days, with which a person sets their password.

The database keeps only ``sha256(token)`` and a random nonce; the token is
``HMAC(SECRET_KEY, nonce)``. A copy of the database alone therefore opens no account, while
the server can still print a list of pending links on paper or e-mail them from the worker.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import Invitation, Notification, User
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.errors import DomainError, NotFound

from . import passwords
from .users import UserData, _set_password, create_user, get_user

VALID_DAYS = 7
INVITE_PATH = "/invite/"


def _token(nonce: str) -> str:
    digest = hmac.new(current_app.secret_key.encode(), f"thidua-invite:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(inv: Invitation) -> str:
    return _token(inv.nonce)


def link_of(inv: Invitation) -> str:
    return current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + INVITE_PATH + token_of(inv)


def issue(user: User, actor_id: int | None, *, fresh: bool = False) -> Invitation:
    """A new invitation (earlier unused ones stop working; ``fresh``: a new user has none); the caller commits.

    An e-mail is queued as a notification of kind "invitation" when the user has an address.
    """
    now = utcnow()
    if not fresh:
        db.session.execute(sa.update(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None),
                                                       Invitation.revoked_at.is_(None)).values(revoked_at=now))
    nonce = secrets.token_hex(16)
    inv = Invitation(user_id=user.id, nonce=nonce, token_hash=_hash(_token(nonce)), created_at=now,
                     expires_at=now + timedelta(days=VALID_DAYS), created_by_id=actor_id)
    db.session.add(inv)
    db.session.flush()
    audit.record("invitation.issue", "invitation", inv.id, after={"user_id": user.id, "expires_at": inv.expires_at.isoformat()},
                 unit_id=user.unit_id, actor=actor_id)
    db.session.add(Notification(user_id=user.id, kind="invitation", event_key=f"invitation:{inv.id}",
                                params={"invitation_id": inv.id, "expires_at": inv.expires_at.isoformat()},
                                email_state="pending" if user.email else "none"))
    return inv


def invite_new_user(data: UserData, actor_id: int) -> tuple[User, Invitation]:
    """Create an account and its invitation in one transaction."""
    user = create_user(data, actor_id)
    inv = issue(user, actor_id, fresh=True)
    db.session.commit()
    return user, inv


def reissue(user_id: int, actor_id: int) -> Invitation:
    """The admin's "reset password": the old password and sessions stop working, a new link is issued."""
    user = get_user(user_id)
    user.password_hash = "!"
    user.session_version += 1
    inv = issue(user, actor_id)
    audit.record("user.password_reset", "user", user.id, unit_id=user.unit_id, actor=actor_id)
    db.session.commit()
    return inv


def pending_for(user_id: int) -> Invitation | None:
    """The user's valid, unused invitation, if any (its link can be shown again to the admin)."""
    return db.session.scalar(sa.select(Invitation).where(
        Invitation.user_id == user_id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow()).order_by(Invitation.id.desc()).limit(1))


@dataclass(frozen=True)
class Pending:
    invitation: Invitation
    user: User


def find(token: str) -> Pending:
    """The valid invitation behind a token; one message for unknown, used and expired links."""
    inv = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == _hash(token or "")))
    if inv is None or inv.used_at or inv.revoked_at or inv.expires_at < utcnow() or not inv.user.active:
        raise NotFound(_("Liên kết mời không còn hiệu lực (đã dùng, đã hết hạn hoặc không đúng). "
                         "Hãy liên hệ Ban Thi đua để được cấp liên kết mới."))
    return Pending(inv, inv.user)


def accept(token: str, password: str) -> User:
    """Set the password from an invitation; the link works once (a second use is refused)."""
    pending = find(token)
    user = pending.user
    why = passwords.problem(password, username=user.username, full_name=user.full_name)
    if why:
        raise DomainError(why)
    claimed = db.session.execute(sa.update(Invitation).where(
        Invitation.id == pending.invitation.id, Invitation.used_at.is_(None)).values(used_at=utcnow()))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise NotFound(_("Liên kết mời đã được dùng."))
    _set_password(user, password)
    audit.record("invitation.accept", "invitation", pending.invitation.id, unit_id=user.unit_id, actor=user)
    db.session.commit()
    return user
