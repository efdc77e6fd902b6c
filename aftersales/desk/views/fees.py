"""Staff pages of fees: the schedule in force, quotes with their line editor and steps, statements."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.customers.models import Customer
from aftersales.customers.queries import customer_scope_for_user
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.fees import queries, services
from aftersales.fees.export import XLSX_CONTENT_TYPE, statement_workbook
from aftersales.fees.forms import DecisionForm, ReasonForm, StatementForm, editor_rows, parse_line_rows
from aftersales.fees.models import FeeSchedule, Quote, QuoteStatus, Statement
from aftersales.tickets.models import Ticket
from aftersales.tickets.queries import get_visible_ticket

S = QuoteStatus


def _may_quote(user) -> bool:
    return user.has_perm("aftersales.quote_work") or user.has_perm("aftersales.grant_approval")


def quotes_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff who quote work or approve exceptions."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _may_quote(request.user):
            return forbidden(request, gettext("Quotes are kept by customer service and managers."))
        return view(request, *args, **kwargs)

    return wrapper


def _quote_or_404(request: HttpRequest, number: str) -> Quote:
    try:
        return queries.get_visible_quote(request.user, number)
    except Quote.DoesNotExist:
        raise Http404(gettext("No such quote.")) from None


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    try:
        return get_visible_ticket(request.user, number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such ticket.")) from None


# --- the schedule --------------------------------------------------------------------------------


@require_GET
@staff_required
def fee_schedule(request: HttpRequest) -> HttpResponse:
    """The schedule in force today (or a chosen version), read-only; edited in the admin."""
    today = local_date(timezone.now())
    in_force = services.schedule_in_force(today)
    versions = list(FeeSchedule.objects.order_by("-effective_from", "-pk"))
    shown = in_force
    chosen = request.GET.get("version", "")
    if chosen.isdigit():
        shown = next((v for v in versions if v.pk == int(chosen)), None)
        if shown is None:
            raise Http404(gettext("No such schedule version."))
    context = {
        "nav": "quotes",
        "schedule": shown,
        "in_force": in_force,
        "versions": versions,
        "groups": queries.grouped_items(shown),
        "discount_limit": services.discount_limit(),
    }
    return render(request, "desk/fees/schedule.html", context)


# --- quotes --------------------------------------------------------------------------------------


@require_GET
@quotes_staff
def quote_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    customer = request.GET.get("customer", "").strip()
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "nav": "quotes",
        "quotes": queries.quote_list(request.user, status=status, customer_code=customer, q=q),
        "status": status,
        "customer": customer,
        "q": q,
        "statuses": [("open", gettext("Open")), ("", gettext("All")), *S.choices],
        "customers": queries.statement_customers(request.user),
        "limit": queries.LIST_LIMIT,
    }
    return render(request, "desk/fees/quotes.html", context)


def _editor_context(request: HttpRequest, **extra) -> dict:
    today = local_date(timezone.now())
    return {
        "nav": "quotes",
        "items": queries.schedule_items_in_force(today),
        "schedule": services.schedule_in_force(today),
        "discount_limit": services.discount_limit(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@quotes_staff
def quote_new(request: HttpRequest) -> HttpResponse:
    """A new quote for a ticket's customer (``?ticket=SR-…``) or a chosen customer."""
    source = request.POST if request.method == "POST" else request.GET
    ticket = _ticket_or_404(request, source["ticket"]) if source.get("ticket") else None
    customers = customer_scope_for_user(request.user).order_by("name")
    error = ""
    if request.method == "POST":
        try:
            customer = ticket.customer if ticket else customers.get(code=request.POST.get("customer", ""))
        except Customer.DoesNotExist:  # unknown, or outside the user's customers
            customer = None
            error = gettext("Choose the customer.")
        if customer is not None:
            try:
                quote = services.create_quote(
                    customer=customer,
                    by=request.user,
                    lines=parse_line_rows(request.POST),
                    ticket=ticket,
                    note=request.POST.get("note", ""),
                )
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, gettext("Quote %(number)s created.") % {"number": quote.number})
                return redirect("desk:quote_detail", quote_number=quote.number)
    context = _editor_context(
        request,
        ticket=ticket,
        customers=customers,
        chosen_customer=source.get("customer", ""),
        rows=editor_rows(posted=request.POST if request.method == "POST" else None),
        note=request.POST.get("note", "") if request.method == "POST" else "",
        error=error,
    )
    return render(request, "desk/fees/quote_new.html", context, status=400 if error else 200)


def _render_quote(request: HttpRequest, quote: Quote, *, error: str = "", posted=None, status: int = 200):
    user = request.user
    context = _editor_context(
        request,
        quote=quote,
        exceptions=services.quote_exceptions(quote),
        rows=editor_rows(lines=quote.lines.all(), posted=posted),
        error=error,
        may_quote=user.has_perm("aftersales.quote_work"),
        may_approve=user.has_perm("aftersales.grant_approval"),
        decision_form=DecisionForm(),
        reason_form=ReasonForm(),
    )
    return render(request, "desk/fees/quote.html", context, status=status)


@require_GET
@quotes_staff
def quote_detail(request: HttpRequest, quote_number: str) -> HttpResponse:
    return _render_quote(request, _quote_or_404(request, quote_number))


QUOTE_ACTIONS = ("lines", "issue", "approve", "send_back", "decide", "cancel", "complete")


@require_POST
@quotes_staff
def quote_action(request: HttpRequest, quote_number: str, action: str) -> HttpResponse:
    """One step on a quote; on any refusal nothing changes and the page says why."""
    if action not in QUOTE_ACTIONS:
        raise Http404(gettext("No such action."))
    quote = _quote_or_404(request, quote_number)
    user, data = request.user, request.POST
    try:
        if action == "lines":
            services.update_quote_lines(
                quote=quote, by=user, lines=parse_line_rows(data), note=data.get("note")
            )
            done = gettext("Lines saved.")
        elif action == "issue":
            services.issue_quote(quote=quote, by=user)
            done = (
                gettext("Quote issued to the customer.")
                if quote.status == S.ISSUED
                else gettext("The quote needs a manager's approval; it was submitted.")
            )
        elif action == "approve":
            services.approve_quote_exception(quote=quote, by=user, reason=data.get("reason", ""))
            done = gettext("Exception approved.")
        elif action == "send_back":
            services.refuse_quote_exception(quote=quote, by=user, reason=data.get("reason", ""))
            done = gettext("Quote sent back to draft.")
        elif action == "decide":
            form = DecisionForm(data)
            if not form.is_valid():
                return _render_quote(
                    request, quote, error=gettext("Choose the decision and the channel."), status=400
                )
            services.record_customer_decision(
                quote=quote,
                approved=form.cleaned_data["decision"] == "approve",
                by=user,
                channel=form.cleaned_data["channel"],
                note=form.cleaned_data["note"],
            )
            done = gettext("Customer's decision recorded.")
        elif action == "cancel":
            services.cancel_quote(quote=quote, by=user, reason=data.get("reason", ""))
            done = gettext("Quote cancelled.")
        else:
            services.complete_quote(quote=quote, by=user, note=data.get("note", ""))
            done = gettext("Work completed; it will appear on the customer's next statement.")
    except DomainError as exc:
        quote = _quote_or_404(request, quote_number)
        return _render_quote(
            request,
            quote,
            error=exc.message,
            posted=data if action == "lines" else None,
            status=exc.status_code,
        )
    messages.success(request, done)
    return redirect("desk:quote_detail", quote_number=quote.number)


@require_GET
@staff_required
def quote_ticket_panel(request: HttpRequest, number: str) -> HttpResponse:
    """The ticket page's side panel: its quotes and, for those who quote, "new quote"."""
    ticket = _ticket_or_404(request, number)
    if not _may_quote(request.user):
        raise Http404(gettext("No quotes panel for you."))
    context = {
        "ticket": ticket,
        "quotes": queries.quotes_for_ticket(ticket),
        "may_quote": request.user.has_perm("aftersales.quote_work"),
        "new_url": reverse("desk:quote_new") + f"?ticket={ticket.number}",
    }
    return render(request, "desk/fees/ticket_panel.html", context)


# --- statements ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@quotes_staff
def statement_list(request: HttpRequest) -> HttpResponse:
    customers = queries.statement_customers(request.user)
    form = StatementForm(request.POST or None, customers=customers)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("aftersales.quote_work"):
            return forbidden(request, gettext("You may not build statements."))
        if form.is_valid():
            try:
                statement = services.build_statement(
                    customer=form.cleaned_data["customer"],
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, gettext("Statement %(number)s built.") % {"number": statement.number}
                )
                return redirect("desk:statement_detail", statement_number=statement.number)
        status = 400
    context = {
        "nav": "quotes",
        "form": form,
        "statements": queries.statement_list(request.user),
        "unbilled": queries.unbilled_by_customer(request.user),
    }
    return render(request, "desk/fees/statements.html", context, status=status)


def _statement_or_404(request: HttpRequest, number: str) -> Statement:
    try:
        return queries.get_visible_statement(request.user, number)
    except Statement.DoesNotExist:
        raise Http404(gettext("No such statement.")) from None


@require_GET
@quotes_staff
def statement_detail(request: HttpRequest, statement_number: str) -> HttpResponse:
    statement = _statement_or_404(request, statement_number)
    return render(request, "desk/fees/statement.html", {"nav": "quotes", "statement": statement})


@require_GET
@quotes_staff
def statement_export(request: HttpRequest, statement_number: str) -> HttpResponse:
    statement = _statement_or_404(request, statement_number)
    response = HttpResponse(statement_workbook(statement), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{statement.number}.xlsx"'
    return response
