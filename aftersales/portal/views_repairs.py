"""The portal's repair pages: our repairs, one repair with the backup acknowledgement and the quote.

Repairs come from ``get_portal_repair``, which answers 404 outside the user's organisation.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from aftersales.core.errors import DomainError
from aftersales.portal.views import customer_view
from aftersales.repairs import forms, queries, services, workflow
from aftersales.repairs.models import Repair, Status


def get_portal_repair(user, number: str) -> Repair:
    """The repair by number if it belongs to the user's organisation (or a branch of it); else 404."""
    if not user.is_customer_user:
        raise Http404
    try:
        return queries.get_visible_repair(user, number)
    except Repair.DoesNotExist:
        raise Http404(gettext("No such repair.")) from None


def _quote_of(repair: Repair):
    if repair.quote_id is None:
        return None
    from aftersales.fees.models import Quote

    return Quote.objects.prefetch_related("lines").filter(pk=repair.quote_id).first()


def _detail_url(repair: Repair) -> str:
    return reverse("portal:repair_detail", kwargs={"rma_number": repair.number})


@customer_view("GET")
def repair_list(request: HttpRequest) -> HttpResponse:
    repairs = list(
        queries.repairs_visible_to(request.user)
        .select_related("unit__product_model", "ticket")
        .order_by("-opened_at")[:200]
    )
    return render(request, "portal/repairs/list.html", {"nav": "repairs", "repairs": repairs})


@customer_view("GET")
def repair_detail(request: HttpRequest, rma_number: str) -> HttpResponse:
    repair = get_portal_repair(request.user, rma_number)
    return _render(request, repair)


def _render(request: HttpRequest, repair: Repair, *, ack_form=None, error: str = "", status: int = 200):
    quote = _quote_of(repair)
    return render(
        request,
        "portal/repairs/detail.html",
        {
            "nav": "repairs",
            "repair": repair,
            "statement": services.backup_statement(translation.get_language()),
            "ack_form": ack_form or forms.BackupAcknowledgementForm(),
            "needs_ack": repair.status == Status.OPENED and not repair.has_backup_ack,
            "quote": quote,
            "may_decide": quote is not None and quote.status == "issued" and repair.status == Status.QUOTED,
            "may_confirm": repair.status == Status.SHIPPED_BACK,
            "clock": services.return_clock(repair),
            "timeline": queries.repair_timeline(repair, public_only=True),
            "error": error,
        },
        status=status,
    )


@customer_view("POST")
def repair_acknowledge(request: HttpRequest, rma_number: str) -> HttpResponse:
    repair = get_portal_repair(request.user, rma_number)
    form = forms.BackupAcknowledgementForm(request.POST)
    form.is_valid()
    try:
        services.acknowledge_backup(
            repair=repair,
            by=request.user,
            confirmed=bool(form.cleaned_data.get("confirmed")),
            language=translation.get_language(),
        )
    except DomainError as error:
        return _render(request, repair, ack_form=form, error=error.message, status=error.status_code)
    messages.success(request, gettext("Thank you: your acknowledgement is recorded."))
    return redirect(_detail_url(repair))


@customer_view("POST")
def repair_quote_decision(request: HttpRequest, rma_number: str) -> HttpResponse:
    """Approve or refuse the repair's quote (recorded by fees; the repair follows through its hook)."""
    from aftersales.fees.services import record_customer_decision

    repair = get_portal_repair(request.user, rma_number)
    quote = _quote_of(repair)
    decision = request.POST.get("decision")
    if quote is None or decision not in ("approve", "refuse"):
        return _render(request, repair, error=gettext("Choose to approve or refuse the quote."), status=400)
    try:
        record_customer_decision(
            quote=quote,
            approved=decision == "approve",
            by=request.user,
            channel="portal",
            note=request.POST.get("note", "")[:1000],
        )
    except DomainError as error:
        return _render(request, repair, error=error.message, status=error.status_code)
    messages.success(request, gettext("Thank you: your decision is recorded."))
    return redirect(_detail_url(repair))


@customer_view("POST")
def repair_received(request: HttpRequest, rma_number: str) -> HttpResponse:
    """The customer confirms the unit is back."""
    repair = get_portal_repair(request.user, rma_number)
    try:
        services.move_repair(repair=repair, step=workflow.CONFIRM_RETURN, by=request.user, at=timezone.now())
    except DomainError as error:
        return _render(request, repair, error=error.message, status=error.status_code)
    messages.success(request, gettext("Thank you: receipt confirmed."))
    return redirect(_detail_url(repair))
