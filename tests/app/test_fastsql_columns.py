"""``fastsql.insert_columns`` (binary COPY built with numpy on PostgreSQL) stores exactly what the
row-by-row path (``insert_rows``: text COPY / executemany) stores: the same rows, the same floats
bit for bit — awkward ones included (-0.0, the smallest subnormal, 0.1 + 0.2, the 1e-9 grid)."""
from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import EntryNodeScore
from campaign.services.results.fastsql import insert_columns, insert_rows
from campaign.services.results.ledger import COLUMNS


def _stored(campaign_id: int) -> list[tuple]:
    t = EntryNodeScore.__table__
    rows = db.session.execute(sa.select(*(t.c[c] for c in COLUMNS[1:])).where(t.c.campaign_id == campaign_id)
                              .order_by(t.c.entry_id, t.c.node_id)).all()
    # floats compared by their bits (-0.0 == 0.0 would hide a lost sign)
    return [tuple(np.float64(v).view(np.int64).item() if isinstance(v, float) else v for v in r) for r in rows]


def test_columns_are_stored_as_the_rows_path_stores_them(app):
    rng = np.random.default_rng(18)
    n = 250_003 if db.engine.dialect.name == "postgresql" else 3_001  # several binary chunks on PostgreSQL
    awkward = np.array([-0.0, 5e-324, 0.1 + 0.2, 123.456789012, -7.5, 1e300, 2.0 ** 53 + 2, 0.0])
    floats = [np.round(rng.uniform(-100, 100, n), 9) for _ in range(4)]
    for f in floats:
        f[:len(awkward)] = awkward
    judged = rng.integers(0, 20, n)
    entry = np.arange(n, dtype=np.int64) // 16 + 2 ** 31 - 1 - n  # ids up to the int4 limit
    node = np.arange(n, dtype=np.int64) % 16 + 1
    cols = [np.full(n, 2, dtype=np.int64), entry, node, floats[0], floats[1], floats[2], judged, floats[3]]
    insert_columns(EntryNodeScore.__table__, COLUMNS, cols)
    rows = list(zip([1] * n, *(c.tolist() for c in cols[1:]), strict=True))
    insert_rows(EntryNodeScore.__table__, COLUMNS, rows)
    db.session.commit()
    by_columns, by_rows = _stored(2), _stored(1)
    assert len(by_columns) == n
    assert by_columns == by_rows
    first = db.session.execute(sa.select(EntryNodeScore.points, EntryNodeScore.judged).where(
        EntryNodeScore.campaign_id == 2, EntryNodeScore.entry_id == int(entry[0]), EntryNodeScore.node_id == 1)).one()
    assert first.points == 0.0 and first.judged == int(judged[0])
    if db.engine.dialect.name == "postgresql":  # SQLite keeps an integral REAL as an integer: no -0.0
        assert np.signbit(first.points)


def test_a_matrix_read_plans_without_parallel_workers_and_restores_the_setting(app, monkeypatch):
    """On PostgreSQL the ``string_agg`` read runs without parallel workers (the aggregate runs in
    the leader alone; workers only pass it rows), and the transaction's setting is as before after."""
    from campaign.services.results import fastsql

    pg = db.engine.dialect.name == "postgresql"

    def setting() -> str | None:
        return db.session.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar() if pg else None

    insert_rows(EntryNodeScore.__table__, COLUMNS, [(3, e, 1, 1.5, 1.0, 2.0, 1, 0.5) for e in range(1, 41)])
    t = EntryNodeScore.__table__
    before, seen, real_fetch = setting(), [], fastsql.fetch

    def fetch(stmt, types=None):
        seen.append(setting())
        return real_fetch(stmt, types)

    monkeypatch.setattr(fastsql, "fetch", fetch)
    got = fastsql.fetch_matrix(sa.select(t.c.entry_id, t.c.points).where(t.c.campaign_id == 3), 2)
    assert sorted(got[:, 0].tolist()) == list(range(1, 41)) and set(got[:, 1].tolist()) == {1.5}
    if pg:
        assert before != "0" and seen == ["0"]
        assert setting() == before
