"""Reads of repairs: who may see which (one access rule), the desk list, a ticket's repairs, timelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet

from aftersales.accounts.models import User
from aftersales.repairs.models import OPEN_STATUSES, Repair, RepairEvent, Status
from aftersales.tickets.models import Ticket
from aftersales.tickets.queries import tickets_visible_to

_RELATED = ("customer", "unit__product_model", "ticket", "replacement_unit")
# "Due soon" on the desk list: the unit must be on its way back within this much wall time.
DUE_SOON = timedelta(days=3)


def repairs_visible_to(user: User) -> QuerySet[Repair]:
    """Every repair ``user`` may see: those of the tickets the user may see (customers: their
    organisation and its branches; staff: as on tickets)."""
    return Repair.objects.filter(ticket__in=tickets_visible_to(user))


def get_visible_repair(user: User, number: str) -> Repair:
    """The repair by number if ``user`` may see it (``Repair.DoesNotExist`` otherwise: a 404)."""
    return (
        repairs_visible_to(user)
        .select_related(
            *_RELATED, "ticket__reporter", "opened_by", "backup_ack_user", "backup_ack_recorded_by"
        )
        .get(number=number)
    )


@dataclass(frozen=True)
class DeskFilter:
    state: str = "open"  # open | late | waiting | done | all
    search: str = ""


def desk_repairs(user: User, filters: DeskFilter, *, limit: int = 200) -> list[Repair]:
    """The desk list: open repairs nearest due first (paused and not yet received at the end)."""
    repairs = repairs_visible_to(user).select_related(*_RELATED)
    if filters.state == "open":
        repairs = repairs.filter(status__in=OPEN_STATUSES)
    elif filters.state == "late":
        repairs = repairs.filter(status__in=OPEN_STATUSES, has_breach=True)
    elif filters.state == "waiting":
        repairs = repairs.filter(status=Status.QUOTED)
    elif filters.state == "done":
        repairs = repairs.filter(status__in=(Status.RETURNED, Status.CANCELLED))
    term = filters.search.strip()
    if term:
        repairs = repairs.filter(
            Q(number__icontains=term)
            | Q(unit__serial__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(ticket__number__icontains=term)
        )
    ordered = repairs.order_by("-has_breach", F("next_due_at").asc(nulls_last=True), "-opened_at")
    return list(ordered[:limit])


def risk_of(repair: Repair, now: datetime) -> str:
    """The desk's label for a repair: late, due soon, waiting for the customer, running, or none."""
    if not repair.is_open:
        return ""
    if repair.has_breach:
        return "late"
    if repair.status == Status.QUOTED:
        return "waiting"
    if repair.next_due_at is not None:
        return "due_soon" if repair.next_due_at - now <= DUE_SOON else "running"
    return ""


def repairs_of_ticket(ticket: Ticket) -> list[Repair]:
    return list(ticket.repairs.select_related("unit__product_model").order_by("-opened_at"))


def repair_timeline(repair: Repair, *, public_only: bool = False) -> list[RepairEvent]:
    events = repair.events.select_related("by")
    if public_only:
        events = events.filter(is_public=True)
    return list(events)
