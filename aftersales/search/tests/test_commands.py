"""``aftersales search reindex``: the catch-up by hand, and the full rebuild."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from aftersales.search.models import SearchDocument
from aftersales.search.services import index_ticket
from aftersales.tickets.tests.factories import TicketFactory


def test_reindex_catches_up_and_reindex_all_rebuilds_everything(db):
    indexed, missing = TicketFactory(), TicketFactory()
    index_ticket(ticket_id=indexed.pk)

    out = StringIO()
    call_command("search", "reindex", stdout=out)
    assert "1" in out.getvalue()
    assert set(SearchDocument.objects.values_list("ticket_id", flat=True)) == {indexed.pk, missing.pk}

    out = StringIO()
    call_command("search", "reindex", "--all", stdout=out)
    assert "2" in out.getvalue()
