"""Services of visits: every change to a visit goes through one of these functions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.accounts.models import ServiceCentre, User
from aftersales.core.business_time import local_date
from aftersales.core.errors import InvalidInput
from aftersales.core.numbering import next_document_number
from aftersales.customers.models import Contact, Customer, Site
from aftersales.tickets.models import Ticket
from aftersales.units.models import Unit
from aftersales.visits.models import Visit, VisitEngineer, VisitEvent, VisitKind

NUMBER_PREFIX = "VS"


def record_visit_event(
    visit: Visit, kind: str, *, at: datetime, by: User | None, text: str = "", data: dict | None = None
) -> VisitEvent:
    """Append one line to the visit's timeline (never edited afterwards)."""
    return VisitEvent.objects.create(visit=visit, kind=kind, at=at, by=by, text=text, data=data or {})


def schedule_visit(
    *,
    customer: Customer,
    kind: str,
    planned_start: datetime,
    purpose: str,
    by: User | None,
    site: Site | None = None,
    ticket: Ticket | None = None,
    units: Iterable[Unit] = (),
    centre: ServiceCentre | None = None,
    engineers: Iterable[User] = (),
    onsite_contact: Contact | None = None,
    planned_end: datetime | None = None,
    due_on: date | None = None,
    why_remote_failed: str = "",
    at: datetime | None = None,
) -> Visit:
    """Create a planned visit with its number (``VS-2026-000001``) and crew.

    The lowest common step of dispatching from a ticket and of generating inspection visits
    from a plan; it checks only what every visit needs. ``due_on`` defaults to the planned day.
    """
    at = at or timezone.now()
    if kind not in VisitKind.values:
        raise InvalidInput(gettext("Unknown kind of visit: %(kind)s.") % {"kind": kind})
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput(gettext("Say what the visit is for."))
    if site is not None and site.customer_id != customer.pk:
        raise InvalidInput(gettext("The site belongs to another customer."))
    if ticket is not None and ticket.customer_id != customer.pk:
        raise InvalidInput(gettext("The ticket belongs to another customer."))
    if planned_end is not None and planned_end <= planned_start:
        raise InvalidInput(gettext("A visit must end after it starts."))
    units = list(units)
    if any(unit.customer_id != customer.pk for unit in units):
        raise InvalidInput(gettext("A unit belongs to another customer."))
    engineers = list(dict.fromkeys(engineers))
    with transaction.atomic():
        visit = Visit.objects.create(
            number=next_document_number(NUMBER_PREFIX, at=at),
            kind=kind,
            customer=customer,
            site=site,
            ticket=ticket,
            centre=centre,
            onsite_contact=onsite_contact,
            purpose=purpose,
            why_remote_failed=why_remote_failed.strip(),
            planned_start=planned_start,
            planned_end=planned_end,
            due_on=due_on or local_date(planned_start),
            dispatched_by=by,
        )
        if units:
            visit.units.set(units)
        VisitEngineer.objects.bulk_create(
            [
                VisitEngineer(visit=visit, engineer=engineer, is_rnd=engineer.role == "rnd")
                for engineer in engineers
            ]
        )
        record_visit_event(visit, "planned", at=at, by=by, text=purpose)
    return visit
