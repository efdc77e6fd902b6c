"""Reads of fees: the schedule in force, quotes and statements a user may see.

Quotes and statements are seen through the customers a user may see
(``customers.queries.customer_scope_for_user``): customer users their own organisation (a head
office also its branches), account managers their customers, other staff every customer. A quote
or statement outside that scope does not exist for the user (``DoesNotExist`` → 404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from aftersales.accounts.models import User
from aftersales.customers.models import Customer
from aftersales.customers.queries import customer_scope_for_user
from aftersales.fees.models import (
    Category,
    Charge,
    FeeItem,
    FeeSchedule,
    Quote,
    QuoteEvent,
    QuoteStatus,
    Statement,
)
from aftersales.fees.services import schedule_in_force

LIST_LIMIT = 200


@dataclass
class ScheduleGroup:
    category: str
    label: str
    items: list[FeeItem] = field(default_factory=list)


def grouped_items(schedule: FeeSchedule | None) -> list[ScheduleGroup]:
    """The schedule's items grouped by category, in the category order (one query)."""
    if schedule is None:
        return []
    groups = {value: ScheduleGroup(value, str(label)) for value, label in Category.choices}
    for item in schedule.items.order_by("position", "code"):
        groups[item.category].items.append(item)
    return [group for group in groups.values() if group.items]


def schedule_items_in_force(on: date) -> list[FeeItem]:
    schedule = schedule_in_force(on)
    return list(schedule.items.order_by("category", "position", "code")) if schedule else []


def quotes_visible_to(user: User) -> QuerySet[Quote]:
    return Quote.objects.filter(customer__in=customer_scope_for_user(user))


def quote_list(
    user: User, *, status: str = "", customer_code: str = "", q: str = "", ticket_number: str = ""
) -> list[Quote]:
    """A page of quotes, newest first, with customer and ticket (one query)."""
    quotes = quotes_visible_to(user).select_related("customer", "ticket", "created_by")
    if status in QuoteStatus.values:
        quotes = quotes.filter(status=status)
    elif status == "open":
        quotes = quotes.filter(
            status__in=[
                QuoteStatus.DRAFT,
                QuoteStatus.AWAITING_APPROVAL,
                QuoteStatus.ISSUED,
                QuoteStatus.APPROVED,
            ]
        )
    if customer_code:
        quotes = quotes.filter(customer__code=customer_code)
    if ticket_number:
        quotes = quotes.filter(ticket__number=ticket_number)
    if q:
        quotes = quotes.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(note__icontains=q))
    return list(quotes.order_by("-created_at", "-pk")[:LIST_LIMIT])


def get_visible_quote(user: User, number: str) -> Quote:
    """The quote with its lines and events, if ``user`` may see it (``Quote.DoesNotExist`` otherwise)."""
    return (
        quotes_visible_to(user)
        .select_related("customer", "ticket", "schedule", "created_by", "approval_by", "decided_by")
        .prefetch_related(
            "lines", Prefetch("events", QuoteEvent.objects.select_related("actor").order_by("at", "pk"))
        )
        .get(number=number)
    )


def quotes_for_subject(subject_type: str, subject_id: int) -> list[Quote]:
    """The quotes made for one subject (e.g. a repair), newest first, with their lines."""
    return list(
        Quote.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .prefetch_related("lines")
        .order_by("-created_at", "-pk")
    )


def quotes_for_ticket(ticket) -> list[Quote]:
    return list(Quote.objects.filter(ticket=ticket).order_by("-created_at", "-pk"))


def statements_visible_to(user: User) -> QuerySet[Statement]:
    return Statement.objects.filter(customer__in=customer_scope_for_user(user))


def statement_list(user: User) -> list[Statement]:
    return list(
        statements_visible_to(user).select_related("customer").order_by("-issued_at", "-pk")[:LIST_LIMIT]
    )


def get_visible_statement(user: User, number: str) -> Statement:
    return (
        statements_visible_to(user)
        .select_related("customer", "created_by")
        .prefetch_related(Prefetch("charges", Charge.objects.select_related("quote").order_by("at", "pk")))
        .get(number=number)
    )


@dataclass
class Unbilled:
    customer: Customer
    count: int
    total: Decimal


def unbilled_by_customer(user: User) -> list[Unbilled]:
    """Per customer, the charges not yet on a statement (two queries)."""
    totals: dict[int, list] = {}
    for customer_id, amount in (
        Charge.objects.filter(statement__isnull=True, customer__in=customer_scope_for_user(user))
        .values_list("customer_id", "amount")
        .order_by()
    ):
        entry = totals.setdefault(customer_id, [0, Decimal("0")])
        entry[0] += 1
        entry[1] += amount
    customers = Customer.objects.in_bulk(list(totals))
    rows = [Unbilled(customers[pk], count, total) for pk, (count, total) in totals.items()]
    return sorted(rows, key=lambda row: row.customer.name)


def statement_customers(user: User) -> QuerySet[Customer]:
    return customer_scope_for_user(user).order_by("name")


# --- the portal ----------------------------------------------------------------------------------


def portal_quotes(user: User) -> QuerySet[Quote]:
    """The quotes a customer user sees: those issued to their organisation (never drafts)."""
    return quotes_visible_to(user).filter(issued_at__isnull=False)


def portal_quote_list(user: User) -> list[Quote]:
    return list(
        portal_quotes(user).select_related("customer", "ticket").order_by("-issued_at", "-pk")[:LIST_LIMIT]
    )


def get_portal_quote(user: User, number: str) -> Quote:
    """An issued quote of the user's organisation (``Quote.DoesNotExist`` otherwise)."""
    return (
        portal_quotes(user)
        .select_related("customer", "ticket", "decided_by")
        .prefetch_related("lines")
        .get(number=number)
    )
