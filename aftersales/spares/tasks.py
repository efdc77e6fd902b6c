"""Periodic spares work, run by the Huey consumer."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.spares.services import chase_overdue_loans, propose_loans


@db_periodic_task(crontab(minute="*/15"))
def propose_spare_loans() -> int:
    """Propose loans for severe in-warranty faults not restored in time (idempotent)."""
    return len(propose_loans())


@db_periodic_task(crontab(minute="0", hour="*"))
def chase_spare_loans() -> int:
    """Remind people of overdue loans; each loan is chased at most once a day."""
    return len(chase_overdue_loans())
