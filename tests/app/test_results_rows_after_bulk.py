"""After a write that moved many rows (the bulk branch: delete and re-insert them), the next
recompute still knows every row it wrote and updates only the rows that change (issue 18: at
100,000 units one change shifts thousands of ranks; before this fix the write after such a
shift rewrote every row)."""
from __future__ import annotations

import random

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Entry
from campaign.services.results import recompute, writes
from campaign.services.results.freshness import mark_stale
from tests.results_helpers import provisional_results, random_campaign, save_values


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
    statements: list[str] = []

    def seen(_conn, _cur, statement, *_args):
        statements.append(statement.lstrip().upper()[:25])

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert recompute.recompute_provisional(c.id)["status"] == "written"
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    after = provisional_results()
    assert after != before
    assert any(s.startswith("UPDATE UNIT_RESULT") for s in statements)
    assert not any(s.startswith(("DELETE FROM UNIT_RESULT", "INSERT INTO UNIT_RESULT")) for s in statements)
    recompute._LAST_ROWS.clear()  # the same rows as a recompute from scratch
    recompute.recompute_provisional(c.id, force=True)
    assert provisional_results() == after
