"""The automatic year-end run: daily, it acts only in January from the first working day on."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from aftersales.reports.services import run_year_end_reports


@db_periodic_task(crontab(hour="7", minute="30"))
@lock_task("reports-year-end")
def year_end_reports() -> int:
    """Idempotent (one automatic report per customer, period and language); the lock saves work."""
    return len(run_year_end_reports())
