"""Celery tasks: thin wrappers over services; ids in, JSON-able values out.

Names are explicit (and the ones :mod:`campaign.services.results.queue` sends by), so moving
code never orphans messages already queued, and services never import this module.

Reliability (see ../shared/docs/performance-reliability.md §3, §6.4 and config.Config.CELERY):
* ``acks_late`` + ``reject_on_worker_lost``: a task whose pool child dies is requeued at once;
  one whose whole worker is SIGKILLed stays in Redis' ``unacked`` hash until the visibility
  timeout, then kombu's restore sweep redelivers it.
* Independently of redelivery, ``Campaign.inputs_version > computed_version`` is the source of
  truth: ``thidua.sweep_stale`` (beat, every SWEEP_SECONDS) re-enqueues every stale campaign,
  so results converge within one sweep period + one recompute after the worker is back.
* A recompute is idempotent and version-guarded, so duplicates (redelivery + sweep) are
  harmless: the loser discards itself.
"""
from __future__ import annotations

from celery import shared_task

from campaign.services.errors import DomainError
from campaign.services.results import publishing, queue, recompute
from campaign.services.submissions import values_import_jobs

RECOMPUTE_TIME_LIMIT = 120  # s; a 10,000-unit × 80-indicator recompute takes ~2 s here
PUBLISH_TIME_LIMIT = 120
IMPORT_TIME_LIMIT = 600  # s; a 26,402-row sheet takes about a minute under load


@shared_task(name=queue.RECOMPUTE_CAMPAIGN, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=5, default_retry_delay=2, time_limit=RECOMPUTE_TIME_LIMIT,
             soft_time_limit=RECOMPUTE_TIME_LIMIT - 10)
def recompute_campaign(self, campaign_id: int) -> dict:
    try:
        return recompute.recompute_provisional(campaign_id)
    except recompute.RetryableError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(name=queue.SWEEP_STALE, time_limit=60, soft_time_limit=50)
def sweep_stale() -> list[int]:
    return recompute.sweep_stale()


@shared_task(name=queue.PUBLISH_SNAPSHOT, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=3, default_retry_delay=2, time_limit=PUBLISH_TIME_LIMIT,
             soft_time_limit=PUBLISH_TIME_LIMIT - 10)
def publish_snapshot(self, campaign_id: int, user_id: int | None = None, kind: str = "snapshot",
                     label: str = "") -> int | None:
    try:
        return publishing.publish(campaign_id, user_id=user_id, kind=kind, label=label)
    except DomainError:
        return None  # refused (e.g. stale meanwhile, or already published): nothing to retry
    except recompute.RetryableError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(name=queue.IMPORT_VALUES, time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 10)
def import_values(campaign_id: int, user_id: int) -> dict:
    """Not acks_late: a rerun after a lost worker would find its slot already finished or failed."""
    return values_import_jobs.run(campaign_id, user_id)
