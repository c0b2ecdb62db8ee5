"""Consistent backups of the database and evidence files, and restoring them.

SQLite is copied with SQLite's online backup API (one step, under a read transaction: a
point-in-time copy even while the platform keeps writing, WAL included) and checked with
``PRAGMA integrity_check``; PostgreSQL with ``pg_dump -Fc`` (a snapshot transaction).
Evidence files are content-addressed and never modified, so copying them after the
database means every file the copy refers to is there (extra files are harmless orphans,
removed by ``flask sweep-uploads``). A ``manifest.json`` records row counts and the
schema revision so a restore can be checked.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from campaign.extensions import db
from campaign.models import Campaign
from campaign.models.campaigns import new_ledger_token

MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot be done as asked (nothing was changed)."""


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _pg_args(url: sa.engine.URL) -> tuple[list[str], dict]:
    """libpq arguments and environment (the password never appears on a command line)."""
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = {"PGPASSWORD": url.password or ""}
    return args, env


def row_counts(engine: sa.engine.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables}


def _revision(engine: sa.engine.Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.DBAPIError:
            return None


def integrity_ok(path: Path) -> bool:
    try:
        conn = sqlite3.connect(path)
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.DatabaseError:  # "file is not a database", "disk image is malformed"
        return False


def backup(dest_root: str | Path) -> Path:
    """Write a new backup directory under ``dest_root`` and return its path."""
    url = db.engine.url
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = Path(dest_root) / f"thidua-{stamp}"
    dest.mkdir(parents=True)
    try:
        if url.get_backend_name() == "sqlite":
            target = dest / "thidua.sqlite"
            src = sqlite3.connect(_sqlite_path(url), timeout=30)
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # all pages in one step: a consistent snapshot
            finally:
                dst.close()
                src.close()
            if not integrity_ok(target):
                raise BackupError("the copy failed SQLite's integrity check")
            copy_engine = sa.create_engine(f"sqlite:///{target}")
            counts, revision = row_counts(copy_engine), _revision(copy_engine)
            copy_engine.dispose()
            kind, files = "sqlite", ["thidua.sqlite"]
        elif url.get_backend_name() == "postgresql":
            args, env = _pg_args(url)
            target = dest / "thidua.dump"
            _run(["pg_dump", "-Fc", "--no-owner", *args, "-f", str(target), url.database], env)
            counts, revision = None, _revision(db.engine)  # counts of a dump: read after restore
            kind, files = "postgresql", ["thidua.dump"]
        else:
            raise BackupError(f"no backup method for {url.get_backend_name()}")
        uploads = Path(current_app.config["UPLOAD_FOLDER"])
        if uploads.is_dir():
            shutil.copytree(uploads, dest / "uploads")
        (dest / MANIFEST).write_text(json.dumps({
            "format": "thidua-backup/1", "created_at": stamp, "database": kind, "files": files,
            "alembic_revision": revision, "row_counts": counts,
            "uploads": sum(1 for p in (dest / "uploads").rglob("*") if p.is_file()) if uploads.is_dir() else 0,
        }, indent=2, sort_keys=True))
        return dest
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def restore(src_dir: str | Path) -> dict:
    """Replace the configured database (and uploads) with a backup; stop the platform first."""
    src = Path(src_dir)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} is not a backup directory ({exc})") from exc
    url = db.engine.url
    if manifest.get("database") != url.get_backend_name():
        raise BackupError(f"this backup is of a {manifest.get('database')} database, "
                          f"the platform uses {url.get_backend_name()}")
    db.session.remove()
    db.engine.dispose()
    if manifest["database"] == "sqlite":
        copy = src / "thidua.sqlite"
        if not integrity_ok(copy):
            raise BackupError("the backup failed SQLite's integrity check; nothing was restored")
        target = _sqlite_path(url)
        s, d = sqlite3.connect(copy), sqlite3.connect(target, timeout=30)
        try:
            s.backup(d)  # page by page into the live file, under its write lock (WAL stays valid)
        finally:
            d.close()
            s.close()
    else:
        args, env = _pg_args(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
              "-d", url.database, str(src / "thidua.dump")], env)
    _new_ledger_builds(db.engine)
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if (src / "uploads").is_dir():
        shutil.copytree(src / "uploads", uploads, dirs_exist_ok=True)
    counts = row_counts(db.engine)
    expected = manifest.get("row_counts")
    if expected is not None and counts != expected:
        raise BackupError(f"row counts after restore differ from the backup's manifest: {counts} != {expected}")
    return {"database": manifest["database"], "created_at": manifest["created_at"], "row_counts": counts}


def _new_ledger_builds(engine: sa.engine.Engine) -> None:
    """Give every campaign's ledger a new token: a process still holding a copy of a ledger from
    before the restore (results.ledger_cache) reads it whole again instead of trusting the
    restored versions, which repeat numbers it has already seen."""
    with engine.begin() as conn:
        for cid in conn.scalars(sa.select(Campaign.id)).all():
            conn.execute(sa.update(Campaign).where(Campaign.id == cid).values(ledger_token=new_ledger_token()))


def _run(cmd: list[str], env: dict) -> None:
    import os

    try:
        proc = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client)") from exc
    if proc.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {proc.stderr.strip()[-2000:]}")
