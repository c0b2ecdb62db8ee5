"""SQLite settings that make concurrent writers safe (WAL, busy timeout, BEGIN IMMEDIATE).

A deferred transaction that reads then writes fails with SQLITE_BUSY under contention even
with a busy timeout, because the lock upgrade cannot wait. So every transaction that may
write starts IMMEDIATE: all of them except those of safe HTTP requests (GET/HEAD), which
``read_only_transactions()`` marks, so readers never queue behind the write lock.
pysqlite's own transaction handling is switched off so SQLAlchemy's BEGIN is the one used.
"""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 10_000
_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("thidua_read_only", default=False)


def set_read_only(flag: bool) -> contextvars.Token:
    return _read_only.set(flag)


@contextmanager
def writing_transactions() -> Iterator[None]:
    """Inside a safe (GET) request, transactions begun here may write: they start IMMEDIATE.

    The caller ends its read transaction first (rollback/commit), so the write happens in
    a fresh one that waits its turn for the lock instead of failing with "database is locked".
    """
    token = _read_only.set(False)
    try:
        yield
    finally:
        _read_only.reset(token)


@contextmanager
def read_only_transactions() -> Iterator[None]:
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")
