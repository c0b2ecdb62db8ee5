"""Audit rows are written in the same transaction as the change they describe.

Services never read the web request. Who acts, and from where, reaches ``record`` in one of
two ways: the caller passes ``actor`` (a user or a user id: tasks, commands), or the web layer
binds the request once (``bind_request`` in a before_request hook) and ``record`` reads that.
"""
from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from campaign.extensions import db
from campaign.models import AuditLog, User


@dataclass(frozen=True)
class RequestMeta:
    """What the web layer knows about the request in progress.

    ``actor`` is a loader, called only when a row is written: a request that logs in or out
    changes the user mid-request, and most requests write nothing (no user load for them).
    """

    request_id: str | None = None
    ip: str | None = None
    actor: Callable[[], Any] | None = None


_request: ContextVar[RequestMeta | None] = ContextVar("thidua_audit_request", default=None)


def bind_request(meta: RequestMeta) -> Token:
    """Called by the web layer when a request starts; pass the token to ``unbind_request``."""
    return _request.set(meta)


def unbind_request(token: Token) -> None:
    _request.reset(token)


def actor_of(user_id: int | None) -> User | None:
    """The user behind an id handed to a service (None for the system)."""
    return None if user_id is None else db.session.get(User, user_id)


def record(
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
    campaign_id: int | None = None,
    unit_id: int | None = None,
    actor: Any = None,
) -> AuditLog:
    """Add an audit row to the current session; the caller's commit makes it durable.

    ``actor`` is a user, a user id, or None (then the user of the bound request, if any).
    """
    meta = _request.get()
    if isinstance(actor, int):
        actor = actor_of(actor)
    elif actor is None and meta is not None and meta.actor is not None:
        actor = meta.actor()
    row = AuditLog(
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        reason=reason,
        campaign_id=campaign_id,
        unit_id=unit_id,
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(actor, "role", None),
        request_id=meta.request_id if meta else None,
        ip=meta.ip if meta else None,
    )
    db.session.add(row)
    return row
