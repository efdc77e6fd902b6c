"""The automatic year-end run: daily, it acts only in January from the first working day on."""

from __future__ import annotations

from datetime import date

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from aftersales.accounts.models import User
from aftersales.customers.models import Customer
from aftersales.reports.services import generate_year_end_report, run_year_end_reports


@db_periodic_task(crontab(hour="7", minute="30"))
@lock_task("reports-year-end")
def year_end_reports() -> int:
    """Idempotent (one automatic report per customer, period and language); the lock saves work."""
    return len(run_year_end_reports())


@db_task()
def generate_year_end_report_task(
    *, customer_id: int, start: str, end: str, language: str, include_branches: bool | None, by_id: int
) -> int:
    """A report asked for in the console (``services.request_year_end_report``); returns its id."""
    report = generate_year_end_report(
        customer=Customer.objects.get(pk=customer_id),
        start=date.fromisoformat(start),
        end=date.fromisoformat(end),
        language=language,
        include_branches=include_branches,
        by=User.objects.get(pk=by_id),
    )
    return report.pk
