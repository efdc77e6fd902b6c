"""The worker's side: the every-minute catch-up indexes what no task did."""

from __future__ import annotations

from aftersales.search.models import SearchDocument
from aftersales.search.tasks import catch_up_search_index
from aftersales.tickets.tests.factories import TicketFactory


def test_the_periodic_catch_up_indexes_a_ticket_whose_task_was_lost(db):
    ticket = TicketFactory(title="主板故障")

    catch_up_search_index()

    assert SearchDocument.objects.get(ticket=ticket).segmented.split()[:4] == [
        "sr",
        "2026",
        ticket.number[-6:],
        "主板",
    ]
