"""Progress of a running recompute, kept in Redis for the admin page (cosmetic: never fails a recompute)."""
from __future__ import annotations

import contextlib
import json
import time

from campaign.redis_client import get_redis
from campaign.services.results.writes import provisional_run
from campaign.services.setup.campaigns import get_campaign

PROGRESS_KEY = "thidua:recompute-progress:{}"


def set_progress(campaign_id: int, fraction: float, phase: str) -> None:
    with contextlib.suppress(Exception):  # progress is cosmetic; never fail a recompute for it
        get_redis().set(PROGRESS_KEY.format(campaign_id),
                        json.dumps({"progress": round(fraction, 3), "phase": phase, "at": time.time()}),
                        ex=600)


def clear_progress(campaign_id: int) -> None:
    with contextlib.suppress(Exception):
        get_redis().delete(PROGRESS_KEY.format(campaign_id))


def progress(campaign_id: int) -> dict:
    """Freshness and progress of the campaign's provisional result (for the admin page)."""
    c = get_campaign(campaign_id)
    run = provisional_run(campaign_id)
    running = None
    try:
        raw = get_redis().get(PROGRESS_KEY.format(campaign_id))
        running = json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001
        running = None
    return {
        "campaign_id": campaign_id, "stale": c.is_stale,
        "inputs_version": c.inputs_version, "computed_version": c.computed_version,
        "stale_since": c.stale_since.isoformat() + "Z" if c.stale_since else None,
        "computed_at": run.finished_at.isoformat() + "Z" if run and run.finished_at else None,
        "running": running,
    }
