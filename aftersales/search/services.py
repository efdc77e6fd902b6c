"""Keeping the search index current: build a ticket's document, and catch up on missed changes.

The ticket services ask for ``tasks.reindex_ticket`` after each change commits,
so a document is current a moment after the change. A task can still be lost
(a worker killed mid-task, a queue flushed), so ``reindex_changed_tickets``
runs every minute and rebuilds any document that is behind its ticket.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from aftersales.customers.models import normalise_phone
from aftersales.search.models import SearchDocument
from aftersales.search.segmentation import segment
from aftersales.tickets.models import HandlingReport, Ticket, TicketEvent

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A document keeps at most this much of a ticket's text: a long e-mail thread must not make one
# document (and PostgreSQL's tsvector, limited to 1 MB) unbounded.
MAX_TEXT_CHARS = 50_000
# The catch-up re-reads this many timeline events before the newest one the index has seen: it
# covers transactions that committed out of id order and tasks lost since the last catch-up a
# minute ago (a busy service desk writes tens of events a minute), at the cost of one short
# primary-key range scan.
EVENT_ID_MARGIN = 1_000
# Likewise for tickets that have no document yet (a ticket is created with an event, so this
# is a second net).
TICKET_ID_MARGIN = 100


def _chunks(ids: list[int], size: int = BATCH_SIZE) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _phones(ticket: Ticket) -> list[str]:
    """The numbers a caller may give: the reporter's as typed on the ticket and the contacts'."""
    numbers = [normalise_phone(ticket.reporter_phone)]
    for contact in (ticket.reporter, ticket.onsite_contact):
        if contact is not None:
            numbers += [contact.phone_normalised, contact.mobile_normalised]
    return [number for number in dict.fromkeys(numbers) if number]


def _documents(ticket_ids: list[int], now: datetime) -> list[SearchDocument]:
    """Build (without saving) the documents of the given tickets that still exist."""
    tickets = (
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_related("customer", "unit", "reporter", "onsite_contact")
        .only(
            "number",
            "title",
            "description",
            "business_impact",
            "reporter_name",
            "reporter_phone",
            "updated_at",
            "customer__name",
            "customer__code",
            "unit__serial",
            "reporter__phone_normalised",
            "reporter__mobile_normalised",
            "onsite_contact__phone_normalised",
            "onsite_contact__mobile_normalised",
        )
    )
    bodies: dict[int, list[str]] = defaultdict(list)
    last_event: dict[int, int] = {}
    for ticket_id, event_id, body in (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "pk")
        .values_list("ticket_id", "pk", "body")
    ):
        last_event[ticket_id] = event_id
        if body:
            bodies[ticket_id].append(body)
    for ticket_id, *texts in HandlingReport.objects.filter(ticket_id__in=ticket_ids).values_list(
        "ticket_id", "diagnosis", "actions_taken", "root_cause"
    ):
        bodies[ticket_id].extend(text for text in texts if text)

    documents = []
    for ticket in tickets:
        text = "\n".join(
            part for part in (ticket.description, ticket.business_impact, *bodies[ticket.pk]) if part
        )[:MAX_TEXT_CHARS]
        segmented = segment(
            ticket.number,
            ticket.title,
            text,
            ticket.customer.name,
            ticket.customer.code,
            ticket.unit.serial if ticket.unit_id else "",
            ticket.reporter_name,
            *_phones(ticket),
        )
        documents.append(
            SearchDocument(
                ticket_id=ticket.pk,
                text=text,
                segmented=segmented,
                ticket_updated_at=ticket.updated_at,
                last_event_id=last_event.get(ticket.pk, 0),
                indexed_at=now,
            )
        )
    return documents


def index_tickets(*, ticket_ids: Iterable[int], now: datetime | None = None) -> list[SearchDocument]:
    """(Re)build the documents of these tickets from their current state, in one transaction.

    Tickets that no longer exist are skipped. Safe to run twice or concurrently:
    the write is an upsert on the ticket, and a document built from an older
    state is found stale by the next catch-up.
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        return []
    documents = _documents(ids, now)
    with transaction.atomic():
        SearchDocument.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["ticket"],
            update_fields=["text", "segmented", "ticket_updated_at", "last_event_id", "indexed_at"],
        )
        if connection.vendor == "postgresql":
            SearchDocument.objects.filter(ticket_id__in=[d.ticket_id for d in documents]).update(
                vector=SearchVector("segmented", config="simple")
            )
    return documents


def index_ticket(*, ticket_id: int, now: datetime | None = None) -> SearchDocument | None:
    """(Re)build one ticket's document: its words become findable; None if the ticket is gone."""
    documents = index_tickets(ticket_ids=[ticket_id], now=now)
    return documents[0] if documents else None


def _stale(ticket_ids: list[int]) -> list[int]:
    """Those of the tickets whose document is missing or was built from an earlier state."""
    updated = dict(Ticket.objects.filter(pk__in=ticket_ids).order_by().values_list("pk", "updated_at"))
    latest_event = dict(
        TicketEvent.objects.filter(ticket_id__in=ticket_ids)
        .order_by()
        .values("ticket_id")
        .annotate(latest=Max("pk"))
        .values_list("ticket_id", "latest")
    )
    built_from = {
        ticket_id: (ticket_updated_at, last_event_id)
        for ticket_id, ticket_updated_at, last_event_id in SearchDocument.objects.filter(
            ticket_id__in=ticket_ids
        ).values_list("ticket_id", "ticket_updated_at", "last_event_id")
    }
    return [
        pk
        for pk, updated_at in updated.items()
        if built_from.get(pk) != (updated_at, latest_event.get(pk, 0))
    ]


def reindex_changed_tickets(*, since: datetime, now: datetime | None = None) -> int:
    """Rebuild every document that is behind its ticket; return how many were rebuilt.

    A document is behind when the ticket was saved again, or got a timeline
    event, after the state it was built from. The candidates are found through
    indexes only, so the cost follows recent activity, not the number of
    tickets: the newest events (every change to a ticket writes one), the
    newest tickets, and the documents built since ``since`` (one may have been
    built from a state that a concurrent change replaced a moment later).
    """
    now = now or timezone.now()
    # Two aggregates, not one query with both: each alone is a single index lookup.
    newest_event = SearchDocument.objects.aggregate(newest=Max("last_event_id"))["newest"] or 0
    newest_ticket = SearchDocument.objects.aggregate(newest=Max("ticket_id"))["newest"] or 0
    candidates = set(
        TicketEvent.objects.filter(pk__gt=newest_event - EVENT_ID_MARGIN)
        .order_by()
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    candidates.update(
        Ticket.objects.filter(pk__gt=newest_ticket - TICKET_ID_MARGIN).order_by().values_list("pk", flat=True)
    )
    candidates.update(
        SearchDocument.objects.filter(indexed_at__gte=since).values_list("ticket_id", flat=True)
    )
    rebuilt = 0
    for batch in _chunks(sorted(candidates)):
        stale = _stale(batch)
        if stale:
            rebuilt += len(index_tickets(ticket_ids=stale, now=now))
    if rebuilt:
        logger.info("search: %s stale documents rebuilt", rebuilt)
    return rebuilt


def rebuild_search_index(
    *, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> int:
    """Rebuild every ticket's document, in batches by ticket id; return how many were built.

    For a new installation, a restored backup, or after the segmentation
    changed. Each batch is its own transaction, so search keeps working.
    """
    built = 0
    last_pk = 0
    while True:
        batch = list(
            Ticket.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return built
        built += len(index_tickets(ticket_ids=batch))
        last_pk = batch[-1]
        if progress is not None:
            progress(built)
