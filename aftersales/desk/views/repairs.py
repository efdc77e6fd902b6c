"""The desk's repair pages: the list of open repairs, a repair with its step forms, the ticket panel."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from aftersales.commitments.models import Outcome
from aftersales.core.errors import DomainError
from aftersales.desk.queries import get_ticket_for_page
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.repairs import forms, queries, services
from aftersales.repairs.models import Repair, Status
from aftersales.tickets.models import Ticket

_STATES = ("open", "late", "waiting", "done", "all")


def _repair_or_404(request: HttpRequest, number: str) -> Repair:
    try:
        return queries.get_visible_repair(request.user, number)
    except Repair.DoesNotExist:
        raise Http404(gettext("No such repair.")) from None


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    try:
        return get_ticket_for_page(request.user, number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such ticket.")) from None


def _may_manage(user) -> bool:
    return user.has_perm("aftersales.manage_repairs")


@require_GET
@staff_required
def repair_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in _STATES:
        state = "open"
    filters = queries.DeskFilter(state=state, search=request.GET.get("q", "")[:100])
    now = timezone.now()
    rows = [(repair, queries.risk_of(repair, now)) for repair in queries.desk_repairs(request.user, filters)]
    return render(
        request,
        "desk/repairs/list.html",
        {"nav": "repairs", "rows": rows, "filters": filters, "states": _STATES},
    )


def _offered_forms(repair: Repair, user) -> list[forms._RepairForm]:
    """The forms this user may use on this repair now (the service still decides)."""
    if not _may_manage(user) or not repair.is_open:
        return []
    offered = []
    if forms.StepForm(repair=repair, user=user).fields["step"].choices:
        offered.append(forms.StepForm)
    if repair.status == Status.OPENED:
        offered += [forms.BackupCallForm, forms.ErasureForm]
    if repair.status == Status.DIAGNOSED and repair.is_chargeable and user.has_perm("aftersales.quote_work"):
        offered.append(forms.QuoteForm)
    if repair.status == Status.APPROVED or (repair.status == Status.DIAGNOSED and not repair.is_chargeable):
        offered.append(forms.FitPartForm)
    if repair.received_at and repair.status not in (Status.SHIPPED_BACK,):
        offered.append(forms.DelayForm)
    if repair.quote_id is None and user.has_perm("aftersales.override_entitlement"):
        offered.append(forms.EntitlementForm)
    return [form_class(repair=repair, user=user) for form_class in offered]


def _render_repair(
    request: HttpRequest, repair: Repair, *, bound: forms._RepairForm | None = None, status: int = 200
) -> HttpResponse:
    offered = _offered_forms(repair, request.user)
    if bound is not None:
        offered = [bound if form.name == bound.name else form for form in offered]
        if all(form is not bound for form in offered):
            offered.insert(0, bound)
    clock = services.return_clock(repair)
    return render(
        request,
        "desk/repairs/detail.html",
        {
            "nav": "repairs",
            "repair": repair,
            "forms": offered,
            "bound_name": bound.name if bound else "",
            "clock": clock,
            "outcome": clock.outcome if clock else "",
            "outcome_label": Outcome(clock.outcome).label if clock else "",
            "timeline": queries.repair_timeline(repair),
            "parts": list(repair.parts.all()),
            "risk": queries.risk_of(repair, timezone.now()),
        },
        status=status,
    )


@require_GET
@staff_required
def repair_detail(request: HttpRequest, rma_number: str) -> HttpResponse:
    return _render_repair(request, _repair_or_404(request, rma_number))


@require_POST
@staff_required
def repair_action(request: HttpRequest, rma_number: str, action: str) -> HttpResponse:
    """Post one form: on a refusal nothing changes and the page says why (400/403/409)."""
    repair = _repair_or_404(request, rma_number)
    form_class = forms.DESK_FORMS.get(action)
    if form_class is None:
        raise Http404(gettext("No such action."))
    if not _may_manage(request.user):
        return forbidden(request, gettext("Your role may not do this."))
    form = form_class(request.POST, repair=repair, user=request.user)
    if not form.is_valid():
        return _render_repair(request, repair, bound=form, status=400)
    try:
        form.submit(now=timezone.now())
    except DomainError as error:
        repair = _repair_or_404(request, rma_number)
        form.repair = repair
        form.add_error(None, error.message)
        return _render_repair(request, repair, bound=form, status=error.status_code)
    messages.success(request, gettext("Saved."))
    return redirect(reverse("desk:repair_detail", kwargs={"rma_number": rma_number}))


@require_GET
@staff_required
def repair_ticket_panel(request: HttpRequest, number: str) -> HttpResponse:
    """The ticket page's side panel: the ticket's repairs, and opening one for its unit."""
    ticket = _ticket_or_404(request, number)
    repairs = queries.repairs_of_ticket(ticket)
    may_open = (
        _may_manage(request.user)
        and ticket.unit_id is not None
        and not any(repair.is_open and repair.unit_id == ticket.unit_id for repair in repairs)
    )
    return render(
        request,
        "desk/repairs/ticket_panel.html",
        {"ticket": ticket, "repairs": repairs, "open_form": forms.OpenRepairForm() if may_open else None},
    )


@require_POST
@staff_required
def repair_open(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    if not _may_manage(request.user):
        return forbidden(request, gettext("Your role may not do this."))
    form = forms.OpenRepairForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Describe the fault the factory is to repair."))
        return redirect(reverse("desk:ticket", kwargs={"number": number}))
    try:
        repair = form.submit(ticket=ticket, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("desk:ticket", kwargs={"number": number}))
    messages.success(request, gettext("Repair %(number)s opened.") % {"number": repair.number})
    return redirect(reverse("desk:repair_detail", kwargs={"rma_number": repair.number}))
