"""Backup under write load is one point in time; restore brings it back exactly (R11).

Runs on SQLite (online backup API) and, in CI's PostgreSQL pass, on PostgreSQL (pg_dump /
pg_restore). Inputs tried: a backup taken while another thread commits 300 two-row
transactions, a corrupted backup file, a missing manifest, a restore without --yes.
"""
from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import AuditLog, Campaign, Entry
from campaign.services.backup import BackupError, backup, restore, row_counts
from campaign.services.results import recompute
from campaign.services.results.freshness import mark_stale
from campaign.services.results.inputs import load_inputs
from scoring.framework import parse_framework
from tests.results_helpers import random_campaign, random_value, save_values

WRITES = 300


def _writer(app, cid: int, started: threading.Event, done: threading.Event) -> None:
    """Each transaction bumps a counter AND adds an audit row: a consistent copy has as many of each."""
    with app.app_context():
        for k in range(WRITES):
            db.session.execute(sa.update(Campaign).where(Campaign.id == cid)
                               .values(inputs_version=Campaign.inputs_version + 1))
            db.session.add(AuditLog(action="test.write", object_type="campaign", object_id=str(k), campaign_id=cid))
            db.session.commit()
            if k == 20:
                started.set()
        db.session.remove()
    done.set()


def _invariant(cid: int, base_version: int) -> tuple[int, int]:
    version = db.session.scalar(sa.select(Campaign.inputs_version).where(Campaign.id == cid))
    writes = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "test.write"))
    return version - base_version, writes


def test_backup_during_writes_is_consistent_and_restores_exactly(app, factory, tmp_path):
    scored, _doc, _data = random_campaign(factory, random.Random(4), n_units=8)
    scored_id = scored.id
    recompute.recompute_provisional(scored_id)
    counter = factory.campaign()
    db.session.commit()
    cid, base = counter.id, counter.inputs_version
    db.session.commit()  # end this thread's (write-locking) transaction before the writer starts
    uploads = Path(app.config["UPLOAD_FOLDER"])
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "ab").mkdir(exist_ok=True)
    (uploads / "ab" / "evidence.pdf").write_bytes(b"%PDF-1.4 test evidence")

    started, done = threading.Event(), threading.Event()
    t = threading.Thread(target=_writer, args=(app, cid, started, done))
    t.start()
    assert started.wait(30)
    path = backup(tmp_path / "backups")
    t.join(60)
    assert done.is_set()
    db.session.rollback()
    assert _invariant(cid, base) == (WRITES, WRITES)  # all writes landed in the live database

    (uploads / "ab" / "evidence.pdf").unlink()
    restore(path)  # also checks row counts against the manifest when it has them
    copied, writes = _invariant(cid, base)
    assert copied == writes  # one point in time: no half of a transaction
    assert 20 < copied <= WRITES
    if copied < WRITES:  # the writes after the backup are gone
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "test.write")) == copied
    assert (uploads / "ab" / "evidence.pdf").read_bytes() == b"%PDF-1.4 test evidence"
    # The restored results are those of the restored inputs (same digest → nothing to rewrite).
    res = recompute.recompute_provisional(scored_id, force=True)
    assert res["status"] == "unchanged", res


def test_a_process_holding_a_ledger_copy_from_before_a_restore_reads_the_restored_ledger(app, factory, tmp_path):
    """Restored versions repeat numbers a worker's copy has already seen: without a new ledger token
    the copy would keep a change the restore undid and miss the next one."""
    rng = random.Random(5)
    c, doc, data = random_campaign(factory, rng, n_units=6)
    cid = c.id
    recompute.recompute_provisional(cid)
    path = backup(tmp_path / "backups")
    first, second = list(data)[:2]
    save_values(db.session.get(Entry, first), doc, {n.code: random_value(n, rng) for n in parse_framework(doc).indicators()})
    mark_stale(cid, entries=[first])
    db.session.commit()
    recompute.recompute_provisional(cid)  # this process's copy now holds that change
    restore(path)  # (the worker kept running, against the advice)
    save_values(db.session.get(Entry, second), doc, {n.code: random_value(n, rng) for n in parse_framework(doc).indicators()})
    mark_stale(cid, entries=[second])  # the same version number as the undone change
    db.session.commit()
    through_copy, raw = load_inputs(cid, from_raw=False), load_inputs(cid, from_raw=True)
    db.session.rollback()
    assert through_copy.digest == raw.digest


def test_a_corrupted_backup_is_refused_and_changes_nothing(app, factory, tmp_path):
    if db.engine.url.get_backend_name() != "sqlite":
        pytest.skip("pg_restore checks its own archive; the corruption case is SQLite's page check")
    factory.campaign()
    db.session.commit()
    path = backup(tmp_path / "backups")
    factory.campaign()
    db.session.commit()
    before = row_counts(db.engine)
    data = bytearray((path / "thidua.sqlite").read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # scribble over every page after the schema
        data[offset + 10: offset + 200] = b"\xff" * 190
    (path / "thidua.sqlite").write_bytes(bytes(data))
    with pytest.raises(BackupError):
        restore(path)
    assert row_counts(db.engine) == before


def test_restore_refuses_a_directory_that_is_not_a_backup(app, tmp_path):
    with pytest.raises(BackupError, match="not a backup"):
        restore(tmp_path)


def test_restore_command_needs_yes(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path)])
    assert result.exit_code != 0 and "--yes" in result.output
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    made = list((tmp_path / "b").iterdir())
    assert len(made) == 1 and (made[0] / "manifest.json").is_file()
