"""After a write that moved many rows (the bulk branch: delete and re-insert them), the next
recompute still knows every row it wrote and updates only the rows that change (issue 18: at
100,000 units one change shifts thousands of ranks; before this fix the write after such a
shift rewrote every row)."""
from __future__ import annotations

import random

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Entry, ScoreRun, UnitResult
from campaign.services.results import recompute, writes
from campaign.services.results.freshness import mark_stale
from tests.public_helpers import SQLCounter
from tests.results_helpers import judge, provisional_results, random_campaign, save_values


def _change(c, doc, data, k: int) -> None:
    eid = sorted(data)[k]
    save_values(db.session.get(Entry, eid), doc, {"I.1": 0.0 if data[eid][0]["I.1"] else 100.0})
    data[eid][0]["I.1"] = 0.0 if data[eid][0]["I.1"] else 100.0
    mark_stale(c.id, entries=[eid])
    db.session.commit()


def test_a_bulk_write_leaves_the_next_write_incremental(app, factory, monkeypatch):
    c, doc, data = random_campaign(factory, random.Random(5), n_units=10, judges=2, overrides=False)
    recompute.recompute_provisional(c.id)
    monkeypatch.setattr(writes, "BULK_ROWS", 0)  # any change takes the bulk branch
    _change(c, doc, data, 2)
    assert recompute.recompute_provisional(c.id)["status"] == "written"
    monkeypatch.setattr(writes, "BULK_ROWS", 500)
    _change(c, doc, data, 3)
    before = provisional_results()
    with SQLCounter(db.engine) as sql:
        assert recompute.recompute_provisional(c.id)["status"] == "written"
    after = provisional_results()
    assert after != before
    assert sql.ran("UPDATE unit_result") and not sql.ran("DELETE FROM unit_result", "INSERT INTO unit_result")
    db.session.execute(sa.delete(UnitResult))  # the same rows as a recompute from scratch
    db.session.execute(sa.delete(ScoreRun))
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    assert provisional_results() == after


def test_rows_stored_without_signature_are_rewritten_once_then_updated_alone(app, factory):
    """Rows written before signatures were kept (row_hash NULL) are all rewritten by the next
    recompute; from then on a change updates only the rows it moves — in any process, since the
    signatures are read from the database, not remembered by the process that wrote them."""
    c, doc, data = random_campaign(factory, random.Random(8), n_units=12, judges=2, overrides=False)
    recompute.recompute_provisional(c.id)
    db.session.execute(sa.update(UnitResult).values(row_hash=None))
    db.session.commit()
    _change(c, doc, data, 1)
    recompute.recompute_provisional(c.id)
    assert None not in set(db.session.scalars(sa.select(UnitResult.row_hash)))
    _change(c, doc, data, 4)
    with SQLCounter(db.engine) as sql:
        assert recompute.recompute_provisional(c.id)["status"] == "written"
    assert 0 < sql.rows("UPDATE unit_result") < 12 and not sql.ran("DELETE FROM unit_result")


def test_a_settings_change_that_moves_every_row_rewrites_them_all_right(app, factory):
    """Normalised judging switched on moves every total: every row is rewritten (on PostgreSQL in
    place, by one UPDATE from a temporary table: no row deleted, so no foreign-key checks), and the
    rows are those of a recompute from scratch."""
    c, _doc, data = random_campaign(factory, random.Random(11), n_units=14, judges=3, overrides=False,
                                    settings={"aggregation": "mean"})
    late = factory.user("judge")
    for k, eid in enumerate(sorted(data)):  # every entry judged, so every total moves
        judge(db.session.get(Entry, eid), late, {"II.2": float(8 + k), "II.3": float(k % 10)}, "submitted")
    db.session.commit()
    recompute.recompute_provisional(c.id)
    before = provisional_results()
    ids = set(db.session.scalars(sa.select(UnitResult.id)))
    c.settings = {**c.settings, "normalise": True}
    mark_stale(c.id)
    db.session.commit()
    with SQLCounter(db.engine) as sql:
        assert recompute.recompute_provisional(c.id)["status"] == "written"
    after = provisional_results()
    assert len(after) == len(before) == 14
    assert all(a != b for a, b in zip(after, before, strict=True))  # every row moved
    if db.engine.dialect.name == "postgresql":
        assert sql.ran("UPDATE unit_result u SET") and not sql.ran("DELETE FROM unit_result")
        assert set(db.session.scalars(sa.select(UnitResult.id))) == ids
    db.session.execute(sa.delete(UnitResult))  # the same rows as a recompute from scratch
    db.session.execute(sa.delete(ScoreRun))
    db.session.commit()
    recompute.recompute_provisional(c.id, force=True)
    assert provisional_results() == after
