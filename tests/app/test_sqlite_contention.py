"""R9: concurrent writers on SQLite through the app's engine settings lose nothing.

Four processes each run read-then-write transactions on one counter row. With deferred
BEGIN most of them would fail with "database is locked" on the lock upgrade; the app's
BEGIN IMMEDIATE + WAL + busy timeout must give zero errors and no lost update.
"""
from __future__ import annotations

import multiprocessing as mp

import pytest
import sqlalchemy as sa

from campaign.sqlite import configure_sqlite

WRITERS, TXNS = 4, 150


def _writer(url: str, errors) -> None:
    engine = sa.create_engine(url)
    configure_sqlite(engine)
    failed = 0
    for _ in range(TXNS):
        try:
            with engine.begin() as conn:
                value = conn.execute(sa.text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                conn.execute(sa.text("UPDATE counter SET n = :n WHERE id = 1"), {"n": value + 1})
        except sa.exc.OperationalError:
            failed += 1
    errors.put(failed)
    engine.dispose()


def test_concurrent_read_modify_write_loses_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'contention.sqlite'}"
    engine = sa.create_engine(url)
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(sa.text("INSERT INTO counter VALUES (1, 0)"))
    ctx = mp.get_context("spawn")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, errors)) for _ in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    failures = sum(errors.get(timeout=5) for _ in procs)
    with engine.connect() as conn:
        final = conn.execute(sa.text("SELECT n FROM counter")).scalar_one()
    assert failures == 0
    assert final == WRITERS * TXNS


@pytest.mark.parametrize("pragma,expected", [("journal_mode", "wal"), ("synchronous", 2), ("foreign_keys", 1)])
def test_connection_pragmas(tmp_path, pragma, expected):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    configure_sqlite(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
