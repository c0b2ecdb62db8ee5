"""Audit rows are written in the same transaction as the change they describe."""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from campaign.extensions import db
from campaign.models import AuditLog


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
    """Add an audit row to the current session; the caller's commit makes it durable."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
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
        request_id=g.get("request_id") if has_request_context() else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(row)
    return row
