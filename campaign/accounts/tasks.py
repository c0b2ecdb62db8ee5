"""Celery tasks of the accounts feature: thin wrappers over the notification and mail services."""
from __future__ import annotations

from celery import shared_task

from campaign.services.accounts import mail, notifications

SEND_RETRIES = 6  # about 2 + 4 + 8 + 16 + 32 + 64 s of SMTP trouble before a message counts as failed


@shared_task(name="thidua.notify_events", acks_late=True, time_limit=120, soft_time_limit=110)
def notify_events() -> int:
    """Audit rows → notifications, then queue every e-mail still waiting (idempotent)."""
    notifications.process_events()
    return _queue_pending()


@shared_task(name="thidua.deadline_reminders", acks_late=True, time_limit=120, soft_time_limit=110)
def deadline_reminders() -> int:
    notifications.send_deadline_reminders()
    return _queue_pending()


@shared_task(name="thidua.send_email", bind=True, acks_late=True, max_retries=SEND_RETRIES, time_limit=60,
             soft_time_limit=50)
def send_email(self, notification_id: int) -> str:
    try:
        return mail.send_notification(notification_id, final=self.request.retries >= SEND_RETRIES)
    except mail.MailNotSent as exc:
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc


def _queue_pending() -> int:
    if not mail.enabled():
        return 0
    ids = mail.pending_ids()
    for notification_id in ids:
        send_email.delay(notification_id)
    return len(ids)
