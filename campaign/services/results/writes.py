"""Writing a recompute's rows: claim the inputs version, replace (or patch) the provisional run.

Freshness protocol (``Campaign.inputs_version`` / ``computed_version``): in ONE write
transaction, ``UPDATE campaign SET computed_version = v … WHERE computed_version < v`` — if no
row matches, a newer (or equal) result is already in place and this run discards itself —
then replace the provisional run's rows (and the ledger, when read from raw tables and nothing
changed since ``v``). ``stale_since`` is cleared only if ``inputs_version`` still equals ``v``.
"""
from __future__ import annotations

from operator import itemgetter

import numpy as np
import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, ScoreRun, UnitResult
from campaign.models.base import utcnow
from campaign.services.results import ledger, ledger_cache
from campaign.services.results.fastsql import fetch_matrix, insert_values
from campaign.services.results.inputs import Inputs
from campaign.services.results.stored import compact_rows
from scoring.campaign import CampaignResult


def provisional_run(campaign_id: int) -> ScoreRun | None:
    return db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == campaign_id,
                                                       ScoreRun.kind == "provisional")
                             .order_by(ScoreRun.id.desc()).limit(1))


_UNKNOWN = np.iinfo(np.int64).min  # a stored row without a signature; a signature equal to it is rewritten


def stored_signatures(run_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The run's rows as stored: unit ids (ascending) and their rows' signatures (NULL, i.e. a row
    written before signatures were kept, as ``_UNKNOWN``)."""
    got = fetch_matrix(sa.select(UnitResult.unit_id, sa.func.coalesce(UnitResult.row_hash, _UNKNOWN))
                       .where(UnitResult.run_id == run_id), 2, out_type=np.int64)  # binary on PostgreSQL
    got = got[np.argsort(got[:, 0], kind="stable")]
    return np.ascontiguousarray(got[:, 0]), np.ascontiguousarray(got[:, 1])


BULK_ROWS = 500  # more changed rows than this: delete and bulk-insert them rather than UPDATE each
_JSON_COLUMNS = frozenset(c.name for c in UnitResult.__table__.columns if isinstance(c.type, sa.JSON))


def _insert(run_id: int, rows: list[dict], *, into: str | None = None) -> None:
    """Insert result rows in bulk (COPY on PostgreSQL): ~10× an ORM/Core insert of as many dicts."""
    if rows:
        cols = list(rows[0])
        get = itemgetter(*cols)  # every row has the same keys, in the same order (compute_campaign's)
        insert_values(UnitResult.__table__, ["run_id", *cols], [(run_id, *get(r)) for r in rows], _JSON_COLUMNS,
                      into=into)


def _update_all(run_id: int, rows: list[dict]) -> None:
    """Rewrite every row of the run in place (PostgreSQL; same units): the new rows go to a temporary
    table by COPY, then one ``UPDATE … FROM``. Deleting and inserting them again would run the
    four foreign-key checks of every row (~40 µs a row); an update that keeps the keys skips them."""
    cols = [c for c in rows[0] if c != "unit_id"]
    db.session.execute(sa.text(
        "CREATE TEMP TABLE unit_result_new ON COMMIT DROP AS "
        f"SELECT run_id, unit_id, {', '.join(cols)} FROM unit_result WITH NO DATA"))
    _insert(run_id, rows, into="unit_result_new")
    db.session.execute(sa.text(
        f"UPDATE unit_result u SET {', '.join(f'{c} = n.{c}' for c in cols)} FROM unit_result_new n "
        "WHERE u.run_id = :run AND n.unit_id = u.unit_id"), {"run": run_id})
    db.session.execute(sa.text("DROP TABLE unit_result_new"))


def write_provisional(inp: Inputs, result: CampaignResult | None, *, force: bool, first: bool = False) -> str:
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
    synced = None
    if inp.from_raw and ledger.usable(inp.settings):
        # Rebuild the ledger from what was read, unless a change landed since (its entries'
        # rows would be overwritten with older figures): then the flag stays and a later
        # full recompute rebuilds it. After the commit, what was written becomes this process's
        # copy of the ledger (the next recompute after a change reads only that change's rows).
        current = db.session.scalar(sa.select(Campaign.inputs_version).where(Campaign.id == cid))
        if current == v:
            rows = inp.sub if inp.ledger_sub is None else inp.ledger_sub
            ledger.sync(cid, inp.info, inp.entry_ids, rows, inp.stored_ledger)
            synced = (rows, db.session.scalar(sa.select(Campaign.ledger_token).where(Campaign.id == cid)))
    now = utcnow()
    run = provisional_run(cid)
    if run is None:
        run = ScoreRun(campaign_id=cid, kind="provisional", started_at=now)
        db.session.add(run)
        db.session.flush()
    status = "unchanged"
    if result is None:  # unchanged inputs: the rows in place are the result
        if run.inputs_digest != inp.digest:
            db.session.rollback()
            return "discarded"  # someone replaced the rows meanwhile; a later run will settle
        run.inputs_version = v
        run.finished_at = now
        db.session.commit()
        _remember(inp, synced)
        return status
    if run.inputs_digest != inp.digest or run.status != "done":
        _write_rows(run.id, inp, result)
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
    db.session.commit()
    _remember(inp, synced)
    return status


def _remember(inp: Inputs, synced: tuple | None) -> None:
    if synced is not None:
        ledger_cache.remember(inp.campaign_id, inp.info, inp.entry_ids, synced[0], version=inp.inputs_version,
                              token=synced[1], marks=getattr(inp.sources, "marks", None))


def _stored_rows(inp: Inputs, result: CampaignResult, indices: list[int]) -> list[dict]:
    """The rows at these positions as stored: compact explanations and the row's signature."""
    rows = compact_rows(result.rows_at(indices), inp.settings)
    for r, k in zip(rows, indices, strict=True):
        r["row_hash"] = int(result.signatures[k])
    return rows


def _write_rows(run_id: int, inp: Inputs, result: CampaignResult) -> None:
    """Write the rows whose signature differs from the stored row's (after one change: the unit and
    the ranks it moved), building only those; every row when the participants changed. The stored
    signatures are read in this transaction, after the claim, so any worker compares with what is
    really in place (no per-process memory of the last write)."""
    sigs = result.signatures
    units = np.asarray(inp.engine.unit_ids, dtype=np.int64)
    old_units, old_sigs = stored_signatures(run_id)
    moved = (np.flatnonzero((old_sigs != sigs) | (sigs == _UNKNOWN)).tolist()
             if np.array_equal(old_units, units) else None)  # None: the participants changed, or a first write
    if moved is not None and not moved:
        return
    if moved is not None and len(moved) * 10 > result.size * 9 and db.session.get_bind().dialect.name == "postgresql":
        _update_all(run_id, _stored_rows(inp, result, list(range(result.size))))  # settings, z-scores
    elif moved is None or len(moved) * 10 > result.size * 9:  # new participants (or nearly every row, SQLite)
        db.session.execute(sa.delete(UnitResult).where(UnitResult.run_id == run_id))
        _insert(run_id, _stored_rows(inp, result, list(range(result.size))))
    elif len(moved) > BULK_ROWS:  # a total moving far shifts thousands of ranks at 100,000 units
        changed_units = units[moved].tolist()
        for k in range(0, len(changed_units), 1000):
            db.session.execute(sa.delete(UnitResult).where(
                UnitResult.run_id == run_id, UnitResult.unit_id.in_(changed_units[k:k + 1000])))
        _insert(run_id, _stored_rows(inp, result, moved))
    else:
        changed = _stored_rows(inp, result, moved)
        t = UnitResult.__table__
        cols = [k for k in changed[0] if k != "unit_id"]
        db.session.execute(
            t.update().where(t.c.run_id == sa.bindparam("b_run"), t.c.unit_id == sa.bindparam("b_unit"))
            .values({k: sa.bindparam(k) for k in cols}),
            [{"b_run": run_id, "b_unit": r["unit_id"], **{k: r[k] for k in cols}} for r in changed])
