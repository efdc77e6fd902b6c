"""Reads of tickets: who may see which, the timeline, the current handling report, settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from aftersales.accounts.backends import PERMISSION_APP
from aftersales.accounts.roles import Capability
from aftersales.customers.queries import customer_scope_for_user
from aftersales.tickets.models import HandlingReport, Status, Ticket, TicketEvent, TicketSettings

if TYPE_CHECKING:
    from aftersales.accounts.models import User


def ticket_settings() -> TicketSettings:
    """The configured numbers, or the defaults when the row was never saved (a fresh test database)."""
    return TicketSettings.objects.filter(pk=TicketSettings.SINGLETON_ID).first() or TicketSettings()


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Every ticket ``user`` may see: the one access rule for tickets.

    Staff who see everything (specialists, R&D, managers, leadership) see all;
    centre staff the tickets routed to their centre or assigned to them; an
    account manager the tickets of the customers they manage; a customer user
    the tickets of their organisation, and of its branches when it is a head
    office (``customers.queries.customer_scope_for_user`` decides the customers).
    """
    tickets = Ticket.objects.all()
    if not user.is_authenticated or not user.is_active:
        return tickets.none()
    if user.is_customer_user:
        return tickets.filter(customer__in=customer_scope_for_user(user))
    if user.has_perm(f"{PERMISSION_APP}.{Capability.VIEW_ALL_TICKETS}"):
        return tickets
    scope = Q(assignee=user)
    if user.centre_id is not None and user.has_perm(f"{PERMISSION_APP}.{Capability.VIEW_CENTRE_TICKETS}"):
        scope |= Q(centre_id=user.centre_id)
    if user.has_perm(f"{PERMISSION_APP}.{Capability.VIEW_OWN_CUSTOMERS}"):
        scope |= Q(customer__in=customer_scope_for_user(user))
    return tickets.filter(scope)


def get_visible_ticket(user: User, number: str) -> Ticket:
    """The ticket by number if ``user`` may see it (``Ticket.DoesNotExist`` otherwise: a 404, not a 403)."""
    return (
        tickets_visible_to(user)
        .select_related(
            "customer",
            "site",
            "unit__product_model",
            "part",
            "reporter",
            "onsite_contact",
            "centre",
            "assignee",
        )
        .get(number=number)
    )


def ticket_timeline(ticket: Ticket, *, public_only: bool = False) -> QuerySet[TicketEvent]:
    """The ticket's events, oldest first; customers see only the public ones."""
    events = ticket.events.select_related("actor")
    return events.filter(is_public=True) if public_only else events


def last_reopened_at(ticket: Ticket):
    """When the ticket last went back to work after a resolution (not fixed, or reopened)."""
    return (
        ticket.events.filter(
            kind=TicketEvent.Kind.STATUS,
            to_status=Status.IN_PROGRESS,
            from_status__in=(Status.RESOLVED, Status.CLOSED),
        )
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


def current_handling_report(ticket: Ticket) -> HandlingReport | None:
    """The latest handling report written since the ticket last went back to work.

    A report from before a "not fixed" follow-up or a reopening describes a
    fix that did not hold; the next resolution needs a new one.
    """
    reports = ticket.handling_reports.select_related("author").order_by("-created_at", "-id")
    since = last_reopened_at(ticket)
    if since is not None:
        reports = reports.filter(created_at__gte=since)
    return reports.first()


_NOT_EDITS = (TicketEvent.Kind.CLOCK_WARNING, TicketEvent.Kind.CLOCK_BREACHED, TicketEvent.Kind.ESCALATED)


def last_change(ticket: Ticket) -> TicketEvent | None:
    """Who changed the ticket last, for a conflict message (the sweep's notices are not edits)."""
    return ticket.events.exclude(kind__in=_NOT_EDITS).select_related("actor").order_by("-id").first()
