"""The spares pages of the console: the board, the ticket's side panel, lending, returns, stock."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.desk.queries import format_local
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.spares import queries, services
from aftersales.spares.forms import (
    DeclineProposalForm,
    LendForm,
    ReceivePartsForm,
    ReturnForm,
    ShipFaultyPartForm,
)
from aftersales.spares.models import Erasure, FaultyPartReturn, Loan, LoanProposal
from aftersales.tickets.models import Ticket
from aftersales.tickets.queries import tickets_visible_to

MANAGE_SPARES = "aftersales.manage_spares"


def _may_manage(request: HttpRequest) -> bool:
    return request.user.has_perm(MANAGE_SPARES)


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    ticket = (
        tickets_visible_to(request.user)
        .select_related("customer", "site", "unit__product_model", "centre")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404(gettext("No such ticket."))
    return ticket


def _loan_or_404(request: HttpRequest, loan_number: str) -> Loan:
    try:
        return queries.get_visible_loan(request.user, loan_number)
    except Loan.DoesNotExist:
        raise Http404(gettext("No such loan.")) from None


# --- the board ---------------------------------------------------------------------------------


@staff_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """Pool, loans out (overdue first), proposals, parts stock and faulty parts of the user's centres."""
    if not _may_manage(request):
        return forbidden(request, gettext("The spares page is for those who keep the spares."))
    centres = queries.centres_for(request.user)
    chosen = request.GET.get("centre", "")
    if chosen:
        centres = centres.filter(code=chosen)
    today = local_date(timezone.now())
    data = queries.spares_board(centres=centres, today=today)
    context = {
        "nav": "spares",
        "board": data,
        "centres": list(queries.centres_for(request.user)),
        "chosen": chosen,
        "ship_form": ShipFaultyPartForm(),
        "receive_form": ReceivePartsForm(),
        "today": today,
    }
    return render(request, "desk/spares/board.html", context)


# --- the ticket's side panel and lending -------------------------------------------------------


@staff_required
@require_GET
def ticket_panel(request: HttpRequest, number: str) -> HttpResponse:
    """The fragment on the ticket page: its loans, the proposal, and the buttons to lend or decline."""
    ticket = _ticket_or_404(request, number)
    loans = queries.ticket_loans(ticket)
    for loan in loans:
        loan.out_text = format_local(loan.out_at)
    proposal = queries.ticket_proposal(ticket)
    may_manage = _may_manage(request)
    context = {
        "ticket": ticket,
        "loans": loans,
        "proposal": proposal,
        "may_lend": may_manage
        and ticket.is_open
        and not any(loan.status == Loan.Status.OUT for loan in loans),
        "may_decide": may_manage and proposal is not None and proposal.status == LoanProposal.Status.OPEN,
        "decline_form": DeclineProposalForm(),
        "today": local_date(timezone.now()),
    }
    return render(request, "desk/spares/_panel.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def lend(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    if not _may_manage(request):
        return forbidden(request, gettext("Your role may not lend spare units."))
    units = queries.lendable_units(ticket)
    now = timezone.now()
    if request.method == "POST":
        form = LendForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                loan = services.lend_unit(
                    ticket=ticket,
                    spare_unit=data["spare_unit"],
                    by=request.user,
                    expected_return_on=data["expected_return_on"],
                    substitution_note=data["substitution_note"],
                    note=data["note"],
                    at=now,
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = error.status_code
            else:
                messages.success(request, gettext("Lent under %(loan)s.") % {"loan": loan.number})
                return redirect("desk:spares_loan", loan_number=loan.number)
        else:
            status = 400
    else:
        form = LendForm(units=units, initial={"expected_return_on": services.default_return_on(now)})
        status = 200
    context = {
        "nav": "spares",
        "ticket": ticket,
        "form": form,
        "has_units": units.exists(),
        "ticket_model": ticket.unit.product_model if ticket.unit_id else None,
    }
    return render(request, "desk/spares/lend.html", context, status=status)


@staff_required
@require_POST
def decline_proposal(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    proposal = queries.ticket_proposal(ticket)
    if proposal is None:
        raise Http404(gettext("No loan proposal on this ticket."))
    form = DeclineProposalForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say why no spare unit is lent."))
    else:
        try:
            services.decline_loan_proposal(
                proposal=proposal, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("Loan proposal declined."))
    return redirect("desk:ticket", number=ticket.number)


# --- a loan ------------------------------------------------------------------------------------


def _render_loan(request: HttpRequest, loan: Loan, form: ReturnForm | None = None, status: int = 200):
    today = local_date(timezone.now())
    if form is None and loan.status == Loan.Status.OUT:
        form = ReturnForm(initial={"erasure": Erasure.KEYS_ERASED})
    context = {
        "nav": "spares",
        "loan": loan,
        "events": list(loan.events.select_related("actor")),
        "form": form if _may_manage(request) and loan.status == Loan.Status.OUT else None,
        "is_overdue": queries.is_overdue(loan, today=today),
        "days": queries.loan_days(loan),
        "out_text": format_local(loan.out_at),
        "returned_text": format_local(loan.returned_at),
        "erased_text": format_local(loan.erased_at),
    }
    return render(request, "desk/spares/loan.html", context, status=status)


@staff_required
@require_GET
def loan_detail(request: HttpRequest, loan_number: str) -> HttpResponse:
    return _render_loan(request, _loan_or_404(request, loan_number))


@staff_required
@require_POST
def loan_quote(request: HttpRequest, loan_number: str) -> HttpResponse:
    """A draft quote of a paid loan's days (fees prices them from the schedule in force)."""
    loan = _loan_or_404(request, loan_number)
    if not request.user.has_perm("aftersales.quote_work"):
        return forbidden(request, gettext("Your role may not quote paid work."))
    try:
        quote = services.quote_loan(loan=loan, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return _render_loan(request, loan, status=error.status_code)
    messages.success(
        request, gettext("Draft quote %(number)s made from the loan.") % {"number": quote.number}
    )
    return redirect("desk:quote_detail", quote_number=quote.number)


@staff_required
@require_POST
def loan_return(request: HttpRequest, loan_number: str) -> HttpResponse:
    loan = _loan_or_404(request, loan_number)
    if not _may_manage(request):
        return forbidden(request, gettext("Your role may not record a spare unit's return."))
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _render_loan(request, loan, form, status=400)
    data = form.cleaned_data
    try:
        services.return_loan(
            loan=loan,
            by=request.user,
            condition=data["condition"],
            erasure=data["erasure"],
            erased_by=data["erased_by"],
            erased_at=data["erased_at"],
            erasure_method=data["erasure_method"],
            note=data["note"],
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return _render_loan(request, _loan_or_404(request, loan_number), form, status=error.status_code)
    messages.success(request, gettext("Return of %(loan)s recorded.") % {"loan": loan.number})
    return redirect("desk:spares_loan", loan_number=loan.number)


# --- stock and faulty parts --------------------------------------------------------------------


def _back_to_board(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("desk:spares_board"))


def _faulty_or_404(request: HttpRequest, faulty_id: int) -> FaultyPartReturn:
    row = FaultyPartReturn.objects.filter(pk=faulty_id, centre__in=queries.centres_for(request.user)).first()
    if row is None:
        raise Http404(gettext("No such faulty part."))
    return row


@staff_required
@require_POST
def faulty_ship(request: HttpRequest, faulty_id: int) -> HttpResponse:
    faulty = _faulty_or_404(request, faulty_id)
    form = ShipFaultyPartForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the tracking number."))
        return _back_to_board(request)
    try:
        services.ship_faulty_part(
            faulty=faulty, by=request.user, tracking_number=form.cleaned_data["tracking_number"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Faulty part shipped."))
    return _back_to_board(request)


@staff_required
@require_POST
def faulty_receive(request: HttpRequest, faulty_id: int) -> HttpResponse:
    faulty = _faulty_or_404(request, faulty_id)
    try:
        services.receive_faulty_part(faulty=faulty, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Receipt at the factory recorded."))
    return _back_to_board(request)


@staff_required
@require_POST
def parts_receive(request: HttpRequest) -> HttpResponse:
    form = ReceivePartsForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the part number and a quantity of at least 1."))
        return _back_to_board(request)
    data = form.cleaned_data
    centre = queries.centres_for(request.user).filter(code=data["centre"]).first()
    if centre is None:
        raise Http404(gettext("No such service centre."))
    try:
        services.receive_parts(
            centre=centre,
            part_number=data["part_number"],
            name=data["name"],
            quantity=data["quantity"],
            reference=data["reference"],
            by=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Stock received."))
    return _back_to_board(request)
