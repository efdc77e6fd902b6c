"""Periodic ticket work, run by the Huey consumer."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.tickets.services import auto_close_silent_tickets


@db_periodic_task(crontab(minute="*/30"))
def close_silent_tickets() -> int:
    """Close resolved tickets the customer left silent (idempotent: a second run closes nothing)."""
    return len(auto_close_silent_tickets())
