"""The one seam between services and the Celery worker: tasks are sent by their registered name.

Services never import ``campaign.tasks`` (which imports the services): tasks → services is the
only direction. The names are the tasks' explicit ``name=``, so queued messages survive moves.
"""
from __future__ import annotations

from flask import current_app

RECOMPUTE_CAMPAIGN = "thidua.recompute_campaign"
SWEEP_STALE = "thidua.sweep_stale"
PUBLISH_SNAPSHOT = "thidua.publish_snapshot"
IMPORT_VALUES = "thidua.import_values"  # the commission's large values import (submissions)


def send(name: str, args: list, countdown: float = 0) -> None:
    """Queue task ``name``; raises when the broker is unreachable (callers fall back or rely on the sweep)."""
    # ignore_result: nobody waits for the result, so no result-backend subscription (which would
    # retry for a long time when Redis is down); retry=False: fail fast, the sweep recovers.
    current_app.extensions["celery"].send_task(name, args=args, countdown=countdown or None, retry=False,
                                               ignore_result=True)
