"""Pages of the customer portal ``/portal/``: a customer's own organisation, nothing else.

Every page is a ``customer_view``: anonymous visitors sign in, vendor staff are
sent to the service desk, and the methods a page accepts are declared (the
tenant-isolation test reads them). Objects named in a URL come from the
``get_portal_*`` helpers in ``portal.queries``, which answer 404 outside the
user's organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.portal import forms, queries
from aftersales.tickets import workflow
from aftersales.tickets.models import Channel, Kind, Severity, Status, Ticket, TicketEvent
from aftersales.tickets.queries import current_handling_report

TICKETS_PER_PAGE = 25
LIST_FILTERS = ("open", "resolved", "closed", "all")


def customer_view(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A portal page for signed-in customer users, accepting ``methods`` (GET also answers HEAD).

    Staff are politely sent to the service desk, which shows every customer; a
    customer login not linked to a contact sees why it cannot go further.
    """
    allowed = frozenset(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
            if not user.is_customer_user:
                messages.info(
                    request, gettext("The customer portal is for customers; you are in the service desk.")
                )
                return redirect("desk:queue")
            contact = queries.portal_contact(user)
            if contact is None:
                return render(request, "portal/no_organisation.html", status=403)
            if request.method not in allowed:
                return HttpResponseNotAllowed(sorted(allowed))
            request.contact = contact
            return view(request, *args, **kwargs)

        wrapper.portal_methods = allowed
        return wrapper

    return decorate


# --- signing in --------------------------------------------------------------------------------


class PortalLoginView(auth_views.LoginView):
    """The portal's own sign-in page; staff who sign in here land in the service desk."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        user = self.request.user
        if user.is_authenticated and not user.is_customer_user:
            return reverse("desk:queue")
        # A customer goes where they were going, if that was a portal page (checked as safe by Django).
        target = self.get_redirect_url()
        portal_home = reverse("portal:home")
        return target if target.startswith(portal_home) else portal_home


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")


# --- home and tickets --------------------------------------------------------------------------


@customer_view("GET")
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    tickets = queries.portal_tickets(user)
    context = {
        "nav": "home",
        "to_confirm": list(tickets.filter(status=Status.RESOLVED)[:10]),
        "open_tickets": list(queries.portal_tickets(user, status="open")[:10]),
        "record": queries.promise_record(user, year=queries.current_year()),
    }
    return render(request, "portal/home.html", context)


@customer_view("GET")
def ticket_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "all")
    if status not in LIST_FILTERS:
        status = "all"
    page = Paginator(queries.portal_tickets(request.user, status=status), TICKETS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/tickets.html", {"nav": "tickets", "page": page, "status": status})


@dataclass
class TimelineRow:
    """One public event, worded for the customer."""

    event: TicketEvent
    title: str
    who: str
    body: str
    files: list = field(default_factory=list)


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def _timeline_row(event: TicketEvent, ticket: Ticket) -> TimelineRow:
    vendor = settings.AFTERSALES["VENDOR_NAME"]
    who = str(event.actor) if event.actor else vendor
    kinds = TicketEvent.Kind
    if event.kind == kinds.CREATED:
        title = gettext("Reported (%(channel)s)") % {"channel": ticket.get_channel_display()}
        body = ""
    elif event.kind == kinds.STATUS:
        title = gettext("Status: %(status)s") % {"status": _status_label(event.to_status)}
        body = event.body
    elif event.kind == kinds.REPLY:
        title = gettext("Reply from %(who)s") % {"who": who}
        body = event.body
    elif event.kind == kinds.CUSTOMER_REPLY:
        # Without an actor the message came in by mail from the customer, not from the vendor.
        sender = str(event.actor) if event.actor else ticket.reporter_name or gettext("the customer")
        if event.data.get("channel") == Channel.EMAIL:
            title = gettext("E-mail from %(who)s") % {"who": sender}
        else:
            title = gettext("Message from %(who)s") % {"who": sender}
        body = event.body
    elif event.kind == kinds.ACKNOWLEDGEMENT:
        title = gettext("Acknowledgement sent to the reporter")
        body = event.body
    else:
        title = event.get_kind_display()
        body = event.body
    return TimelineRow(event=event, title=title, who=who, body=body, files=list(event.attachments.all()))


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: forms.ReplyForm | None = None,
    follow_up_form: forms.FollowUpForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_confirm = any(move.name == "confirm_fixed" for move in workflow.allowed_moves(ticket, user))
    if may_confirm and follow_up_form is None:
        follow_up_form = forms.FollowUpForm(ticket=ticket, user=user)
    is_finished = ticket.status in (Status.RESOLVED, Status.CLOSED)
    context = {
        "nav": "tickets",
        "ticket": ticket,
        "timeline": [_timeline_row(event, ticket) for event in queries.public_timeline(ticket)],
        "promises": queries.ticket_promises(ticket),
        "emergency_contact": queries.emergency_contact_for_ticket(ticket),
        "report": current_handling_report(ticket) if is_finished else None,
        "follow_up": ticket.follow_ups.first() if ticket.status == Status.CLOSED else None,
        "follow_up_form": follow_up_form if may_confirm else None,
        "reply_form": reply_form or forms.ReplyForm(ticket=ticket, user=user),
    }
    return render(request, "portal/ticket.html", context, status=status)


@customer_view("GET")
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _ticket_page(request, queries.get_portal_ticket(request.user, number))


@customer_view("POST")
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.get_portal_ticket(request.user, number)
    form = forms.ReplyForm(request.POST, request.FILES, ticket=ticket, user=request.user)
    if form.is_valid():
        try:
            form.submit(now=timezone.now())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, gettext("Your message was added to %(number)s.") % {"number": number})
            return redirect("portal:ticket", number=ticket.number)
    return _ticket_page(request, ticket, reply_form=form, status=400)


@customer_view("POST")
def ticket_follow_up(request: HttpRequest, number: str) -> HttpResponse:
    ticket = queries.get_portal_ticket(request.user, number)
    form = forms.FollowUpForm(request.POST, ticket=ticket, user=request.user)
    if form.is_valid():
        try:
            form.submit(now=timezone.now())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if form.cleaned_data["outcome"] == forms.FollowUpForm.FIXED:
                text = gettext("Thank you for confirming: %(number)s is closed.")
            else:
                text = gettext("We are sorry it is not fixed: %(number)s is back with our engineers.")
            messages.success(request, text % {"number": ticket.number})
            return redirect("portal:ticket", number=ticket.number)
    return _ticket_page(request, ticket, follow_up_form=form, status=400)


@customer_view("GET")
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """A file of the ticket, always downloaded (never rendered in the page's origin)."""
    attachment = queries.get_portal_attachment(request.user, number, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name or attachment.file.name.rsplit("/", 1)[-1],
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- reports -----------------------------------------------------------------------------------

_REPORTS = {
    Kind.FAULT: (forms.FaultReportForm, "report_fault"),
    Kind.CONSULTATION: (forms.ConsultationForm, "report_consultation"),
    Kind.COMPLAINT: (forms.ComplaintForm, "report_complaint"),
}


def _report(request: HttpRequest, kind: str) -> HttpResponse:
    form_class, nav = _REPORTS[kind]
    user, reporter = request.user, request.contact
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, user=user, reporter=reporter)
        if form.is_valid():
            try:
                ticket = form.submit(now=timezone.now())
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    gettext("Your report is registered as %(number)s. We have sent you the acknowledgement.")
                    % {"number": ticket.number},
                )
                return redirect("portal:ticket", number=ticket.number)
    else:
        form = form_class(user=user, reporter=reporter, initial=_report_initial(request, kind))
    context = {"nav": nav, "form": form, "kind": kind}
    if kind == Kind.FAULT:
        context["emergency_lines"] = queries.emergency_lines_for_units(form.fields["unit"].queryset)
        context["severe"] = Severity.SEVERE
    return render(request, "portal/report.html", context, status=400 if form.is_bound else 200)


def _report_initial(request: HttpRequest, kind: str) -> dict:
    """A report started from a unit page names the unit; a complaint from a ticket names the ticket."""
    initial = {}
    unit = queries.find_reportable_unit(request.user, request.GET.get("unit", ""))
    if unit is not None and kind != Kind.COMPLAINT:
        initial["unit"] = unit.pk
    about = request.GET.get("about", "")
    if (
        about
        and kind == Kind.COMPLAINT
        and queries.portal_tickets(request.user).filter(number=about).exists()
    ):
        initial["title"] = gettext("About %(number)s") % {"number": about}
    return initial


@customer_view("GET", "POST")
def report_fault(request: HttpRequest) -> HttpResponse:
    return _report(request, Kind.FAULT)


@customer_view("GET", "POST")
def report_consultation(request: HttpRequest) -> HttpResponse:
    return _report(request, Kind.CONSULTATION)


@customer_view("GET", "POST")
def report_complaint(request: HttpRequest) -> HttpResponse:
    return _report(request, Kind.COMPLAINT)


# --- installed base and contracts --------------------------------------------------------------


@customer_view("GET")
def unit_list(request: HttpRequest) -> HttpResponse:
    standings = queries.units_with_warranty(queries.portal_units(request.user))
    return render(request, "portal/units.html", {"nav": "units", "standings": standings})


@customer_view("GET")
def unit_detail(request: HttpRequest, serial: str) -> HttpResponse:
    user = request.user
    unit = queries.get_portal_unit(user, serial)
    context = {
        "nav": "units",
        "standing": queries.units_with_warranty([unit])[0],
        "contracts": list(queries.unit_contracts(user, unit)),
        "tickets": list(queries.unit_tickets(user, unit)[:50]),
    }
    return render(request, "portal/unit.html", context)


@customer_view("GET")
def contract_list(request: HttpRequest) -> HttpResponse:
    today = local_date(timezone.now())
    contracts = list(queries.portal_contracts(request.user))
    return render(
        request, "portal/contracts.html", {"nav": "contracts", "contracts": contracts, "today": today}
    )


@customer_view("GET")
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = queries.get_portal_contract(request.user, contract_id)
    context = {
        "nav": "contracts",
        "contract": contract,
        "units": list(queries.contract_units(request.user, contract)),
        "today": local_date(timezone.now()),
    }
    return render(request, "portal/contract.html", context)


# --- promises kept -----------------------------------------------------------------------------


@customer_view("GET")
def promises(request: HttpRequest) -> HttpResponse:
    this_year = queries.current_year()
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, this_year - 10), this_year)
    context = {
        "nav": "promises",
        "record": queries.promise_record(request.user, year=year),
        "years": list(range(this_year, this_year - 4, -1)),
    }
    return render(request, "portal/promises.html", context)
