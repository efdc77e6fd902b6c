"""Reads of the year-end archive: the console's list and the portal's, each scoped to its reader."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from aftersales.accounts.models import User
from aftersales.customers.queries import customer_scope_for_user
from aftersales.reports.models import YearEndReport


def archived_reports_for(user: User) -> QuerySet[YearEndReport]:
    """The archived reports of the customers ``user`` may see (customers: their organisation)."""
    return YearEndReport.objects.filter(customer__in=customer_scope_for_user(user)).select_related(
        "customer", "generated_by"
    )


def get_archived_report(user: User, report_id: int) -> YearEndReport:
    """One archived report ``user`` may see; anything else is a 404, like one that does not exist."""
    try:
        return archived_reports_for(user).get(pk=report_id)
    except YearEndReport.DoesNotExist:
        raise Http404("no such report") from None
