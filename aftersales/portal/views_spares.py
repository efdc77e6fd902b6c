"""The portal's loans page: which spare units the organisation has on loan, since when, back when."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from aftersales.core.business_time import local_date
from aftersales.portal.views import customer_view
from aftersales.spares import queries

LOANS_SHOWN = 100


@customer_view("GET")
def loan_list(request: HttpRequest) -> HttpResponse:
    today = local_date(timezone.now())
    loans = list(queries.portal_loans(request.user)[:LOANS_SHOWN])
    for loan in loans:
        loan.is_overdue = queries.is_overdue(loan, today=today)
    return render(request, "portal/spares/loans.html", {"nav": "loans", "loans": loans})
