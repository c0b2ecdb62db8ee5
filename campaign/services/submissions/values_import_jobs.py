"""The commission's values import, run by the worker for large files, its progress kept in Redis.

A Hà Nội-wide sheet (614 units × 43 indicators = 26,402 rows) takes about a minute to read and
save, past gunicorn's timeout (issue 13, finding 3). Files above ``VALUES_IMPORT_INLINE_BYTES``
are therefore stored in Redis (bounded by ``MAX_UPLOAD_BYTES``, with a TTL, one per admin and
campaign) and imported by the task ``thidua.import_values``; small files stay in the request.
The import itself is :func:`values_xlsx.import_rows`, all-or-nothing as before.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict

import redis
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import User
from campaign.redis_client import get_redis
from campaign.services.errors import Conflict, DomainError
from campaign.services.results import queue
from campaign.services.submissions import values_xlsx
from campaign.services.submissions.values_xlsx import CellResult, ImportReport

KEY = "thidua:values-import:{campaign}:{user}"
TTL = 3600  # s: a finished report stays readable for an hour, then Redis forgets it
ACTIVE = ("queued", "running")
STALE_AFTER = 900  # s without progress: the worker was lost (killed); the slot is free again


class Unavailable(DomainError):
    status = 503


class _Upload:
    """The stored bytes, shaped like the uploaded file the import service reads."""

    def __init__(self, filename: str, data: bytes):
        self.filename, self._data = filename, data

    def read(self) -> bytes:
        return self._data


def _key(campaign_id: int, user_id: int) -> str:
    return KEY.format(campaign=int(campaign_id), user=int(user_id))


def _put(campaign_id: int, user_id: int, **state) -> None:
    state["at"] = time.time()
    get_redis().set(_key(campaign_id, user_id), json.dumps(state), ex=TTL)


def _get(campaign_id: int, user_id: int) -> dict | None:
    raw = get_redis().get(_key(campaign_id, user_id))
    return json.loads(raw) if raw else None


def submit(campaign_id: int, user: User, file_storage, locale: str = "vi") -> ImportReport | None:
    """Import a small file now and return its report; queue a large one and return None.

    Raises Conflict while this admin's previous import of the campaign is still running (a double
    click), Unavailable when Redis or the broker is down (nothing is stored then).
    """
    values_xlsx.campaign_for_import(campaign_id, user)
    if file_storage is None or not file_storage.filename:
        return values_xlsx.import_for_campaign(campaign_id, user, file_storage)
    data = file_storage.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    upload = _Upload(file_storage.filename, data)
    if len(data) <= current_app.config["VALUES_IMPORT_INLINE_BYTES"]:
        return values_xlsx.import_for_campaign(campaign_id, user, upload)
    if len(data) > current_app.config["MAX_UPLOAD_BYTES"]:
        raise DomainError(_("Tệp lớn hơn %(mb)s MB; không có giá trị nào được lưu.",
                            mb=max(1, current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024))))
    key = _key(campaign_id, user.id)
    state = {"status": "queued", "phase": "queued", "read": 0, "saved": 0, "total": 0,
             "filename": file_storage.filename[:200], "locale": locale, "at": time.time()}
    try:
        r = get_redis()
        old = _get(campaign_id, user.id)
        if old and old.get("status") in ACTIVE and time.time() - old.get("at", 0) < STALE_AFTER:
            raise Conflict(_("Tệp trước của bạn cho phong trào này vẫn đang được nhập; hãy chờ nó xong rồi gửi tiếp."))
        # SET NX after dropping a finished job: of two simultaneous clicks only one claims the slot
        if old:
            r.delete(key)
        if not r.set(key, json.dumps(state), nx=True, ex=TTL):
            raise Conflict(_("Tệp trước của bạn cho phong trào này vẫn đang được nhập; hãy chờ nó xong rồi gửi tiếp."))
        r.set(key + ":file", data, ex=TTL)
    except redis.RedisError:
        raise Unavailable(_("Hệ thống xử lý nền đang tạm ngừng nên chưa nhập được tệp lớn này; "
                            "hãy thử lại sau ít phút. Không có giá trị nào được lưu.")) from None
    try:
        queue.send(queue.IMPORT_VALUES, [campaign_id, user.id])
    except Exception:  # noqa: BLE001 - any broker failure: release the slot and say so
        r.delete(key, key + ":file")
        raise Unavailable(_("Hệ thống xử lý nền đang tạm ngừng nên chưa nhập được tệp lớn này; "
                            "hãy thử lại sau ít phút. Không có giá trị nào được lưu.")) from None
    return None


def run(campaign_id: int, user_id: int) -> dict:
    """Worker side: import the stored file, writing progress and then the report (or the error)."""
    key = _key(campaign_id, user_id)
    r = get_redis()
    state = _get(campaign_id, user_id) or {}
    data = r.get(key + ":file")
    if not data or state.get("status") not in ACTIVE:
        return {"status": "missing"}
    user = db.session.get(User, user_id)
    base = {"filename": state.get("filename", ""), "locale": state.get("locale", "vi")}

    def progress(phase: str, done: int, total: int) -> None:
        read = total if phase != "reading" else 0
        _put(campaign_id, user_id, status="running", phase=phase, read=read,
             saved=done if phase == "saving" else 0, total=total, **base)

    with force_locale(base["locale"]):
        try:
            report = values_xlsx.import_for_campaign(campaign_id, user, _Upload(base["filename"], data),
                                                     progress=progress)
        except DomainError as exc:
            db.session.rollback()
            result = {"status": "failed", "error": exc.message}
        except Exception:
            db.session.rollback()
            _put(campaign_id, user_id, status="failed", phase="done", read=0, saved=0, total=0,
                 error=_("Nhập tệp gặp lỗi hệ thống; không có giá trị nào được lưu. Hãy thử lại."), **base)
            r.delete(key + ":file")
            raise
        else:
            result = {"status": "done", "rows": [asdict(x) for x in report.rows]}
    n = len(result.get("rows", []))
    _put(campaign_id, user_id, phase="done", read=n, saved=n, total=n, **base, **result)
    r.delete(key + ":file")
    return {"status": result["status"], "rows": n}


def status(campaign_id: int, user: User) -> dict:
    """This admin's import of the campaign: phase, counts, percent; ``report`` once done."""
    values_xlsx.campaign_for_import(campaign_id, user)
    try:
        state = _get(campaign_id, user.id)
    except redis.RedisError:
        state = None
    if state is None:
        return {"status": "none", "phase": "none", "percent": 0, "read": 0, "saved": 0, "total": 0}
    total = state.get("total") or 0
    percent = {"queued": 0, "reading": 5, "checking": 15}.get(state["phase"], 100)
    if state["phase"] == "saving" and total:
        percent = 15 + int(85 * state.get("saved", 0) / total)
    out = {k: state.get(k) for k in ("status", "phase", "read", "saved", "total", "filename", "error")}
    out["percent"] = percent
    if state.get("rows") is not None:
        out["report"] = ImportReport(rows=[CellResult(**row) for row in state["rows"]])
    return out
