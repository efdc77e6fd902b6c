"""The ticket page, its action forms, and the printable acceptance form (受理单)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from aftersales.core.errors import Conflict, DomainError, NotPermitted
from aftersales.desk import countdown
from aftersales.desk.forms import ACTION_FORMS, TicketActionForm, may_ever_use, offered_form_classes
from aftersales.desk.queries import format_local, get_ticket_for_page, ticket_page_data
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.tickets.models import Entitlement, Ticket
from aftersales.tickets.queries import last_change


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    """A ticket the user may not see does not exist for them: 404, never 403."""
    try:
        return get_ticket_for_page(request.user, number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such ticket.")) from None


def optional_url(name: str, *args: Any) -> str:
    """A page of another part of the console, or "" while that part is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: TicketActionForm | None = None,
    alert: str = "",
    is_conflict: bool = False,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    data = ticket_page_data(ticket, now=now)
    forms = []
    for form_class in offered_form_classes(ticket, request.user):
        if bound is not None and isinstance(bound, form_class):
            forms.append(bound)
        else:
            forms.append(form_class(ticket=ticket, user=request.user, current_report=data.current_report))
    context = {
        "nav": "queue",
        "ticket": ticket,
        "page": data,
        "forms": forms,
        "bound_name": bound.name if bound is not None else "",
        "alert": alert,
        "is_conflict": is_conflict,
        "server_now_ms": int(now.timestamp() * 1000),
        "countdown_units": countdown.unit_labels(),
        "unit_url": f"/desk/units/{ticket.unit.serial}/" if ticket.unit_id else "",
        "customer_url": optional_url("desk:customer", ticket.customer.code),
        "reported_at": format_local(ticket.reported_at),
        "times": _times(ticket),
        "entitlement_class": _entitlement_class(ticket.entitlement),
    }
    return render(request, "desk/ticket.html", context, status=status)


def _times(ticket: Ticket) -> list[tuple[str, str]]:
    """The moments of the ticket's life that are set, for the facts panel."""
    moments = [
        (_("Reported"), ticket.reported_at),
        (_("First response"), ticket.first_response_at),
        (_("On site requested"), ticket.onsite_requested_at),
        (_("R&D on site requested"), ticket.rnd_onsite_requested_at),
        (_("Local engineer arrived"), ticket.local_arrived_at),
        (_("R&D engineer arrived"), ticket.rnd_arrived_at),
        (_("Service restored"), ticket.restored_at),
        (_("Resolved"), ticket.resolved_at),
        (_("Closed"), ticket.closed_at),
    ]
    return [(str(label), format_local(moment)) for label, moment in moments if moment]


def _entitlement_class(value: str) -> str:
    return {
        Entitlement.IN_WARRANTY: "ok",
        Entitlement.UNDER_CONTRACT: "ok",
        Entitlement.CHARGEABLE: "charge",
    }.get(value, "")


@require_GET
@staff_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_ticket(request, _ticket_or_404(request, number))


@require_POST
@staff_required
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Post one form; on any refusal nothing changes and the page says why.

    A stale version is a conflict (409 to htmx, a message on the full page);
    a broken business rule is a form error; a role without the capability is 403.
    """
    ticket = _ticket_or_404(request, number)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404(gettext("No such action."))
    if form_class not in offered_form_classes(ticket, request.user):
        if not may_ever_use(form_class, request.user):
            return _refuse(request, ticket, gettext("Your role may not do this."))
        if request.POST.get(f"{form_class.name}-version") != str(ticket.version):
            # Someone else's change made this step impossible: say who, like any conflict.
            return _render_ticket(
                request,
                ticket,
                alert=_changed_by(ticket),
                is_conflict=True,
                status=_failure(request, 409),
            )
        return _render_ticket(
            request,
            ticket,
            alert=gettext("“%(action)s” is not possible on this ticket now — reload to see what is.")
            % {"action": form_class.label},
            status=_failure(request, 409),
        )
    form = form_class(request.POST, ticket=ticket, user=request.user)
    if not form.is_valid():
        return _render_ticket(request, ticket, bound=form, status=_failure(request, 400))
    try:
        form.submit(now=timezone.now())
    except Conflict as conflict:
        # The posted version stays in the form: the user reloads on purpose to see the change.
        form.ticket = _ticket_or_404(request, number)
        return _render_ticket(
            request,
            form.ticket,
            bound=form,
            alert=conflict.message,
            is_conflict=True,
            status=_failure(request, 409),
        )
    except NotPermitted as refusal:
        return _refuse(request, _ticket_or_404(request, number), refusal.message)
    except DomainError as error:
        # Re-read: the refused service may have changed the ticket object in memory.
        form.ticket = _ticket_or_404(request, number)
        form.add_error(None, error.message)
        return _render_ticket(request, form.ticket, bound=form, status=_failure(request, error.status_code))
    messages.success(request, gettext("%(action)s: saved.") % {"action": form_class.label})
    url = reverse("desk:ticket", kwargs={"number": number})
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _failure(request: HttpRequest, status: int) -> int:
    """The status of a refused save: the real one for htmx (it swaps the answer in), 200 for a full page."""
    return status if request.htmx else 200


def _changed_by(ticket: Ticket) -> str:
    last = last_change(ticket)
    if last is None:
        return gettext("This ticket was changed by someone else — reload and try again.")
    return gettext("This ticket was changed by %(who)s at %(when)s — reload and try again.") % {
        "who": str(last.actor) if last.actor else gettext("the system"),
        "when": format_local(last.at),
    }


def _refuse(request: HttpRequest, ticket: Ticket, message: str) -> HttpResponse:
    """403: the console's page, or for htmx the ticket again with the reason (htmx swaps #ticket)."""
    if request.htmx:
        return _render_ticket(request, ticket, alert=message, status=403)
    return forbidden(request, message)


def _both_languages(text: Any) -> tuple[str, str]:
    """A label in the page's language and in the other one, for the bilingual printed form."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    other = "en" if current.startswith("zh") else "zh-hans"
    with translation.override(other):
        secondary = str(text)
    primary = str(text)
    return primary, "" if secondary == primary else secondary


@require_GET
@staff_required
def acceptance_form(request: HttpRequest, number: str) -> HttpResponse:
    """The printable acceptance form (受理单) the customer signs, labelled in both languages."""
    ticket = _ticket_or_404(request, number)
    unit = ticket.unit
    rows = [
        (_("Ticket number"), ticket.number),
        (_("Channel"), ticket.get_channel_display()),
        (_("Kind"), ticket.get_kind_display()),
        (_("Severity"), ticket.get_severity_display() if ticket.severity else "—"),
        (_("Customer"), str(ticket.customer)),
        (_("Site"), f"{ticket.site} {ticket.site.address}" if ticket.site_id else "—"),
        (_("Reporter"), " ".join(filter(None, [ticket.reporter_name, ticket.reporter_phone])) or "—"),
        (_("On-site contact"), str(ticket.onsite_contact.name) if ticket.onsite_contact_id else "—"),
        (_("Unit"), str(unit.product_model) if unit else "—"),
        (_("Serial number"), unit.serial if unit else "—"),
        (_("Software version"), unit.software_version if unit and unit.software_version else "—"),
        (
            _("Entitlement"),
            " · ".join(filter(None, [ticket.get_entitlement_display(), ticket.entitlement_reason])),
        ),
        (_("Reported at"), format_local(ticket.reported_at)),
        (_("Taken by"), str(ticket.taken_by) if ticket.taken_by_id else "—"),
        (_("Service centre"), str(ticket.centre) if ticket.centre_id else "—"),
    ]
    context = {
        "ticket": ticket,
        "vendor_name": settings.AFTERSALES["VENDOR_NAME"],
        "title": _both_languages(_("Acceptance form")),
        "rows": [(*_both_languages(label), value) for label, value in rows],
        "description_label": _both_languages(_("Fault description")),
        "impact_label": _both_languages(_("Business impact")),
        "signatures": [
            _both_languages(_("Customer's signature and stamp")),
            _both_languages(_("Specialist's signature")),
        ],
        "date_label": _both_languages(_("Date")),
        "printed_at": format_local(timezone.now()),
    }
    return render(request, "desk/acceptance_form.html", context)
