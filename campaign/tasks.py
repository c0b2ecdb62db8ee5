"""Celery tasks: thin wrappers over services; ids in, JSON-able values out.

Names are explicit so moving code never orphans messages already queued.
"""
from __future__ import annotations

from celery import shared_task


@shared_task(name="thidua.recompute_campaign", bind=True, acks_late=True,
             reject_on_worker_lost=True, max_retries=5, default_retry_delay=2)
def recompute_campaign(self, campaign_id: int) -> dict:
    from .services import recompute

    try:
        return recompute.recompute_provisional(campaign_id)
    except recompute.RetryableError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(name="thidua.sweep_stale")
def sweep_stale() -> list[int]:
    from .services import recompute

    return recompute.sweep_stale()


@shared_task(name="thidua.publish_snapshot", acks_late=True, reject_on_worker_lost=True)
def publish_snapshot(campaign_id: int, user_id: int | None = None, kind: str = "snapshot",
                     label: str = "") -> int:
    from .services import recompute

    return recompute.publish(campaign_id, user_id=user_id, kind=kind, label=label)
