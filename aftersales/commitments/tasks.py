"""Periodic escalation sweep: every minute, on whichever worker picks it up."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from aftersales.commitments.services import sweep


@db_periodic_task(crontab(minute="*"))
@lock_task("commitments-sweep")
def sweep_clocks() -> None:
    """The sweep is idempotent; the lock only saves a second worker the work."""
    sweep()
