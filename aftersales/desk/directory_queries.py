"""Reads for the console's directory pages: a unit, a customer, the customer list, the roster.

Who may see a customer (and so its units) is decided by
``customers.queries.customer_scope_for_user``; which tickets they may see by
``tickets.queries.tickets_visible_to``. Each page costs a fixed number of
queries whatever the number of units, parts, contacts or tickets: related rows
are loaded in one query each and entitlement is computed in Python from
prefetched contracts (``units.queries.units_for_entitlement``). Rows are
formatted here so the templates stay lean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.backends import PERMISSION_APP
from aftersales.accounts.models import OnCallShift, ServiceCentre, User, city_key
from aftersales.accounts.queries import on_duty, on_duty_next
from aftersales.accounts.roles import Capability, Role
from aftersales.core.business_time import local_date, local_zone
from aftersales.customers.models import Contact, Customer, Site
from aftersales.customers.queries import customer_scope_for_user
from aftersales.tickets.models import OPEN_STATUSES, Entitlement, Severity, Status
from aftersales.tickets.queries import tickets_visible_to
from aftersales.units.entitlement import COVER_CONTRACT_KINDS, EntitlementVerdict, entitlement_for
from aftersales.units.models import Contract, Unit
from aftersales.units.queries import units_for_entitlement

DISPLAY_FORMAT = "%Y-%m-%d %H:%M"
CUSTOMERS_PER_PAGE = 50
UNIT_TICKET_LIMIT = 50
CUSTOMER_UNIT_LIMIT = 300
OPEN_TICKET_LIMIT = 50
RECENT_TICKET_LIMIT = 20
ROSTER_DAYS = 7
_CHAIN_LIMIT = 20  # replacement chains are a few units long; past this it is a data loop

_STATUS_LABELS = dict(Status.choices)
_SEVERITY_LABELS = dict(Severity.choices)
_VERDICT_LABELS = dict(Entitlement.choices)


def _moment(value: datetime | None) -> str:
    return "" if value is None else timezone.localtime(value, local_zone()).strftime(DISPLAY_FORMAT)


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


# --- access: one helper per type --------------------------------------------------------------


def get_visible_customer(user: User, code: str) -> Customer:
    """The customer by code if ``user`` may see it; ``Customer.DoesNotExist`` (a 404) otherwise."""
    return customer_scope_for_user(user).select_related("parent", "account_manager").get(code=code)


def get_visible_unit(user: User, serial: str) -> Unit:
    """The unit by serial if ``user`` may see its customer; ``Unit.DoesNotExist`` (a 404) otherwise.

    Loaded for entitlement (model, two levels of replaced units, contracts) and
    with the unit that replaced it, so the page needs no further query for them.
    """
    units = Unit.objects.filter(serial=serial, customer__in=customer_scope_for_user(user))
    return (
        units_for_entitlement(units)
        .select_related("customer__account_manager", "replaced_by__product_model")
        .get()
    )


# --- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketLine:
    number: str
    title: str
    status: str
    status_label: str
    severity_label: str
    reported: str
    serial: str


@dataclass(frozen=True)
class WarrantyLine:
    """One term of a unit's warranty (hardware or software) and whether it runs today."""

    label: str
    ends_on: str
    is_running: bool


@dataclass(frozen=True)
class PartLine:
    name: str
    part_number: str
    serial: str
    origin: str
    origin_label: str
    fitted_on: str
    removed_on: str
    is_covered: bool
    reason: str


@dataclass(frozen=True)
class ContractLine:
    number: str
    kind_label: str
    starts_on: str
    ends_on: str
    is_active: bool
    covers: str
    unit_count: int | None = None


@dataclass(frozen=True)
class UnitLine:
    serial: str
    model: str
    site: str
    software_version: str
    verdict: str
    verdict_label: str
    warranty_ends_on: str


@dataclass(frozen=True)
class SiteLine:
    name: str
    city: str
    address: str
    covering_centre: str

    @property
    def is_covered(self) -> bool:
        return bool(self.covering_centre)


def _ticket_lines(rows) -> list[TicketLine]:
    return [
        TicketLine(
            number=number,
            title=title,
            status=status,
            status_label=str(_STATUS_LABELS.get(status, status)),
            severity_label=str(_SEVERITY_LABELS.get(severity, "")),
            reported=_moment(reported_at),
            serial=serial or "",
        )
        for number, title, status, severity, reported_at, serial in rows
    ]


_TICKET_FIELDS = ("number", "title", "status", "severity", "reported_at", "unit__serial")


def _contract_line(contract: Contract, today: date, unit_count: int | None = None) -> ContractLine:
    aspects = []
    # Only warranty-like contracts cover repairs; an inspection plan or upgrade service covers none.
    if contract.kind in COVER_CONTRACT_KINDS:
        if contract.covers_hardware:
            aspects.append(_("hardware"))
        if contract.covers_software:
            aspects.append(_("software"))
    return ContractLine(
        number=contract.number,
        kind_label=contract.get_kind_display(),
        starts_on=_day(contract.starts_on),
        ends_on=_day(contract.ends_on),
        is_active=contract.is_active_on(today),
        covers=", ".join(str(aspect) for aspect in aspects),
        unit_count=unit_count,
    )


# --- the unit page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPage:
    unit: Unit
    verdict: EntitlementVerdict
    verdict_label: str
    warranty: list[WarrantyLine]
    parts: list[PartLine]
    contracts: list[ContractLine]
    features: list[tuple[str, bool]]
    replaces: list[Unit]
    replaced_by: list[Unit]
    tickets: list[TicketLine]
    has_more_tickets: bool


def _replaced_by(unit: Unit) -> Unit | None:
    try:
        return unit.replaced_by
    except Unit.DoesNotExist:
        return None


def replacement_chain(unit: Unit) -> tuple[list[Unit], list[Unit]]:
    """The units this one replaced (most recent first) and those that replaced it (next first).

    Two levels back and one forward come with ``get_visible_unit``; a longer
    chain costs a query per further unit.
    """
    before, current = [], unit
    while current.replaces_id is not None and len(before) < _CHAIN_LIMIT:
        current = current.replaces
        before.append(current)
    after, current = [], _replaced_by(unit)
    while current is not None and len(after) < _CHAIN_LIMIT:
        after.append(current)
        current = _replaced_by(current)
    return before, after


def unit_page(user: User, unit: Unit, *, now: datetime | None = None) -> UnitPage:
    """What the console shows of one unit: warranty, cover of each part, contracts, history.

    Entitlement is the one function every part of Aftersales asks
    (``entitlement_for``), for the unit and then for each part: a part the
    customer added is never covered, a part the vendor fitted keeps the unit's term.
    """
    today = local_date(now or timezone.now())
    contracts = list(unit.contracts.all())
    verdict = entitlement_for(unit, on=today, contracts=contracts)
    warranty = []
    if verdict.hardware_warranty_ends_on is not None:
        ends = verdict.hardware_warranty_ends_on
        warranty.append(WarrantyLine(_("Hardware"), _day(ends), today <= ends))
    if verdict.software_warranty_ends_on is not None:
        ends = verdict.software_warranty_ends_on
        warranty.append(WarrantyLine(_("Software"), _day(ends), today <= ends))
    parts = []
    for part in unit.parts.all().order_by("removed_on", "name", "pk"):
        part_verdict = entitlement_for(unit, part=part, on=today, contracts=contracts)
        parts.append(
            PartLine(
                name=part.name,
                part_number=part.part_number,
                serial=part.serial,
                origin=part.origin,
                origin_label=part.get_origin_display(),
                fitted_on=_day(part.fitted_on),
                removed_on=_day(part.removed_on),
                is_covered=part_verdict.is_free,
                reason=part_verdict.reason,
            )
        )
    licensed = set(unit.licensed_features or [])
    offered = list(unit.product_model.features or [])
    features = [(code, code in licensed) for code in offered]
    features += [(code, True) for code in sorted(licensed - set(offered))]
    before, after = replacement_chain(unit)
    tickets = list(
        tickets_visible_to(user)
        .filter(unit=unit)
        .order_by("-reported_at", "-pk")
        .values_list(*_TICKET_FIELDS)[: UNIT_TICKET_LIMIT + 1]
    )
    return UnitPage(
        unit=unit,
        verdict=verdict,
        verdict_label=str(_VERDICT_LABELS.get(verdict.verdict, verdict.verdict)),
        warranty=warranty,
        parts=parts,
        contracts=[_contract_line(contract, today) for contract in contracts],
        features=features,
        replaces=before,
        replaced_by=after,
        tickets=_ticket_lines(tickets[:UNIT_TICKET_LIMIT]),
        has_more_tickets=len(tickets) > UNIT_TICKET_LIMIT,
    )


# --- the customer page ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerPage:
    customer: Customer
    branches: list[Customer]
    sites: list[SiteLine]
    contacts: list[Contact]
    units: list[UnitLine]
    has_more_units: bool
    open_tickets: list[TicketLine]
    has_more_open_tickets: bool
    recent_tickets: list[TicketLine]
    contracts: list[ContractLine]


def covering_centre_names(sites: list[Site]) -> dict[int, str]:
    """For each site, the name of a centre covering its city ("" when none): one query for the centres.

    A site is covered when a service centre lists its city; on-site promises
    for covered sites are the tight ones. A centre in the site's own city
    is named first.
    """
    centres = list(ServiceCentre.objects.filter(is_rnd=False).order_by("code"))
    names = {}
    for site in sites:
        covering = [centre for centre in centres if centre.covers_city(site.city)]
        local = [centre for centre in covering if city_key(centre.city) == city_key(site.city)]
        chosen = (local or covering)[:1]
        names[site.pk] = chosen[0].name if chosen else ""
    return names


def customer_page(user: User, customer: Customer, *, now: datetime | None = None) -> CustomerPage:
    """Everything the console shows of one customer, in a fixed number of queries."""
    today = local_date(now or timezone.now())
    scope = customer_scope_for_user(user)
    branches = list(scope.filter(parent=customer).order_by("name"))
    sites = list(customer.sites.order_by("city", "name"))
    covering = covering_centre_names(sites)
    units = list(units_for_entitlement(customer.units.all()).order_by("serial")[: CUSTOMER_UNIT_LIMIT + 1])
    unit_lines = []
    for unit in units[:CUSTOMER_UNIT_LIMIT]:
        verdict = entitlement_for(unit, on=today)
        unit_lines.append(
            UnitLine(
                serial=unit.serial,
                model=unit.product_model.name,
                site=unit.site.name if unit.site else "",
                software_version=unit.software_version,
                verdict=verdict.verdict,
                verdict_label=str(_VERDICT_LABELS.get(verdict.verdict, verdict.verdict)),
                warranty_ends_on=_day(verdict.warranty_ends_on),
            )
        )
    tickets = tickets_visible_to(user).filter(customer=customer)
    open_rows = list(
        tickets.filter(status__in=OPEN_STATUSES)
        .order_by(F("next_due_at").asc(nulls_last=True), "-reported_at", "pk")
        .values_list(*_TICKET_FIELDS)[: OPEN_TICKET_LIMIT + 1]
    )
    recent_rows = (
        tickets.exclude(status__in=OPEN_STATUSES)
        .order_by("-reported_at", "-pk")
        .values_list(*_TICKET_FIELDS)[:RECENT_TICKET_LIMIT]
    )
    contracts = customer.contracts.annotate(unit_count=Count("units")).order_by("-ends_on", "number")
    return CustomerPage(
        customer=customer,
        branches=branches,
        sites=[SiteLine(site.name, site.city, site.address, covering[site.pk]) for site in sites],
        contacts=list(customer.contacts.order_by("name", "pk")),
        units=unit_lines,
        has_more_units=len(units) > CUSTOMER_UNIT_LIMIT,
        open_tickets=_ticket_lines(open_rows[:OPEN_TICKET_LIMIT]),
        has_more_open_tickets=len(open_rows) > OPEN_TICKET_LIMIT,
        recent_tickets=_ticket_lines(recent_rows),
        contracts=[_contract_line(contract, today, contract.unit_count) for contract in contracts],
    )


def customer_list(user: User, *, search: str = "", page: str | int | None = 1) -> Page:
    """The customers ``user`` may see, found by name, code or invoice title, a page at a time."""
    customers = customer_scope_for_user(user).select_related("parent", "account_manager")
    search = search.strip()
    if search:
        customers = customers.filter(
            Q(name__icontains=search) | Q(code__icontains=search) | Q(invoice_title__icontains=search)
        )
    customers = customers.annotate(unit_count=Count("units")).order_by("name", "pk")
    return Paginator(customers, CUSTOMERS_PER_PAGE).get_page(page)


# --- the roster -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftLine:
    pk: int
    day: str
    starts: str
    ends: str
    person: str
    phone: str
    note: str
    is_current: bool
    is_future: bool


@dataclass(frozen=True)
class RosterPage:
    centres: list[ServiceCentre]
    centre: ServiceCentre
    on_duty_now: list[User]
    on_duty_next: list[ShiftLine]
    week: list[ShiftLine]
    can_manage: bool


def _shift_line(shift: OnCallShift, now: datetime) -> ShiftLine:
    start = timezone.localtime(shift.starts_at, local_zone())
    return ShiftLine(
        pk=shift.pk,
        day=start.date().isoformat(),
        starts=start.strftime(DISPLAY_FORMAT),
        ends=_moment(shift.ends_at),
        person=str(shift.user),
        phone=shift.user.phone,
        note=shift.note,
        is_current=shift.starts_at <= now < shift.ends_at,
        is_future=shift.starts_at > now,
    )


def can_manage_roster(user: User, centre: ServiceCentre) -> bool:
    """Leads and managers edit the roster; a lead only that of their own centre."""
    if not user.has_perm(f"{PERMISSION_APP}.{Capability.MANAGE_ROSTER}"):
        return False
    return user.role != Role.LEAD or user.centre_id == centre.pk


def roster_centres() -> list[ServiceCentre]:
    return list(ServiceCentre.objects.order_by("is_rnd", "code"))


def default_roster_centre(user: User, centres: list[ServiceCentre]) -> ServiceCentre | None:
    """One's own centre first: that is the roster people look at."""
    own = next((centre for centre in centres if centre.pk == user.centre_id), None)
    return own or (centres[0] if centres else None)


def roster_page(
    user: User, centre: ServiceCentre, centres: list[ServiceCentre], *, now: datetime | None = None
) -> RosterPage:
    """Who is on duty at the centre now and next, and the shifts of the coming week."""
    now = now or timezone.now()
    week = (
        OnCallShift.objects.filter(
            centre=centre, ends_at__gt=now, starts_at__lt=now + timedelta(days=ROSTER_DAYS)
        )
        .select_related("user")
        .order_by("starts_at", "user__username")
    )
    return RosterPage(
        centres=centres,
        centre=centre,
        on_duty_now=on_duty(centre=centre, at=now),
        on_duty_next=[_shift_line(shift, now) for shift in on_duty_next(centre=centre, at=now)],
        week=[_shift_line(shift, now) for shift in week],
        can_manage=can_manage_roster(user, centre),
    )


def rosterable_staff() -> QuerySet[User]:
    """The people who can be put on duty: active vendor staff."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role=Role.CUSTOMER)
        .select_related("centre")
        .order_by("centre__code", "username")
    )


def get_roster_shift(pk: int) -> OnCallShift:
    return OnCallShift.objects.select_related("centre", "user").get(pk=pk)
