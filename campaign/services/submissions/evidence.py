"""Evidence files: content-type detection, atomic content-addressed storage, guarded downloads.

A file is streamed to a temporary file in UPLOAD_FOLDER while its sha256 and size are
computed; the type is detected from the bytes (never the name or the browser's claim);
then fsync, ``os.replace`` to ``<sha256>.<ext>``, fsync of the directory, and only then
the database row is inserted and committed. A crash leaves at worst an orphan file,
never a row without its file.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.models import Entry, EvidenceFile, IndicatorNode, Unit, User
from campaign.models.base import utcnow
from campaign.services import audit
from campaign.services.errors import DomainError, NotFound
from campaign.services.results.freshness import mark_stale
from campaign.services.setup.framework_cache import parsed
from campaign.services.submissions.entries import EDITABLE, can_view_entry, editable_codes, entry_for_edit

MIME = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
INLINE_OK = ("pdf", "jpeg", "png")
_CHUNK = 64 * 1024


class FileRefused(DomainError):
    """An upload was refused; the message says why."""


def clean_name(name: str | None) -> str:
    """Original name for display: NFC, no directories, no control characters, ≤ 200 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name:
        name = "tep"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext[:9]) if dot else name[:200]
    return name


def detect_kind(path: str) -> str | None:
    """pdf | jpeg | png | docx | xlsx from the content, or None."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"%PDF-"):
        return "pdf"
    kind = filetype.guess(head)
    ext = kind.extension if kind else None
    if ext in ("jpg", "jpeg"):
        return "jpeg"
    if ext == "png":
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(path)
    return None


def _office_kind(path: str) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "[Content_Types].xml" not in names:
                return None
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size > 1_000_000:
                return None
            types = zf.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, RuntimeError, EOFError, NotImplementedError):  # fuzzed
        return None
    if "word/document.xml" in names and "wordprocessingml.document.main+xml" in types:
        return "docx"
    if "xl/workbook.xml" in names and "spreadsheetml.sheet.main+xml" in types:
        return "xlsx"
    return None


def allowed_kinds(node) -> list[str]:
    configured = [k.strip().lower() for k in current_app.config.get("ALLOWED_EVIDENCE_TYPES", ()) if k.strip()]
    configured = ["jpeg" if k == "jpg" else k for k in configured]
    evidence = (getattr(node, "evidence", None) or {}) if node is not None else {}
    per_indicator = [("jpeg" if k == "jpg" else k) for k in evidence.get("file_types") or []]
    if per_indicator:
        return [k for k in configured if k in per_indicator]
    return configured


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass
class Stored:
    sha256: str
    size: int
    kind: str
    storage_name: str


def store_stream(stream, allowed: list[str]) -> Stored:
    """Write ``stream`` durably under its content address; refuse empty, oversize or disguised files."""
    folder = current_app.config["UPLOAD_FOLDER"]
    limit = int(current_app.config.get("MAX_UPLOAD_BYTES") or 10 * 1024 * 1024)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise FileRefused(_("Tệp quá lớn: mỗi tệp tối đa %(mb)s MB.", mb=_mb(limit)))
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise FileRefused(_("Tệp rỗng (0 byte); hãy chọn lại tệp."))
        kind = detect_kind(tmp)
        if kind is None:
            raise FileRefused(_("Nội dung tệp không phải PDF, ảnh JPEG/PNG, Word (DOCX) hay Excel (XLSX); "
                                "tệp đã bị từ chối (đuôi tệp không quyết định loại tệp)."))
        if kind not in allowed:
            raise FileRefused(_("Loại tệp %(kind)s không được phép cho chỉ tiêu này; chỉ nhận: %(allowed)s.",
                                kind=kind.upper(), allowed=", ".join(k.upper() for k in allowed)))
        sha = digest.hexdigest()
        name = f"{sha}.{kind}"
        final = os.path.join(folder, name)
        if os.path.exists(final):
            os.unlink(tmp)  # same content stored already
        else:
            os.replace(tmp, final)
            _fsync_dir(folder)
        return Stored(sha, size, kind, name)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _mb(n: int) -> str:
    """A size limit in MB as the reader writes numbers ("10", "0,5")."""
    return formats.plain(round(n / (1024 * 1024), 2), str(get_locale() or "vi"))


def accept_attribute(kinds: list[str]) -> str:
    """The file input's ``accept`` value for these kinds (extensions and media types)."""
    exts = {"jpeg": ".jpg,.jpeg", "pdf": ".pdf", "png": ".png", "docx": ".docx", "xlsx": ".xlsx"}
    return ",".join(exts[k] + "," + MIME[k] for k in kinds if k in MIME)


def file_limits() -> tuple[int, int]:
    """(files per request, files per indicator), from THIDUA_MAX_FILES_PER_REQUEST / _PER_INDICATOR."""
    cfg = current_app.config
    return int(cfg.get("MAX_FILES_PER_REQUEST") or 20), int(cfg.get("MAX_FILES_PER_INDICATOR") or 10)


def count_refusals(entry_id: int, new_files: dict[str, int]) -> tuple[str | None, dict[str, str]]:
    """Messages when the files chosen in one request break the caps: (whole request, {code: message}).

    Checked before anything is stored, so a refused request stores nothing (issue 13, finding 10).
    """
    per_request, per_indicator = file_limits()
    total = sum(new_files.values())
    whole = None
    if total > per_request:
        whole = _("Mỗi lần gửi được tối đa %(n)s tệp; bạn đã chọn %(k)s tệp. Không có gì được lưu: "
                  "hãy chọn lại tệp và gửi thành nhiều lần.", n=per_request, k=total)
    have = {code: len(rows) for code, rows in files_of(entry_id).items()}
    per_code = {}
    for code, k in new_files.items():
        if k and have.get(code, 0) + k > per_indicator:
            per_code[code] = _("Mỗi chỉ tiêu có tối đa %(n)s tệp; chỉ tiêu này đã có %(have)s tệp, bạn chọn thêm "
                               "%(k)s tệp. Hãy xóa bớt tệp cũ hoặc chọn ít tệp hơn.",
                               n=per_indicator, have=have.get(code, 0), k=k)
    return whole, per_code


def attach(entry: Entry, user: User, code: str, file_storage) -> EvidenceFile:
    """Attach one file to an indicator of an editable entry the caller has authorised (not committed).

    The same content twice on one indicator is refused with a word rather than stored twice.
    """
    if entry.status not in EDITABLE:
        raise DomainError(_("Hồ sơ đã nộp và đang khóa; không thể thêm tệp."))
    fw = parsed(entry.framework_version_id)
    try:
        node = fw.node(code)
    except KeyError:
        raise NotFound(_("Không tìm thấy chỉ tiêu.")) from None
    if code not in editable_codes(entry, fw):
        raise DomainError(_("Chỉ được sửa các chỉ tiêu được yêu cầu giải trình; chỉ tiêu này đang khóa."))
    if file_storage is None or not (file_storage.filename or "").strip():
        raise FileRefused(_("Chưa chọn tệp."))
    node_row = db.session.scalar(sa.select(IndicatorNode).where(
        IndicatorNode.framework_version_id == entry.framework_version_id, IndicatorNode.code == code))
    stored = store_stream(file_storage.stream, allowed_kinds(node))
    same = db.session.scalar(sa.select(EvidenceFile.original_name).where(
        EvidenceFile.entry_id == entry.id, EvidenceFile.indicator_id == node_row.id,
        EvidenceFile.sha256 == stored.sha256, EvidenceFile.deleted_at.is_(None)).limit(1))
    if same is not None:
        raise FileRefused(_("Tệp này đã có trong chỉ tiêu (cùng nội dung với “%(name)s”); không lưu lần nữa.",
                            name=same))
    row = EvidenceFile(entry_id=entry.id, indicator_id=node_row.id, sha256=stored.sha256, size=stored.size,
                       mime=MIME[stored.kind], original_name=clean_name(file_storage.filename),
                       storage_name=stored.storage_name, status="accepted", uploaded_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    audit.record("evidence.upload", "evidence_file", row.id, campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                 after={"indicator": code, "sha256": stored.sha256, "size": stored.size, "name": row.original_name})
    mark_stale(entry.campaign_id, entries=[entry.id])
    return row


def upload(entry_id: int, user: User, code: str, file_storage) -> EvidenceFile:
    """Attach one file to an indicator of my editable entry, and commit."""
    row = attach(entry_for_edit(entry_id, user), user, code, file_storage)
    db.session.commit()
    return row


def remove(entry: Entry, user: User, file_id: int) -> EvidenceFile:
    """Delete a file of an entry the caller has authorised (not committed).

    A file of another entry and a file that does not exist get the same answer, so ids of
    other units' files are not disclosed (issue 13, finding 11).
    """
    row = db.session.get(EvidenceFile, file_id)
    if row is None or row.deleted_at is not None or row.entry_id != entry.id:
        raise NotFound(_("Không tìm thấy tệp."))
    if entry.status not in EDITABLE:
        raise DomainError(_("Hồ sơ đã nộp và đang khóa; không thể xóa tệp."))
    fw = parsed(entry.framework_version_id)
    node = db.session.get(IndicatorNode, row.indicator_id)
    if node is not None and node.code not in editable_codes(entry, fw):
        raise DomainError(_("Chỉ được sửa các chỉ tiêu được yêu cầu giải trình; chỉ tiêu này đang khóa."))
    row.deleted_at = utcnow()
    audit.record("evidence.delete", "evidence_file", row.id, campaign_id=entry.campaign_id, unit_id=entry.unit_id,
                 before={"sha256": row.sha256, "name": row.original_name})
    mark_stale(entry.campaign_id, entries=[entry.id])
    return row


def for_download(file_id: int, user: User) -> tuple[EvidenceFile, str]:
    """(row, absolute path) when ``user`` may see the entry; 404 otherwise (no existence leak)."""
    row = db.session.get(EvidenceFile, file_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(_("Không tìm thấy tệp."))
    entry = db.session.get(Entry, row.entry_id)
    if entry is None or not can_view_entry(entry, user):
        raise NotFound(_("Không tìm thấy tệp."))
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], os.path.basename(row.storage_name))
    if not os.path.isfile(path):
        raise NotFound(_("Tệp không còn trên máy chủ; hãy báo quản trị viên."))
    return row, path


def files_of(entry_id: int) -> dict[str, list[EvidenceFile]]:
    rows = db.session.execute(
        sa.select(IndicatorNode.code, EvidenceFile)
        .join(IndicatorNode, IndicatorNode.id == EvidenceFile.indicator_id)
        .where(EvidenceFile.entry_id == entry_id, EvidenceFile.deleted_at.is_(None))
        .order_by(EvidenceFile.id)).all()
    out: dict[str, list[EvidenceFile]] = {}
    for code, f in rows:
        out.setdefault(code, []).append(f)
    return out


def shared_hashes(campaign_id: int) -> list[dict]:
    """Files with the same sha256 attached by different units of a campaign (for the commission)."""
    dup = (sa.select(EvidenceFile.sha256)
           .join(Entry, Entry.id == EvidenceFile.entry_id)
           .where(Entry.campaign_id == campaign_id, EvidenceFile.deleted_at.is_(None))
           .group_by(EvidenceFile.sha256)
           .having(sa.func.count(sa.distinct(Entry.unit_id)) > 1))
    rows = db.session.execute(
        sa.select(EvidenceFile.sha256, EvidenceFile.original_name, EvidenceFile.id, Unit.name, Unit.code)
        .join(Entry, Entry.id == EvidenceFile.entry_id)
        .join(Unit, Unit.id == Entry.unit_id)
        .where(Entry.campaign_id == campaign_id, EvidenceFile.deleted_at.is_(None),
               EvidenceFile.sha256.in_(dup))
        .order_by(EvidenceFile.sha256, Unit.code)).all()
    out: dict[str, dict] = {}
    for sha, name, fid, uname, ucode in rows:
        item = out.setdefault(sha, {"sha256": sha, "uses": []})
        item["uses"].append({"file_id": fid, "name": name, "unit": uname, "unit_code": ucode})
    return list(out.values())


def sweep_orphans(older_than_seconds: float = 24 * 3600, now: float | None = None) -> list[str]:
    """Delete files under UPLOAD_FOLDER that no row references (a crash between rename and
    commit, or a refused request) and leftover temporary files, once older than the grace period."""
    folder = current_app.config["UPLOAD_FOLDER"]
    now = now if now is not None else time.time()
    referenced = set(db.session.scalars(sa.select(EvidenceFile.storage_name).distinct()))
    removed = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name in referenced or not os.path.isfile(path):
            continue
        if not (name.startswith(".upload-") or "." in name and len(name.split(".", 1)[0]) == 64):
            continue  # not ours
        if now - os.path.getmtime(path) < older_than_seconds:
            continue
        os.unlink(path)
        removed.append(name)
    return removed
