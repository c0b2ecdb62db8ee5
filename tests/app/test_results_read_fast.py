"""The recompute's fast reads give what the plain reads give (issue 18, 100,000 units).

* ``fastsql.fetch_matrix`` (PostgreSQL: one ``string_agg`` of the rows' binary fields parsed by
  numpy) equals ``as_matrix(fetch(…))`` bit for bit — awkward floats, ids at the int4 limit, a row
  with a NULL (which falls back to the plain read), no rows;
* ``inputs._participants`` (DBAPI rows transposed) equals the ORM's rows, values and types;
* ``judged.read`` (every submitted mark, through ``fetch_matrix``) gives the same aggregates, marks
  hashes and fingerprint as through the plain read;
* ``ledger.index_of``'s table over a dense range of ids gives what its binary search gives.
"""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import CampaignUnit, Entry, EntryNodeScore, Unit
from campaign.services.results import fastsql, judged, ledger
from campaign.services.results.fastsql import as_matrix, fetch, fetch_matrix, insert_values
from campaign.services.results.inputs import _PARTICIPANT_COLUMNS, _participants
from campaign.services.setup.framework_cache import framework_info
from tests.results_helpers import random_campaign

AWKWARD = [-0.0, 5e-324, 0.1 + 0.2, 123.456789012, -7.5, 1e300, 2.0 ** 53 + 2, 0.0, float("inf")]


def _select(campaign_id: int):
    t = EntryNodeScore.__table__
    return sa.select(t.c.entry_id, t.c.node_id, t.c.points, t.c.judged, t.c.spread).where(t.c.campaign_id == campaign_id)


def _sorted_bits(a: np.ndarray) -> np.ndarray:
    """Rows in (entry, node) order, floats as their bits (-0.0 ≠ 0.0, NaN == NaN)."""
    return a[np.lexsort((a[:, 1], a[:, 0]))].view(np.int64)


def _insert(campaign_id: int, rows: list[tuple]) -> None:
    cols = ["campaign_id", "entry_id", "node_id", "points", "points_low", "points_high", "judged", "spread"]
    insert_values(EntryNodeScore.__table__, cols, [(campaign_id, *r) for r in rows])


def test_fetch_matrix_equals_the_plain_read(app, monkeypatch):
    rng = np.random.default_rng(18)
    rows = []
    for k in range(2_000):
        pts = AWKWARD[k] if k < len(AWKWARD) else round(float(rng.uniform(-100, 100)), 9)
        eid = 2 ** 31 - 1 - k // 16 if k < 64 else 1_000 + k // 16  # ids up to the int4 limit
        rows.append((eid, k % 16 + 1, pts, 0.0, 0.0, int(rng.integers(0, 20)), float(k % 7) / 3))
    _insert(1, rows)
    db.session.commit()
    plain = as_matrix(fetch(_select(1)), 5)
    calls = []
    monkeypatch.setattr(fastsql, "as_matrix", lambda *a: calls.append(1) or as_matrix(*a))
    fast = fetch_matrix(_select(1), 5)
    assert fast.shape == (2_000, 5)
    assert np.array_equal(_sorted_bits(fast), _sorted_bits(plain))
    if db.engine.dialect.name == "postgresql":
        assert calls == []  # the aggregated binary read ran, not the fallback
    # worked by hand: the row of entry 2^31 - 1, node 2 holds 5e-324 and judged as inserted
    row = fast[(fast[:, 0] == 2 ** 31 - 1) & (fast[:, 1] == 2)][0]
    assert row[2] == 5e-324 and row[3] == rows[1][5] and row[4] == 1 / 3
    if db.engine.dialect.name == "postgresql":  # (SQLite stores -0.0 as 0.0)
        assert np.signbit(fast[(fast[:, 0] == 2 ** 31 - 1) & (fast[:, 1] == 1)][0, 2])  # -0.0 kept its sign


def test_fetch_matrix_with_a_null_or_no_rows(app, factory):
    units = [factory.unit(population=p, area_km2=a) for p, a in ((120_000, 1.5), (None, 0.1 + 0.2), (7, None))]
    db.session.commit()
    stmt = sa.select(Unit.id, Unit.population, Unit.area_km2).where(Unit.id.in_([u.id for u in units]))
    a = fetch_matrix(stmt, 3)
    assert a.shape == (3, 3)  # the rows with a NULL are not lost (plain read)
    a = a[np.argsort(a[:, 0])]
    assert np.array_equal(a[:, 1:], np.array([[120_000, 1.5], [np.nan, 0.1 + 0.2], [7, np.nan]]), equal_nan=True)
    assert fetch_matrix(_select(99), 5).shape == (0, 5)


def test_participants_equal_the_orm_rows(app, factory):
    rng = random.Random(1818)
    c, _doc, data = random_campaign(factory, rng, n_units=9, judges=1, overrides=False)
    eids = sorted(data)
    first = db.session.get(Entry, eids[0])
    first.first_submitted_at = dt.datetime(2026, 3, 1, 7, 30, 15, 250_000)
    first.self_total = 71.25
    db.session.get(Entry, eids[1]).status = "draft"
    loner = factory.unit()  # a participant without an entry
    db.session.add(CampaignUnit(campaign_id=c.id, unit_id=loner.id))
    db.session.commit()
    orm = db.session.execute(
        sa.select(*_PARTICIPANT_COLUMNS).join(Unit, Unit.id == CampaignUnit.unit_id)
        .outerjoin(Entry, sa.and_(Entry.campaign_id == CampaignUnit.campaign_id, Entry.unit_id == CampaignUnit.unit_id))
        .where(CampaignUnit.campaign_id == c.id).order_by(CampaignUnit.unit_id)).all()
    cols = _participants(c.id)
    assert len(cols) == len(_PARTICIPANT_COLUMNS) and len(cols[0]) == 10
    assert list(zip(*cols, strict=True)) == [tuple(r) for r in orm]
    for fast_col, orm_col in zip(cols, zip(*orm, strict=True), strict=True):
        assert [type(v) for v in fast_col] == [type(v) for v in orm_col]
    row = cols[0].index(db.session.get(Entry, eids[0]).unit_id)
    assert cols[8][row] == dt.datetime(2026, 3, 1, 7, 30, 15, 250_000) and cols[7][row] == 71.25
    assert cols[6][cols[0].index(loner.id)] is None
    assert _participants(10_000) == [()] * len(_PARTICIPANT_COLUMNS)


def test_fetch_matrix_of_integer_and_float_expressions(app):
    t = EntryNodeScore.__table__
    _insert(4, [(2 ** 31 - 1, 3, 0.1 + 0.2, 0.0, 0.0, 7, -0.0), (5, 1, 2.5, 0.0, 0.0, 1, 1e-9)])
    db.session.commit()
    stmt = sa.select(sa.cast(t.c.entry_id, sa.BigInteger) * 200 + t.c.node_id, t.c.points * 2, t.c.judged,
                     sa.func.count().over()).where(t.c.campaign_id == 4)
    a = fetch_matrix(stmt, 4)
    assert np.array_equal(_sorted_bits(a), _sorted_bits(as_matrix(fetch(stmt), 4)))
    a = a[np.argsort(a[:, 0])]
    assert a[:, 0].tolist() == [5 * 200 + 1, (2 ** 31 - 1) * 200 + 3]  # beyond int4, exact
    assert a[:, 1].tolist() == [5.0, (0.1 + 0.2) * 2] and a[:, 2].tolist() == [1, 7] and a[:, 3].tolist() == [2, 2]


def test_judged_read_through_fetch_matrix_equals_the_plain_read(app, factory, monkeypatch):
    rng = random.Random(77)
    c, _doc, _data = random_campaign(factory, rng, n_units=14, judges=4, overrides=False,
                                     settings={"normalise": True, "aggregation": "trimmed_mean"})
    info = framework_info(c.framework_version_id)
    ent = np.array([-1 if e is None else e for e in _participants(c.id)[6]], dtype=np.int64)

    def read():
        return judged.read(c.id, info, dict(c.settings), len(ent), lambda e: ledger.index_of(ent, e))

    fast = read()
    monkeypatch.setattr(fastsql, "_send_fields", lambda stmt: None)
    plain = read()
    assert int(fast.n.sum()) > 20  # marks were read
    for name in ("agg", "low", "high", "n"):
        assert np.array_equal(getattr(fast, name), getattr(plain, name), equal_nan=True), name
    assert fast.sources.fingerprint == plain.sources.fingerprint and dict(fast.sources) == dict(plain.sources)


def _index_by_search(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    order = np.argsort(keys, kind="stable")
    pos = np.clip(np.searchsorted(keys[order], values), 0, len(keys) - 1)
    return np.where(keys[order][pos] == values, order[pos], -1)


def test_index_of_by_table_equals_the_binary_search():
    """Dense ids (the table), sparse ids (the search), repeated keys (rows without an entry: -1,
    the first position wins), values outside the keys' range, floats (the search)."""
    rng = np.random.default_rng(7)
    for t in range(2000):
        span = int(rng.integers(1, 200)) if t % 3 else int(rng.integers(10 ** 6, 10 ** 7))
        keys = rng.choice(np.arange(-1, span), size=min(int(rng.integers(1, 60)), span + 1), replace=False)
        if t % 5 == 0:
            keys[: len(keys) // 3] = -1
        values = rng.integers(-3, span + 5, size=int(rng.integers(0, 120)))
        assert np.array_equal(ledger.index_of(keys, values), _index_by_search(keys, values)), t
    keys = np.array([5.0, 2.0, 9.0])
    assert ledger.index_of(keys, np.array([2.0, 3.0, 9.0])).tolist() == [1, -1, 2]
