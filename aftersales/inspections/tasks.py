"""Periodic inspection work, run by the Huey consumer: generate visits, remind, tell of overdue ones."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.inspections.services import generate_inspection_visits, send_inspection_reminders


@db_periodic_task(crontab(minute="10", hour="*/6"))
def generate_visits() -> int:
    """Create the visits of every plan up to its horizon (idempotent: a second run creates nothing)."""
    return len(generate_inspection_visits())


@db_periodic_task(crontab(minute="40"))
def remind_of_visits() -> int:
    """Reminders and overdue notices, each queued once (dedupe keys), whatever the number of runs."""
    return send_inspection_reminders()
