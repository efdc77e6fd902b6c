"""Phone intake: find the caller, see what they are entitled to, take the report, read back its number.

A PBX can open ``/desk/intake/phone/?number=<caller id>`` when the call rings.
The page stamps the moment it was first opened and carries it along (the
``started`` parameter, then a hidden field): the response promise starts at the
call's start, not at the moment the form is saved.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.accounts.roles import Capability
from aftersales.core.business_time import local_date, local_zone
from aftersales.core.errors import DomainError
from aftersales.desk.forms import PhoneReportForm, format_call_start, parse_call_start
from aftersales.desk.queries import (
    DISPLAY_FORMAT,
    CallerMatches,
    choose_caller,
    format_local,
    get_ticket_for_page,
    parse_id,
    response_clock,
)
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.tickets.models import Severity, Ticket


def _may_take_reports(request: HttpRequest) -> bool:
    return request.user.has_perm(f"aftersales.{Capability.TAKE_REPORT}")


@staff_required
def phone_intake(request: HttpRequest) -> HttpResponse:
    if not _may_take_reports(request):
        return forbidden(request, gettext("Your role does not take reports."))
    now = timezone.now()
    params = request.POST if request.method == "POST" else request.GET
    started = parse_call_start(params.get("started") or params.get("call_started_at")) or now
    number = params.get("number", "").strip()
    text = params.get("q", "").strip()
    choice = choose_caller(
        request.user,
        number=number,
        text=text,
        contact_id=parse_id(params.get("contact")),
        unit_id=parse_id(params.get("unit")),
        customer_id=parse_id(params.get("customer")),
        on=local_date(now),
    )
    customer, contact = choice.customer, choice.contact
    kept = {"number": number, "q": text, "started": format_call_start(started)}
    form = None
    if customer is not None and request.method == "POST":
        form = PhoneReportForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                ticket = form.submit(by=request.user, now=now)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return redirect("desk:intake_done", number=ticket.number)
    elif customer is not None:
        form = PhoneReportForm(
            customer=customer,
            initial={
                "call_started_at": format_call_start(started),
                "reporter": contact.pk if contact else None,
                "onsite_contact": contact.pk if contact else None,
                "reporter_phone": number,
                "unit": choice.unit.pk if choice.unit else None,
            },
        )
    selected_unit = form["unit"].value() if form is not None else None
    context = {
        "nav": "intake",
        "number": number,
        "text": text,
        "started": started,
        "started_local": timezone.localtime(started, local_zone()).strftime(DISPLAY_FORMAT + ":%S"),
        "kept": kept,
        "matches": choice.matches,
        "choose": _choice_links(kept, choice.matches),
        "customer": customer,
        "contact": contact,
        "form": form,
        "units": [
            {
                "id": item.unit.pk,
                "serial": item.unit.serial,
                "model": str(item.unit.product_model),
                "site": str(item.unit.site) if item.unit.site_id else "",
                "version": item.unit.software_version,
                "verdict": item.verdict.verdict,
                "verdict_label": item.label,
                "reason": item.verdict.reason,
                "checked": str(item.unit.pk) == str(selected_unit or ""),
            }
            for item in choice.units
        ],
        "severity_guidance": [
            (Severity.SEVERE, gettext("Severe"), gettext("The customer's business system is interrupted.")),
            (Severity.GENERAL, gettext("General"), gettext("Slight impact: the business goes on.")),
        ],
    }
    return render(
        request, "desk/intake/phone.html", context, status=400 if form is not None and form.errors else 200
    )


def _choice_links(kept: dict[str, str], matches: CallerMatches) -> dict[str, list[tuple[object, str]]]:
    """For each candidate, the link that chooses it (keeping the caller's number and the call start)."""

    def link(**choice: int) -> str:
        return "?" + urlencode({**{k: v for k, v in kept.items() if v}, **choice})

    return {
        "contacts": [(contact, link(contact=contact.pk)) for contact in matches.contacts],
        "units": [(unit, link(unit=unit.pk)) for unit in matches.units],
        "customers": [(customer, link(customer=customer.pk)) for customer in matches.customers],
    }


@staff_required
def phone_intake_done(request: HttpRequest, number: str) -> HttpResponse:
    """The number in large type, to read back to the caller before hanging up."""
    try:
        ticket = get_ticket_for_page(request.user, number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such ticket.")) from None
    clock = response_clock(ticket)
    context = {
        "nav": "intake",
        "ticket": ticket,
        "clock": clock,
        "clock_due": format_local(clock.due_at) if clock else "",
        "emergency_contact": (
            ticket.centre.emergency_contact if ticket.severity == Severity.SEVERE and ticket.centre_id else ""
        ),
    }
    return render(request, "desk/intake/done.html", context)
