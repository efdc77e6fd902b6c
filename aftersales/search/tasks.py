"""Background upkeep of the search index: one ticket after a change, and a catch-up every minute."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from aftersales.search.services import index_ticket, reindex_changed_tickets

# Documents built this recently are checked again against their tickets: one built while a
# change was committing reflects the state before it. Longer than the task period, so a
# catch-up that was skipped (the lock was held) is covered by the next one.
CATCH_UP_WINDOW = timedelta(minutes=5)


@db_task()
def reindex_ticket(ticket_id: int) -> None:
    """Ticket services enqueue this after a change commits; rebuilding twice is harmless."""
    index_ticket(ticket_id=ticket_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("search-catch-up")
def catch_up_search_index() -> None:
    """Rebuild what a lost ``reindex_ticket`` left behind; the lock only saves a second worker the work."""
    reindex_changed_tickets(since=timezone.now() - CATCH_UP_WINDOW)
