"""Portal pages of fees: the schedule in force, our quotes (approve or refuse), our statements."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.fees import queries, services
from aftersales.fees.export import XLSX_CONTENT_TYPE, statement_workbook
from aftersales.fees.forms import PortalDecisionForm
from aftersales.fees.models import Quote, Statement
from aftersales.portal.views import customer_view


def _quote_or_404(request: HttpRequest, number: str) -> Quote:
    try:
        return queries.get_portal_quote(request.user, number)
    except Quote.DoesNotExist:
        raise Http404(gettext("No such quote.")) from None


def _statement_or_404(request: HttpRequest, number: str) -> Statement:
    try:
        return queries.get_visible_statement(request.user, number)
    except Statement.DoesNotExist:
        raise Http404(gettext("No such statement.")) from None


@customer_view("GET")
def fees_schedule(request: HttpRequest) -> HttpResponse:
    schedule = services.schedule_in_force(local_date(timezone.now()))
    context = {"nav": "fees", "schedule": schedule, "groups": queries.grouped_items(schedule)}
    return render(request, "portal/fees/schedule.html", context)


@customer_view("GET")
def quote_list(request: HttpRequest) -> HttpResponse:
    context = {
        "nav": "quotes",
        "quotes": queries.portal_quote_list(request.user),
        "statements": queries.statement_list(request.user),
    }
    return render(request, "portal/fees/quotes.html", context)


def _render_quote(
    request: HttpRequest, quote: Quote, form: PortalDecisionForm, *, error: str = "", status=200
):
    context = {
        "nav": "quotes",
        "quote": quote,
        "form": form,
        "error": error,
        "may_decide": quote.status == "issued",
    }
    return render(request, "portal/fees/quote.html", context, status=status)


@customer_view("GET", "POST")
def quote_detail(request: HttpRequest, quote_number: str) -> HttpResponse:
    """The quote; while issued, the customer approves or refuses it (POST with a confirmation)."""
    quote = _quote_or_404(request, quote_number)
    if request.method == "GET":
        return _render_quote(request, quote, PortalDecisionForm())
    form = PortalDecisionForm(request.POST)
    if not form.is_valid():
        return _render_quote(
            request, quote, form, error=gettext("Tick the confirmation to send your decision."), status=400
        )
    approved = form.cleaned_data["decision"] == "approve"
    try:
        services.record_customer_decision(
            quote=quote, approved=approved, by=request.user, channel="portal", note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        quote = _quote_or_404(request, quote_number)
        return _render_quote(request, quote, PortalDecisionForm(), error=exc.message, status=exc.status_code)
    text = (
        gettext("Thank you: quote %(number)s is approved; we will start the work.")
        if approved
        else gettext("Quote %(number)s is refused; we have been told.")
    )
    messages.success(request, text % {"number": quote.number})
    return redirect("portal:quote_detail", quote_number=quote.number)


@customer_view("GET")
def statement_detail(request: HttpRequest, statement_number: str) -> HttpResponse:
    statement = _statement_or_404(request, statement_number)
    return render(request, "portal/fees/statement.html", {"nav": "quotes", "statement": statement})


@customer_view("GET")
def statement_export(request: HttpRequest, statement_number: str) -> HttpResponse:
    statement = _statement_or_404(request, statement_number)
    response = HttpResponse(statement_workbook(statement), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{statement.number}.xlsx"'
    return response
