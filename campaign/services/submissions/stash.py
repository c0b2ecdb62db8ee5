"""What an officer typed, kept for a short while when the post itself is refused (expired session or form).

The stash is written only for a post carrying a form signature that the server gave to an
authenticated officer when it served the form (``form_signature``): an anonymous request,
or one with a forged or foreign signature, stores nothing. It holds only the entry form's
text fields, is capped in size (``UNIT_STASH_MAX_BYTES``), lives ``UNIT_STASH_TTL`` seconds,
and there is at most one per (officer, entry), so Redis use is bounded by the number of
officers. A restore is offered only to the officer the signature names.
See issue 13, findings 1 and 2.
"""
from __future__ import annotations

import json
import re
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from campaign.redis_client import get_redis

_KEY = "thidua:unit-stash:{user}:{entry}"
_SALT = "thidua.unit-form"
# The entry form's own fields; anything else in a post is not kept.
_FIELD = re.compile(r"^(codes|action|lock_version|(v|na|ex)-[^\s]{1,64})$")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def form_signature(user_id: int, entry_id: int) -> str:
    """A token put in the entry form when serving it: proves later who was served this form."""
    return _serializer().dumps([int(user_id), int(entry_id)])


def signed_owner(signature: str | None, entry_id: int) -> int | None:
    """The user id a form signature was issued to for this entry, or None (missing, forged, too old)."""
    if not signature or len(signature) > 200:
        return None
    max_age = int(current_app.config.get("UNIT_STASH_FORM_MAX_AGE", 24 * 3600))
    try:
        user_id, signed_entry = _serializer().loads(signature, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    return int(user_id) if int(signed_entry) == int(entry_id) else None


def keep(entry_id: int, owner_id: int, formdata: MultiDict) -> str | None:
    """Stash the form's text fields for ``owner_id``; returns the restore token, or None when not kept.

    None when the data is over the size cap or Redis is unavailable: the caller then shows
    the plain "expired" page (the browser's back button still has the typed data).
    """
    cap = int(current_app.config.get("UNIT_STASH_MAX_BYTES", 128 * 1024))
    items = [(k, v) for k, v in formdata.items(multi=True) if _FIELD.match(k) and isinstance(v, str)]
    if sum(len(k) + len(v) for k, v in items) > cap:  # over the cap already as characters: no copy made
        return None
    token = secrets.token_urlsafe(16)
    blob = json.dumps({"token": token, "items": items}, ensure_ascii=False).encode()
    if len(blob) > cap:
        return None
    try:
        get_redis().set(_KEY.format(user=int(owner_id), entry=int(entry_id)), blob,
                        ex=int(current_app.config.get("UNIT_STASH_TTL", 3600)))
    except Exception:  # noqa: BLE001 - Redis down: fall back to the plain error page
        return None
    return token


def take(token: str, entry_id: int, user_id: int) -> MultiDict | None:
    """The stash of this officer for this entry when ``token`` matches; None otherwise."""
    if not token:
        return None
    try:
        raw = get_redis().get(_KEY.format(user=int(user_id), entry=int(entry_id)))
    except Exception:  # noqa: BLE001 - Redis down: open the form with what is saved
        return None
    if not raw:
        return None
    data = json.loads(raw)
    if not secrets.compare_digest(str(data.get("token", "")), token[:64]):
        return None
    return MultiDict([tuple(i) for i in data["items"]])
