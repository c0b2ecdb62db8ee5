"""Writing a recompute's rows: claim the inputs version, replace (or patch) the provisional run.

Freshness protocol (``Campaign.inputs_version`` / ``computed_version``): in ONE write
transaction, ``UPDATE campaign SET computed_version = v … WHERE computed_version < v`` — if no
row matches, a newer (or equal) result is already in place and this run discards itself —
then replace the provisional run's rows (and the ledger, when read from raw tables and nothing
changed since ``v``). ``stale_since`` is cleared only if ``inputs_version`` still equals ``v``.
"""
from __future__ import annotations

import marshal
from operator import itemgetter

import numpy as np
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, UnitResult
from campaign.models.base import utcnow
from campaign.services.results import ledger
from campaign.services.results.fastsql import insert_values
from campaign.services.results.inputs import Inputs
from campaign.services.results.stored import compact_rows


def provisional_run(campaign_id: int) -> ScoreRun | None:
    return db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == campaign_id,
                                                       ScoreRun.kind == "provisional")
                             .order_by(ScoreRun.id.desc()).limit(1))


# (database url, campaign id) -> (run id, digest, unit ids, row hashes) of the rows this process
# last wrote; lets the next recompute update only the rows that changed. Validated against the
# run's digest in the database, so rows written by another process are never trusted. One 64-bit
# hash per row, not the rows (at 100,000 units the old and new rows together were ~1 GB).
_LAST_ROWS: dict[tuple, tuple[int, str, np.ndarray, np.ndarray]] = {}


def row_hashes(rows: list[dict]) -> np.ndarray:
    """One 64-bit hash per row of its whole content (``marshal`` is a faithful, type-exact encoding:
    rows that differ in any value hash differently but for a 2⁻⁶⁴ chance; equal rows built by the
    same code encode alike — an object shared differently could only cause a needless rewrite)."""
    return np.fromiter((hash(marshal.dumps(r, 4)) for r in rows), dtype=np.int64, count=len(rows))


BULK_ROWS = 500  # more changed rows than this: delete and bulk-insert them rather than UPDATE each
_JSON_COLUMNS = frozenset(c.name for c in UnitResult.__table__.columns if isinstance(c.type, sa.JSON))


def _insert(run_id: int, rows: list[dict]) -> None:
    """Insert result rows in bulk (COPY on PostgreSQL): ~10× an ORM/Core insert of as many dicts."""
    if rows:
        cols = list(rows[0])
        get = itemgetter(*cols)  # every row has the same keys, in the same order (compute_campaign's)
        insert_values(UnitResult.__table__, ["run_id", *cols], [(run_id, *get(r)) for r in rows], _JSON_COLUMNS)


def write_provisional(inp: Inputs, rows: list[dict] | None, *, force: bool, first: bool = False) -> str:
    """One transaction: claim the version, replace the provisional rows. Returns the outcome.

    ``force`` (a forced recompute) may rewrite the version in place. ``first`` says the run
    read no provisional run: it may claim an equal version too (a new campaign's versions are
    equal before any change), but only if no other worker wrote the first run meanwhile —
    checked after the claim, which holds the campaign row's lock, so of two workers that both
    saw no run exactly one writes it.
    """
    cid, v = inp.campaign_id, inp.inputs_version
    cond = Campaign.computed_version <= v if force or first else Campaign.computed_version < v
    claimed = db.session.execute(
        sa.update(Campaign).where(Campaign.id == cid, cond)
        .values(computed_version=v,
                stale_since=sa.case((Campaign.inputs_version <= v, None), else_=Campaign.stale_since))
        .execution_options(synchronize_session=False))
    if claimed.rowcount == 0:
        db.session.rollback()
        return "discarded"
    if first and not force:
        done = db.session.scalar(sa.select(ScoreRun.inputs_version).where(
            ScoreRun.campaign_id == cid, ScoreRun.kind == "provisional", ScoreRun.status == "done")
            .order_by(ScoreRun.id.desc()).limit(1))
        if done is not None and done >= v:
            db.session.rollback()
            return "discarded"
    if inp.from_raw and ledger.usable(inp.settings):
        # Rebuild the ledger from what was read, unless a change landed since (its entries'
        # rows would be overwritten with older figures): then the flag stays and a later
        # full recompute rebuilds it.
        current = db.session.scalar(sa.select(Campaign.inputs_version).where(Campaign.id == cid))
        if current == v:
            ledger.sync(cid, inp.info, inp.entry_ids, inp.sub if inp.ledger_sub is None else inp.ledger_sub)
    now = utcnow()
    run = provisional_run(cid)
    if run is None:
        run = ScoreRun(campaign_id=cid, kind="provisional", started_at=now)
        db.session.add(run)
        db.session.flush()
    status = "unchanged"
    if rows is None:  # unchanged inputs: the rows in place are the result
        if run.inputs_digest != inp.digest:
            db.session.rollback()
            return "discarded"  # someone replaced the rows meanwhile; a later run will settle
        run.inputs_version = v
        run.finished_at = now
        db.session.commit()
        return status
    # Hashes of the full rows (they determine the stored ones); only the rows written are compacted
    # to what the rows store (results.stored): after one change, a few rows instead of all.
    units = np.fromiter((r["unit_id"] for r in rows), dtype=np.int64, count=len(rows))
    hashes = row_hashes(rows)
    cache_key = (str(db.engine.url), cid)
    if run.inputs_digest != inp.digest or run.status != "done":
        cached = _LAST_ROWS.get(cache_key)
        if (cached is not None and cached[0] == run.id and cached[1] == run.inputs_digest
                and run.status == "done" and np.array_equal(cached[2], units)):
            # This process wrote the rows now in place (same run, same digest): update only the
            # rows that differ (a change usually moves one unit and a few ranks).
            moved = np.flatnonzero(hashes != cached[3]).tolist()
            if len(moved) * 10 > len(rows) * 9:  # nearly every row moved (settings, z-scores): bulk rewrite
                db.session.execute(sa.delete(UnitResult).where(UnitResult.run_id == run.id))
                _insert(run.id, compact_rows(rows, inp.settings))
            elif len(moved) > BULK_ROWS:  # a total moving far shifts thousands of ranks at 100,000 units
                changed_units = units[moved].tolist()
                for k in range(0, len(changed_units), 1000):
                    db.session.execute(sa.delete(UnitResult).where(
                        UnitResult.run_id == run.id, UnitResult.unit_id.in_(changed_units[k:k + 1000])))
                _insert(run.id, compact_rows([rows[k] for k in moved], inp.settings))
            elif moved:
                changed = compact_rows([rows[k] for k in moved], inp.settings)
                t = UnitResult.__table__
                cols = [k for k in rows[0] if k != "unit_id"]
                db.session.execute(
                    t.update().where(t.c.run_id == sa.bindparam("b_run"), t.c.unit_id == sa.bindparam("b_unit"))
                    .values({k: sa.bindparam(k) for k in cols}),
                    [{"b_run": run.id, "b_unit": r["unit_id"], **{k: r[k] for k in cols}} for r in changed])
            status = "written"
        else:
            db.session.execute(sa.delete(UnitResult).where(UnitResult.run_id == run.id))
            _insert(run.id, compact_rows(rows, inp.settings))
            status = "written"
    run.status = "done"
    run.inputs_version = v
    run.inputs_digest = inp.digest
    run.framework_version_id = inp.info.version_id
    run.settings = inp.settings
    stats = getattr(inp.sources, "stats", None)  # normalised judging: what explanations rebuild from
    run.normalisation = None if stats is None else stats.as_json()
    run.progress = 1.0
    run.started_at = run.started_at or now
    run.finished_at = now
    run_id = run.id
    db.session.commit()
    _LAST_ROWS[cache_key] = (run_id, inp.digest, units, hashes)
    return status
