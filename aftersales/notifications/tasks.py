"""Delivering the outbox: right after a notice commits, and every minute to catch up and retry."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.notifications.services import deliver_due_messages


@db_task()
def deliver_now() -> None:
    """Enqueued when a transaction that queued a notice commits, so mail leaves within seconds."""
    deliver_due_messages()


@db_periodic_task(crontab(minute="*"))
def deliver_outbox() -> None:
    """Retries and anything a lost ``deliver_now`` left; several workers at once are harmless."""
    deliver_due_messages()
