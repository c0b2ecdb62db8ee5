"""A process's in-memory copy of a ledger (results.ledger_cache) equals the ledger rebuilt from raw rows
after every kind of change, reads only the changed entries, and is dropped when it cannot be trusted."""
from __future__ import annotations

import random

import numpy as np
import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Assignment, Campaign, Entry, IndicatorValue, JudgeScore, LedgerChange
from campaign.services.results import ledger, ledger_cache, recompute
from campaign.services.results.freshness import mark_stale
from campaign.services.results.inputs import load_inputs
from scoring.framework import parse_framework
from tests.results_helpers import judge, random_campaign, random_value, save_values

SETTINGS = {"trim_min_judges": 3, "show_intervals": True, "disagreement_threshold": 4}
FIGURES = ("points", "low", "high", "judged", "spread")


def _equal_to_raw(cid: int) -> None:
    """The inputs read through the copy equal the inputs read from values and judges' scores."""
    through_copy = load_inputs(cid, from_raw=False)
    raw = load_inputs(cid, from_raw=True)
    db.session.rollback()
    for name in FIGURES:
        np.testing.assert_array_equal(getattr(through_copy.sub, name), getattr(raw.sub, name), err_msg=name)
    assert through_copy.digest == raw.digest


@pytest.fixture
def ledger_reads(monkeypatch):
    """Each read of ledger rows: the entries asked for, or "whole" (the copy's or the plain reader's)."""
    seen: list = []
    rows, whole = ledger_cache._rows, ledger.read

    def spy_rows(campaign_id, figures, entry_ids):
        seen.append("whole" if entry_ids is None else sorted(entry_ids.tolist()))
        return rows(campaign_id, figures, entry_ids)

    def spy_whole(*args, **kwargs):
        seen.append("whole")
        return whole(*args, **kwargs)

    monkeypatch.setattr(ledger_cache, "_rows", spy_rows)
    monkeypatch.setattr(ledger, "read", spy_whole)
    return seen


def _change(cid: int, eid: int, *, doc: dict, rng: random.Random, judges: list, kind: int) -> None:
    entry = db.session.get(Entry, eid)
    fw = parse_framework(doc)
    if kind == 0:
        save_values(entry, doc, {n.code: random_value(n, rng) for n in rng.sample(fw.indicators(), 4)})
    elif kind == 1:
        judge(entry, rng.choice(judges), {"II.2": float(rng.choice([0, 9, 14, 20])), "II.3": float(rng.randint(0, 12))})
    else:  # every value and judge's score removed: the entry's ledger rows all go
        db.session.execute(sa.delete(IndicatorValue).where(IndicatorValue.entry_id == eid))
        aids = sa.select(Assignment.id).where(Assignment.entry_id == eid)
        db.session.execute(sa.delete(JudgeScore).where(JudgeScore.assignment_id.in_(aids)))
        db.session.execute(sa.delete(Assignment).where(Assignment.entry_id == eid))
    mark_stale(cid, entries=[eid])
    db.session.commit()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_copy_follows_every_change_reading_only_the_changed_entries(app, factory, seed, ledger_reads):
    rng = random.Random(seed * 7919)
    c, doc, data = random_campaign(factory, rng, n_units=14, settings=SETTINGS)
    cid = c.id
    recompute.recompute_provisional(cid)  # builds the ledger (a new token)
    judges = [factory.user("judge") for _ in range(2)]
    db.session.commit()
    _equal_to_raw(cid)  # the first read fills the copy from the whole ledger
    emptied = None
    for step in range(9):
        eid = rng.choice(list(data))
        kind = step % 3
        _change(cid, eid, doc=doc, rng=rng, judges=judges, kind=kind)
        if kind == 2:
            emptied = eid
        ledger_reads.clear()
        res = recompute.recompute_provisional(cid)
        assert res["inputs"] == "ledger", res
        assert ledger_reads == [[eid]]  # that entry's rows, never the whole ledger
        _equal_to_raw(cid)
    # an entry with no ledger rows when the copy was filled gets some later: the copy grows
    assert emptied is not None
    ledger_cache.clear()
    _equal_to_raw(cid)
    save_values(db.session.get(Entry, emptied), doc, {n.code: random_value(n, rng) for n in parse_framework(doc).indicators()})
    mark_stale(cid, entries=[emptied])
    db.session.commit()
    _equal_to_raw(cid)


def test_two_processes_each_see_every_change_whatever_the_other_read(app, factory):
    """Two workers (two copies) take turns: each reads the changes it has not seen, none twice-missed."""
    rng = random.Random(5)
    c, doc, data = random_campaign(factory, rng, n_units=10, settings=SETTINGS)
    cid = c.id
    recompute.recompute_provisional(cid)
    judges = [factory.user("judge")]
    db.session.commit()
    memories: list[dict] = [{}, {}]
    for step in range(8):
        _change(cid, rng.choice(list(data)), doc=doc, rng=rng, judges=judges, kind=step % 2)
        worker = memories[rng.randrange(2)]
        ledger_cache._copies.clear()
        ledger_cache._copies.update(worker)  # this process's memory is that worker's
        _equal_to_raw(cid)
        worker.clear()
        worker.update(ledger_cache._copies)


def test_a_campaign_wide_rebuild_makes_every_other_copy_read_the_ledger_again(app, factory, ledger_reads):
    c, doc, data = random_campaign(factory, random.Random(3), n_units=8, settings=SETTINGS)
    cid = c.id
    recompute.recompute_provisional(cid)
    _equal_to_raw(cid)
    other_process = dict(ledger_cache._copies)
    token = db.session.get(Campaign, cid).ledger_token
    c = db.session.get(Campaign, cid)
    c.settings = {**c.settings, "aggregation": "median"}
    mark_stale(cid)  # a settings change the ledger depends on: rebuilt from raw rows
    db.session.commit()
    assert recompute.recompute_provisional(cid)["inputs"] == "raw"
    assert db.session.get(Campaign, cid).ledger_token != token
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerChange)) == 0  # marks no longer needed
    ledger_reads.clear()
    _equal_to_raw(cid)  # the rebuilding process keeps what it wrote as its copy
    assert ledger_reads == []
    ledger_cache._copies.clear()
    ledger_cache._copies.update(other_process)  # a process whose copy is of the old build
    _equal_to_raw(cid)
    assert ledger_reads == ["whole"]


def test_a_rebuild_landing_during_the_read_is_not_kept_half_read(app, factory, monkeypatch):
    c, doc, data = random_campaign(factory, random.Random(4), n_units=6, settings=SETTINGS)
    cid = c.id
    recompute.recompute_provisional(cid)
    real = ledger_cache._brought_up_to_date

    def rebuilt_meanwhile(*args, **kwargs):
        copy = real(*args, **kwargs)
        db.session.execute(sa.update(Campaign).where(Campaign.id == cid).values(ledger_token=Campaign.ledger_token + 1))
        return copy

    monkeypatch.setattr(ledger_cache, "_brought_up_to_date", rebuilt_meanwhile)
    inp = load_inputs(cid, from_raw=False)
    db.session.rollback()
    assert cid not in ledger_cache._copies
    raw = load_inputs(cid, from_raw=True)
    np.testing.assert_array_equal(inp.sub.points, raw.sub.points)


def test_a_transaction_that_has_not_committed_its_change_does_not_fill_a_copy(app, factory):
    """Its version may roll back and be handed out again to another change, which must be read."""
    rng = random.Random(6)
    c, doc, data = random_campaign(factory, rng, n_units=6, settings=SETTINGS)
    cid = c.id
    recompute.recompute_provisional(cid)
    _equal_to_raw(cid)
    eid = next(iter(data))
    judges = [factory.user("judge")]
    db.session.commit()
    mark_stale(cid, entries=[eid])
    load_inputs(cid, from_raw=False)  # e.g. a preview inside the changing request
    db.session.rollback()
    _change(cid, eid, doc=doc, rng=rng, judges=judges, kind=0)  # gets the same version
    _equal_to_raw(cid)


def test_copies_stay_within_the_memory_budget_and_can_be_turned_off(app, factory, monkeypatch, ledger_reads):
    first, _, _ = random_campaign(factory, random.Random(7), n_units=5, settings=SETTINGS)
    second, _, _ = random_campaign(factory, random.Random(8), n_units=5, settings=SETTINGS)
    for c in (first, second):
        recompute.recompute_provisional(c.id)
    ledger_cache.clear()
    monkeypatch.setitem(app.config, "LEDGER_COPY_MB", 1)
    monkeypatch.setattr(ledger_cache._Copy, "nbytes", property(lambda self: 2 ** 20))  # each copy: the whole budget
    _equal_to_raw(first.id)
    _equal_to_raw(second.id)
    assert list(ledger_cache._copies) == [second.id]  # the least recently used went
    monkeypatch.setattr(ledger_cache._Copy, "nbytes", property(lambda self: 2 ** 20 + 1))
    _equal_to_raw(first.id)
    assert list(ledger_cache._copies) == [second.id]  # larger than the whole budget: not kept
    monkeypatch.setitem(app.config, "LEDGER_COPY_MB", 0)
    ledger_reads.clear()
    _equal_to_raw(second.id)
    _equal_to_raw(second.id)
    assert ledger_reads == ["whole", "whole"]  # no copy: the plain reader each time


def test_ledger_read_and_copy_agree_on_rows_of_another_framework_version(app, factory):
    """Rows that do not map onto the current layout are ignored by both readers alike."""
    c, doc, data = random_campaign(factory, random.Random(9), n_units=5, settings=SETTINGS)
    cid = c.id
    recompute.recompute_provisional(cid)
    eid = next(iter(data))
    db.session.execute(ledger.EntryNodeScore.__table__.insert().values(
        campaign_id=cid, entry_id=eid, node_id=10 ** 6, points=5.0, points_low=5.0, points_high=5.0, judged=0, spread=0.0))
    db.session.commit()
    ledger_cache.clear()
    _equal_to_raw(cid)
