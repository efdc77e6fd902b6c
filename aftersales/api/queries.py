"""Reads for the API: every object through the caller's scope, lists at a fixed number of queries.

The access rules are not repeated here: tickets come from
``tickets.queries.tickets_visible_to`` and everything else from
``customers.queries.customer_scope_for_user``, the same rules as the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.roles import STAFF_ROLES
from aftersales.api.fields import parse_id
from aftersales.customers.models import Contact, Customer, normalise_phone
from aftersales.customers.queries import customer_scope_for_user, find_contacts_by_phone
from aftersales.tickets.models import OPEN_STATUSES, Ticket
from aftersales.tickets.queries import tickets_visible_to
from aftersales.units.entitlement import EntitlementVerdict, entitlement_for
from aftersales.units.models import Contract, Unit
from aftersales.units.queries import units_for_entitlement

TICKET_RELATED = (
    "customer",
    "site",
    "unit__product_model",
    "reporter",
    "onsite_contact",
    "centre",
    "assignee",
)
# A screen pop is read by a person while the phone rings: enough to recognise the caller, not a report.
CALL_CONTACT_LIMIT = 20
CALL_UNIT_LIMIT = 50
CALL_TICKET_LIMIT = 20


def api_tickets(user: User) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, with what their representation shows joined in."""
    return tickets_visible_to(user).select_related(*TICKET_RELATED)


def find_by_reference(queryset: QuerySet, reference: str, *, key: str):
    """The object whose ``key`` (a ticket's number, a unit's serial) is ``reference``, else whose id is.

    Raises the model's ``DoesNotExist`` when neither matches inside the queryset:
    another customer's object is as absent as one that never existed.
    """
    found = None
    if key != "pk" and 0 < len(reference) <= 64:
        found = queryset.filter(**{key: reference}).first()
    if found is None:
        pk = parse_id(reference)
        found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise queryset.model.DoesNotExist
    return found


def api_units(user: User) -> QuerySet[Unit]:
    """Units of the customers ``user`` may see, loaded for ``entitlement_for`` without per-unit queries."""
    return units_for_entitlement(Unit.objects.filter(customer__in=customer_scope_for_user(user)))


def unit_references(user: User) -> QuerySet[Unit]:
    """Units ``user`` may name in a report, with what intake always reads (model, site, customer).

    Lean on purpose: the replaced units and the contracts that ``api_units``
    loads for every row matter only to a replacement or a unit out of
    warranty, and then cost a query or two, not a wide join on every report.
    """
    return Unit.objects.filter(customer__in=customer_scope_for_user(user)).select_related(
        "product_model", "site", "customer"
    )


def api_customers(user: User) -> QuerySet[Customer]:
    return customer_scope_for_user(user).select_related("parent", "account_manager")


def api_contacts(user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(customer__in=customer_scope_for_user(user)).select_related("customer")


def api_contracts(user: User) -> QuerySet[Contract]:
    return Contract.objects.filter(customer__in=customer_scope_for_user(user))


def vendor_staff() -> QuerySet[User]:
    """People a ticket may be assigned to (the service checks the role and centre)."""
    return User.objects.filter(is_active=True, role__in=STAFF_ROLES)


def service_centres() -> QuerySet[ServiceCentre]:
    return ServiceCentre.objects.all()


@dataclass(frozen=True)
class UnitEntitlement:
    unit: Unit
    verdict: EntitlementVerdict


@dataclass
class CustomerOnCall:
    """One customer of the caller, with what the specialist needs before saying hello."""

    customer: Customer
    units: list[UnitEntitlement] = field(default_factory=list)
    open_tickets: list[Ticket] = field(default_factory=list)


@dataclass
class ScreenPop:
    caller: str
    number: str
    contacts: list[Contact]
    customers: list[CustomerOnCall]


def screen_pop(user: User, caller: str, *, on: date) -> ScreenPop:
    """Who is calling: the contacts with that number, their customers' units (with today's
    entitlement) and open tickets, all within what ``user`` may see.

    Five queries whatever the number of matches: contacts, units, their
    contracts, tickets — and none per row.
    """
    number = normalise_phone(caller)
    contacts = list(
        find_contacts_by_phone(caller).filter(customer__in=customer_scope_for_user(user))[:CALL_CONTACT_LIMIT]
    )
    on_call: dict[int, CustomerOnCall] = {}
    for contact in contacts:
        on_call.setdefault(contact.customer_id, CustomerOnCall(customer=contact.customer))
    if on_call:
        units = units_for_entitlement(
            Unit.objects.filter(customer_id__in=on_call, is_active=True).order_by("customer_id", "serial")
        )[:CALL_UNIT_LIMIT]
        for unit in units:
            on_call[unit.customer_id].units.append(UnitEntitlement(unit, entitlement_for(unit, on=on)))
        tickets = (
            tickets_visible_to(user)
            .filter(customer_id__in=on_call, status__in=OPEN_STATUSES)
            .select_related("unit")
            .order_by("-reported_at", "-id")[:CALL_TICKET_LIMIT]
        )
        for ticket in tickets:
            on_call[ticket.customer_id].open_tickets.append(ticket)
    return ScreenPop(caller=caller, number=number, contacts=contacts, customers=list(on_call.values()))
