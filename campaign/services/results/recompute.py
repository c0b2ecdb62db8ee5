"""Recomputing a campaign's provisional result: read the inputs, call the engine, write the rows.

The computation itself is :func:`scoring.campaign.compute_campaign` (pure, tested against the
per-entry engine); this module orchestrates it for the worker and the commands:

1. read ``v = inputs_version`` and all inputs in a read-only transaction (:mod:`.inputs`);
2. compute in memory (:mod:`scoring.campaign`);
3. write in one transaction, claiming version ``v`` (:mod:`.writes`).

The same inputs give the same ``inputs_digest``; when the digest is unchanged the rows are
kept as they are (identical result) and only the version bookkeeping moves. Publishing lives in
:mod:`.publishing`, what-if previews and explanations in :mod:`.whatif`, progress in
:mod:`.progress`; their names are re-exported here for existing callers.
"""
from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app

from campaign.extensions import db
from campaign.models import Campaign
from campaign.services.results import ledger
from campaign.services.results.freshness import enqueue_recompute
from campaign.services.results.inputs import Inputs, load_inputs
from campaign.services.results.progress import PROGRESS_KEY, clear_progress, progress, set_progress
from campaign.services.results.publishing import latest_runs, publish, request_publish
from campaign.services.results.whatif import explain, what_if
from campaign.services.results.writes import provisional_run, write_provisional
from campaign.services.setup.campaigns import get_campaign
from campaign.sqlite import read_only_transactions
from scoring.campaign import CampaignResult, compute_campaign

__all__ = ["RetryableError", "compute", "recompute_provisional", "recompute_all", "sweep_stale", "load_inputs",
           "Inputs", "PROGRESS_KEY", "progress", "publish", "request_publish", "latest_runs", "explain", "what_if",
           "provisional_run", "write_provisional"]
_write_provisional = write_provisional  # the name older tests use


class RetryableError(Exception):
    """A transient failure (database locked, connection lost): the task retries."""


def compute(inp: Inputs, on_progress: Callable[[float, str], None] | None = None) -> CampaignResult:
    """Every unit's result row from loaded inputs (the engine's :func:`compute_campaign`)."""
    return compute_campaign(inp.engine, on_progress)


def _test_delay() -> None:
    if current_app.config.get("TESTING"):
        delay = float(os.environ.get("THIDUA_TEST_RECOMPUTE_DELAY") or current_app.config.get(
            "TEST_RECOMPUTE_DELAY", 0) or 0)
        if delay > 0:
            time.sleep(delay)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC passes while ~100k short-lived tuples/dicts are built (they are acyclic;
    each full pass would rescan them all). Collected normally right after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def recompute_provisional(campaign_id: int, *, force: bool = False) -> dict:
    """Recompute the campaign's provisional result; see the module docstring for the protocol."""
    with _gc_paused():
        return _recompute_provisional(campaign_id, force=force)


def _recompute_provisional(campaign_id: int, *, force: bool = False) -> dict:
    t0 = time.perf_counter()
    set_progress(campaign_id, 0.05, "reading")
    try:
        with read_only_transactions():
            c = get_campaign(campaign_id)
            run = provisional_run(campaign_id)
            if not force and run is not None and not c.is_stale:
                db.session.rollback()
                clear_progress(campaign_id)
                return {"campaign_id": campaign_id, "status": "fresh", "version": c.computed_version}
            from_raw = force or c.ledger_stale or not ledger.usable(c.settings or {})
            first = run is None  # no provisional run yet: equal versions may be claimed, once
            inp = load_inputs(campaign_id, from_raw=from_raw, read_stored_ledger=from_raw)
            same = run is not None and run.status == "done" and run.inputs_digest == inp.digest
            db.session.rollback()  # end the read transaction before the long part
        t_read = time.perf_counter()
        set_progress(campaign_id, 0.5, "computing")
        _test_delay()
        t_delay = time.perf_counter()
        # Same inputs as the rows in place → same rows: only the version bookkeeping moves.
        # The rows are built only where they differ from the stored ones (see writes).
        result = None if same else compute(inp, on_progress=lambda f, p: set_progress(campaign_id, f, p))
        t_compute = time.perf_counter()
        set_progress(campaign_id, 0.9, "writing")
        status = write_provisional(inp, result, force=force, first=first)
        t_write = time.perf_counter()
    except sa.exc.OperationalError as exc:
        db.session.rollback()
        clear_progress(campaign_id)
        raise RetryableError(str(exc)) from exc
    except Exception:
        db.session.rollback()
        clear_progress(campaign_id)
        raise
    clear_progress(campaign_id)
    return {"campaign_id": campaign_id, "status": status, "version": inp.inputs_version,
            "units": result.size if result is not None else None, "digest": inp.digest,
            "inputs": "raw" if inp.from_raw else "ledger", "seconds": round(time.perf_counter() - t0, 4),
            "phases": {"read": round(t_read - t0, 4), "compute": round(t_compute - t_delay, 4),
                       "write": round(t_write - t_compute, 4)}}


def sweep_stale() -> list[int]:
    """Re-enqueue every stale campaign (covers lost messages and crashed workers)."""
    with read_only_transactions():
        ids = list(db.session.scalars(
            sa.select(Campaign.id).where(Campaign.computed_version < Campaign.inputs_version,
                                         Campaign.status != "draft").order_by(Campaign.id)))
        db.session.rollback()
    return [cid for cid in ids if enqueue_recompute(cid, coalesce=False)]


def recompute_all(*, force: bool = True) -> list[dict]:
    """Recompute every non-draft campaign in this process (``flask recompute-all``)."""
    ids = list(db.session.scalars(sa.select(Campaign.id).where(Campaign.status != "draft",
                                                               Campaign.framework_version_id.is_not(None))
                                  .order_by(Campaign.id)))
    db.session.rollback()
    return [recompute_provisional(cid, force=force) for cid in ids]
