"""Reads of the customer portal: what a customer user may see, fetched through one helper per type.

A customer user sees only their own organisation, and a head-office user also
its branches (``customers.queries.customer_scope_for_user`` decides). Every
object a portal page names in its URL — a ticket by number, a unit by serial,
a contract or an attachment by id — is fetched through ``get_portal_*`` here,
which answers 404 for anything outside that scope: another organisation's
object looks exactly like one that does not exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.queries import route_ticket_centre
from aftersales.commitments.models import Clock, Milestone, Outcome
from aftersales.core.business_time import local_date, start_of_local_day
from aftersales.customers.models import Contact, Customer
from aftersales.customers.queries import customer_scope_for_user
from aftersales.tickets.models import OPEN_STATUSES, Attachment, Severity, Status, Ticket, TicketEvent
from aftersales.tickets.queries import get_visible_ticket, ticket_timeline, tickets_visible_to
from aftersales.tickets.services import SUBJECT_TYPE
from aftersales.units.entitlement import EntitlementVerdict, entitlement_for
from aftersales.units.models import Contract, Unit
from aftersales.units.queries import units_for_entitlement

# --- who is signed in ------------------------------------------------------------------------


def portal_contact(user: User) -> Contact | None:
    """The contact a customer user signs in as (None: a login not linked to any organisation)."""
    if not user.is_authenticated or not user.is_active or not user.is_customer_user:
        return None
    return Contact.objects.filter(user=user).select_related("customer__parent").first()


def visible_customers(user: User) -> QuerySet[Customer]:
    """The organisations whose records the user sees: their own, and its branches at a head office."""
    return customer_scope_for_user(user)


# --- tickets ---------------------------------------------------------------------------------


def portal_tickets(user: User, *, status: str = "") -> QuerySet[Ticket]:
    """The organisation's tickets for a list, newest first (``status``: open, resolved, closed or all)."""
    tickets = tickets_visible_to(user).select_related("unit__product_model", "customer")
    if status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif status == "resolved":
        tickets = tickets.filter(status=Status.RESOLVED)
    elif status == "closed":
        tickets = tickets.filter(status__in=(Status.CLOSED, Status.CANCELLED))
    return tickets.order_by("-reported_at", "-id")


def get_portal_ticket(user: User, number: str) -> Ticket:
    """The ticket by number if it belongs to the user's organisation (or a branch of it); else 404."""
    if not user.is_customer_user:
        raise Http404
    try:
        return get_visible_ticket(user, number)
    except Ticket.DoesNotExist:
        raise Http404 from None


def public_timeline(ticket: Ticket) -> list[TicketEvent]:
    """The events a customer may read, with their public, kept files.

    Only events marked public: internal notes, calls, handling reports and the
    clocks' escalations are never in it.
    """
    files = Attachment.objects.filter(is_public=True).order_by("created_at", "id")
    return list(ticket_timeline(ticket, public_only=True).prefetch_related(Prefetch("attachments", files)))


def get_portal_attachment(user: User, number: str, attachment_id: int) -> Attachment:
    """A file of a visible ticket that the customer may download; else 404.

    Files staff kept for themselves, files on internal events and refused
    (oversize) files, which have no content, are not downloadable.
    """
    ticket = get_portal_ticket(user, number)
    attachment = (
        Attachment.objects.filter(ticket=ticket, pk=attachment_id, is_public=True, refused=False)
        .filter(Q(event__isnull=True) | Q(event__is_public=True))
        .exclude(file="")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def ticket_promises(ticket: Ticket) -> list[Clock]:
    """The promises running or decided on this ticket.

    A clock without a due time only measures (there is no promise to keep), and
    a cancelled one that was never broken is no promise any more.
    """
    clocks = Clock.objects.filter(
        subject_type=SUBJECT_TYPE, subject_id=ticket.pk, due_at__isnull=False
    ).order_by("started_at", "id")
    return [clock for clock in clocks if clock.outcome != Outcome.CANCELLED]


# --- emergency contact -----------------------------------------------------------------------


def default_emergency_contact() -> str:
    return getattr(settings, "AFTERSALES_EMERGENCY_CONTACT", "")


def emergency_contact_for_ticket(ticket: Ticket) -> str:
    """For a severe fault: the routed centre's after-sales manager, or the configured default."""
    if ticket.severity != Severity.SEVERE:
        return ""
    centre_contact = ticket.centre.emergency_contact if ticket.centre is not None else ""
    return centre_contact or default_emergency_contact()


@dataclass(frozen=True)
class EmergencyLine:
    centre: ServiceCentre | None
    contact: str


def emergency_lines_for_units(units: Iterable[Unit]) -> list[EmergencyLine]:
    """The direct lines a severe fault on these units would reach, one per centre they route to.

    Routing is by the site's city and the product line, so units at one site
    share a centre; each distinct pair costs one query.
    """
    lines: dict[str, EmergencyLine] = {}
    routed: dict[tuple[str, int | None], ServiceCentre | None] = {}
    for unit in units:
        key = (unit.site.city if unit.site else "", unit.product_model.product_line_id)
        if key not in routed:
            routed[key] = route_ticket_centre(site=unit.site, product_line_id=key[1])[0]
        centre = routed[key]
        contact = (centre.emergency_contact if centre else "") or default_emergency_contact()
        if contact and contact not in lines:
            lines[contact] = EmergencyLine(
                centre=centre if centre and centre.emergency_contact else None, contact=contact
            )
    if not lines and default_emergency_contact():
        return [EmergencyLine(centre=None, contact=default_emergency_contact())]
    return list(lines.values())


# --- units and contracts ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnitStanding:
    """A unit with its warranty verdict today."""

    unit: Unit
    verdict: EntitlementVerdict


def portal_units(user: User) -> QuerySet[Unit]:
    """The organisation's units, loaded so that the warranty verdict costs no query per unit."""
    return units_for_entitlement(Unit.objects.filter(customer__in=visible_customers(user))).order_by(
        "-is_active", "serial"
    )


def units_with_warranty(units: Iterable[Unit], *, on: date | None = None) -> list[UnitStanding]:
    day = on or local_date(timezone.now())
    return [UnitStanding(unit=unit, verdict=entitlement_for(unit, on=day)) for unit in units]


def reportable_units(user: User) -> QuerySet[Unit]:
    """Units a fault can be reported on: the organisation's units in service."""
    return (
        Unit.objects.filter(customer__in=visible_customers(user), is_active=True)
        .select_related("product_model", "site", "customer")
        .order_by("serial")
    )


def get_portal_unit(user: User, serial: str) -> Unit:
    """The unit by serial if it belongs to the user's organisation (or a branch of it); else 404."""
    if not user.is_customer_user:
        raise Http404
    unit = portal_units(user).filter(serial=serial).first()
    if unit is None:
        raise Http404
    return unit


def find_reportable_unit(user: User, serial: str) -> Unit | None:
    """A unit typed by serial on the report form: spaces and case do not matter, others' units never match."""
    typed = "".join((serial or "").split())
    if not typed:
        return None
    return reportable_units(user).filter(serial__iexact=typed).first()


def unit_tickets(user: User, unit: Unit) -> QuerySet[Ticket]:
    return tickets_visible_to(user).filter(unit=unit).order_by("-reported_at", "-id")


def portal_contracts(user: User) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(customer__in=visible_customers(user))
        .select_related("customer")
        .order_by("-ends_on", "number")
    )


def get_portal_contract(user: User, contract_id: int) -> Contract:
    """The contract if it is the user's organisation's (or a branch's); else 404."""
    if not user.is_customer_user:
        raise Http404
    contract = portal_contracts(user).filter(pk=contract_id).first()
    if contract is None:
        raise Http404
    return contract


def contract_units(user: User, contract: Contract) -> QuerySet[Unit]:
    """The contract's units within the user's scope (a head-office contract may list branch units)."""
    return contract.units.filter(customer__in=visible_customers(user)).select_related("product_model", "site")


def unit_contracts(user: User, unit: Unit) -> QuerySet[Contract]:
    return portal_contracts(user).filter(units=unit)


def onsite_contacts(user: User) -> QuerySet[Contact]:
    """People of the organisation (and its branches) who can receive an engineer on site."""
    return (
        Contact.objects.filter(customer__in=visible_customers(user))
        .select_related("customer")
        .order_by("customer__name", "name")
    )


# --- promises kept ---------------------------------------------------------------------------


@dataclass
class PromiseTally:
    """How one promise (a milestone) was kept on the organisation's tickets in one year."""

    milestone: str
    label: str
    kept: int = 0
    late_with_notice: int = 0
    broken: int = 0
    running: int = 0

    @property
    def decided(self) -> int:
        return self.kept + self.late_with_notice + self.broken

    @property
    def kept_percent(self) -> int | None:
        return round(100 * self.kept / self.decided) if self.decided else None


@dataclass
class PromiseRecord:
    year: int
    tallies: list[PromiseTally] = field(default_factory=list)
    misses: list[Clock] = field(default_factory=list)

    @property
    def total(self) -> PromiseTally:
        total = PromiseTally(milestone="", label="")
        for tally in self.tallies:
            total.kept += tally.kept
            total.late_with_notice += tally.late_with_notice
            total.broken += tally.broken
            total.running += tally.running
        return total


def promise_record(user: User, *, year: int) -> PromiseRecord:
    """Per promise, how many were kept, late with notice given in time, or broken, on the
    organisation's tickets started in ``year`` (business time zone); the misses listed."""
    starts = start_of_local_day(date(year, 1, 1))
    ends = start_of_local_day(date(year + 1, 1, 1))
    clocks = (
        Clock.objects.filter(
            subject_type=SUBJECT_TYPE,
            customer__in=visible_customers(user),
            started_at__gte=starts,
            started_at__lt=ends,
            due_at__isnull=False,  # a clock without a target measures; it promises nothing
        )
        .only(
            "reference",
            "milestone",
            "status",
            "started_at",
            "due_at",
            "met_at",
            "breached_at",
            "late_notice_at",
            "promised_new_at",
        )
        .order_by("started_at", "id")
    )
    counts: Counter[tuple[str, str]] = Counter()
    misses = []
    for clock in clocks:
        outcome = clock.outcome
        counts[(clock.milestone, outcome)] += 1
        if outcome in (Outcome.BROKEN, Outcome.LATE_WITH_NOTICE):
            misses.append(clock)
    tallies = []
    for milestone in Milestone:
        tally = PromiseTally(
            milestone=milestone.value,
            label=str(milestone.label),
            kept=counts[(milestone, Outcome.KEPT)],
            late_with_notice=counts[(milestone, Outcome.LATE_WITH_NOTICE)],
            broken=counts[(milestone, Outcome.BROKEN)],
            running=counts[(milestone, Outcome.OPEN)],
        )
        if tally.decided or tally.running:
            tallies.append(tally)
    return PromiseRecord(year=year, tallies=tallies, misses=misses)


def current_year(now: datetime | None = None) -> int:
    return local_date(now or timezone.now()).year
