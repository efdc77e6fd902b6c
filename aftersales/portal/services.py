"""Changes the portal makes: a customer's report taken in with its files, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from aftersales.accounts.models import User
from aftersales.customers.models import Contact, Customer
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Ticket, TicketEvent
from aftersales.units.models import Unit


def submit_report(
    *,
    by: User,
    reporter: Contact,
    kind: str,
    customer: Customer,
    title: str,
    description: str,
    severity: str = "",
    unit: Unit | None = None,
    business_impact: str = "",
    onsite_contact: Contact | None = None,
    attachments: Iterable[File] = (),
    now: datetime | None = None,
) -> Ticket:
    """A report from the portal: the ticket, its number and acknowledgement, and the files sent with it.

    The response promise starts at the submission (``reported_at`` = now). The
    files hang on the ticket's "created" event, so the timeline shows them
    where the report is; either the report and its files are stored, or neither.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ticket = ticket_services.open_ticket(
            by=by,
            kind=kind,
            channel=Channel.WEB,
            customer=customer,
            title=title,
            description=description,
            reported_at=now,
            severity=severity,
            unit=unit,
            reporter=reporter,
            onsite_contact=onsite_contact,
            business_impact=business_impact,
            now=now,
        )
        files = list(attachments)
        if files:
            created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
            ticket_services.attach_files(ticket=ticket, files=files, at=now, by=by, event=created)
    return ticket
