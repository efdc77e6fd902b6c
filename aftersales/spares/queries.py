"""Reads of the spares area: settings, the pool, stock, faulty returns, loans and who may see them."""

from __future__ import annotations

import math
from datetime import date, datetime

from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone

from aftersales.accounts.models import ServiceCentre, User
from aftersales.core.business_time import local_date
from aftersales.customers.queries import customer_scope_for_user
from aftersales.spares.models import (
    FaultyPartReturn,
    Loan,
    LoanProposal,
    SparePart,
    SpareSettings,
    SpareUnit,
)
from aftersales.tickets.models import Ticket
from aftersales.tickets.queries import tickets_visible_to

_SECONDS_PER_DAY = 24 * 3600


def spare_settings() -> SpareSettings:
    """The configured numbers, or the defaults when the row was never saved."""
    return SpareSettings.objects.filter(pk=SpareSettings.SINGLETON_ID).first() or SpareSettings()


def loan_days(loan: Loan, *, now: datetime | None = None) -> int:
    """Days a unit was (or, while out, has so far been) lent, for the fee item ``spare_day``.

    Every started 24 hours counts as a day, and a loan counts at least one day.
    A cancelled loan counts none.
    """
    if loan.status == Loan.Status.CANCELLED:
        return 0
    end = loan.returned_at or now or timezone.now()
    seconds = max(0.0, (end - loan.out_at).total_seconds())
    return max(1, math.ceil(seconds / _SECONDS_PER_DAY))


def is_overdue(loan: Loan, *, today: date) -> bool:
    return loan.status == Loan.Status.OUT and loan.expected_return_on < today


def _loan_list(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    return loans.select_related(
        "ticket", "customer", "site", "spare_unit__product_model", "spare_unit__centre", "lent_by"
    )


def overdue_loans(*, today: date) -> QuerySet[Loan]:
    """Loans out past their expected return date, longest overdue first."""
    return Loan.objects.filter(status=Loan.Status.OUT, expected_return_on__lt=today).order_by(
        "expected_return_on", "pk"
    )


def loans_visible_to(user: User) -> QuerySet[Loan]:
    """The loans of the tickets ``user`` may see: the one access rule for loans (staff and customers)."""
    return Loan.objects.filter(ticket__in=tickets_visible_to(user))


def get_visible_loan(user: User, number: str) -> Loan:
    """A loan by number, if ``user`` may see its ticket (``Loan.DoesNotExist`` otherwise)."""
    return _loan_list(loans_visible_to(user)).get(number=number)


def ticket_loans(ticket: Ticket) -> list[Loan]:
    return list(_loan_list(Loan.objects.filter(ticket=ticket)).order_by("-out_at"))


def ticket_proposal(ticket: Ticket) -> LoanProposal | None:
    return LoanProposal.objects.filter(ticket=ticket).select_related("decided_by").first()


def lendable_units(ticket: Ticket) -> QuerySet[SpareUnit]:
    """Available pool units of the ticket's centre, the customer's own model first."""
    if ticket.centre_id is None:
        return SpareUnit.objects.none()
    units = SpareUnit.objects.filter(
        centre_id=ticket.centre_id, status=SpareUnit.Status.AVAILABLE
    ).select_related("product_model")
    model_id = ticket.unit.product_model_id if ticket.unit_id else None
    if model_id is not None:
        same_model = Case(When(product_model_id=model_id, then=Value(0)), default=Value(1))
        return units.order_by(same_model, "product_model__name", "serial")
    return units.order_by("product_model__name", "serial")


def centres_for(user: User) -> QuerySet[ServiceCentre]:
    """The centres whose spares the user looks after first: a centre's own people see theirs."""
    centres = ServiceCentre.objects.filter(is_rnd=False).order_by("code")
    if user.centre_id is not None:
        return centres.filter(pk=user.centre_id)
    return centres


def spares_board(*, centres: QuerySet[ServiceCentre], today: date) -> dict:
    """Everything the spares page shows for ``centres``: proposals, loans out, pool, stock, faulty parts.

    A fixed number of queries whatever the rows (asserted in the tests).
    """
    overdue_after = spare_settings().faulty_return_overdue_days
    loans = list(
        _loan_list(Loan.objects.filter(status=Loan.Status.OUT, spare_unit__centre__in=centres)).order_by(
            "expected_return_on", "pk"
        )
    )
    faulty = list(
        FaultyPartReturn.objects.filter(centre__in=centres)
        .exclude(status=FaultyPartReturn.Status.RECEIVED)
        .select_related("centre", "recorded_by")
        .order_by("recorded_at")
    )
    for row in faulty:
        row.is_overdue = (today - local_date(row.recorded_at)).days > overdue_after
    for loan in loans:
        loan.is_overdue = is_overdue(loan, today=today)
        loan.days_overdue = (today - loan.expected_return_on).days if loan.is_overdue else 0
    return {
        "proposals": list(
            LoanProposal.objects.filter(status=LoanProposal.Status.OPEN, centre__in=centres)
            .select_related("ticket__customer", "centre")
            .order_by("proposed_at")
        ),
        "loans": loans,
        "overdue_count": sum(1 for loan in loans if loan.is_overdue),
        "pool": list(
            SpareUnit.objects.filter(centre__in=centres)
            .exclude(status=SpareUnit.Status.RETIRED)
            .select_related("centre", "product_model")
            .order_by("centre__code", "product_model__name", "serial")
        ),
        "parts": list(
            SparePart.objects.filter(centre__in=centres)
            .select_related("centre")
            .order_by("centre__code", "part_number")
        ),
        "faulty": faulty,
    }


def portal_loans(user: User) -> QuerySet[Loan]:
    """The organisation's loans (and its branches' at a head office), newest first."""
    return _loan_list(Loan.objects.filter(customer__in=customer_scope_for_user(user))).order_by("-out_at")
