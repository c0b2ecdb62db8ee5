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


def test_first_visits_create_entries_while_others_write(app, factory):
    """A GET that creates the officer's entry must queue for the write lock, not fail.

    Found by ``bench.soak``: 20 officers opening their entries at once got 500s ("database
    is locked") because the GET's deferred read transaction cannot be upgraded to a write.
    """
    import threading

    from campaign.extensions import db
    from campaign.models import AuditLog, Entry
    from tests.conftest import Client

    if db.engine.url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's lock upgrade is the subject")
    district = factory.unit()
    wards = [factory.unit("ward", parent=district) for _ in range(12)]
    c = factory.campaign(units=wards)
    cid = c.id
    for k, w in enumerate(wards):
        factory.user("officer", unit=w, username=f"ward{k}")
    db.session.commit()
    clients = [Client(app.test_client()) for _ in wards]
    for k, cl in enumerate(clients):
        assert cl.login(f"ward{k}").status_code == 302
    db.session.commit()  # the test thread holds no transaction (no write lock) from here
    stop, statuses = threading.Event(), []

    def writer():
        with app.app_context():
            while not stop.is_set():
                db.session.add(AuditLog(action="test.noise", object_type="x"))
                db.session.commit()
            db.session.remove()

    def visit(cl):
        with app.app_context():
            statuses.append(cl.get(f"/unit/campaigns/{cid}/entry").status_code)
            db.session.remove()

    noise = threading.Thread(target=writer)
    noise.start()
    visitors = [threading.Thread(target=visit, args=(cl,)) for cl in clients]
    for t in visitors:
        t.start()
    for t in visitors:
        t.join(60)
    stop.set()
    noise.join(30)
    assert statuses == [302] * len(wards)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.campaign_id == cid)) == 12
