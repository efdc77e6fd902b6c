"""Mail intake, every minute, on whichever Huey worker picks it up."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from aftersales.intake.services import fetch_all_mailboxes


@db_periodic_task(crontab(minute="*"))
@lock_task("intake-fetch-mail")
def fetch_mail() -> int:
    """Storage and processing are idempotent; the lock only saves a second worker the work."""
    return sum(report.stored for report in fetch_all_mailboxes())
