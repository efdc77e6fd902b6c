"""Visit pages of the console: the dispatcher's board, dispatch from a ticket, a visit's page, the
engineer's phone page (my visits) with check-in, confirmation, report and sign-off, the report PDF,
and the ticket page's visits panel."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability, Role
from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.desk.queries import format_local
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.tickets.models import OPEN_STATUSES, Ticket
from aftersales.tickets.queries import get_visible_ticket
from aftersales.units.models import Unit, UnitPart
from aftersales.visits import documents, forms, queries, services
from aftersales.visits.models import NOT_STARTED, Visit

DISPATCH = f"aftersales.{Capability.DISPATCH_VISIT}"
WORK = f"aftersales.{Capability.WORK_VISIT}"


def _needs(*permissions: str) -> Callable:
    """Staff holding any of ``permissions``; others get the console's 403 page."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not any(request.user.has_perm(p) for p in permissions):
                return forbidden(request, gettext("Your role may not do this."))
            return view(request, *args, **kwargs)

        return staff_required(wrapper)

    return decorate


def _visit_or_404(request: HttpRequest, number: str) -> Visit:
    try:
        return queries.get_visible_visit(request.user, number)
    except Visit.DoesNotExist:
        raise Http404(gettext("No such visit.")) from None


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    try:
        return get_visible_ticket(request.user, number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such ticket.")) from None


def _today() -> object:
    return local_date(timezone.now())


# --- the board -----------------------------------------------------------------------------------


@require_GET
@_needs(DISPATCH, WORK)
def visit_board(request: HttpRequest) -> HttpResponse:
    """Open visits, earliest first (overdue and unconfirmed arrivals flagged), and the engineers of the
    dispatcher's centre today: on duty or not, free or busy."""
    now = timezone.now()
    today = local_date(now)
    user: User = request.user
    centre = user.centre if user.role in (Role.LEAD, Role.ENGINEER) else None
    context = {
        "nav": "visits",
        "visits": list(queries.board_visits(user, today, centre=centre)[:200]),
        "engineer_days": queries.engineer_days(centre=centre, day=today, now=now) if centre else [],
        "centre": centre,
        "today": today,
    }
    return render(request, "desk/visits/board.html", context)


# --- dispatch from a ticket ------------------------------------------------------------------------


def _dispatch_form(ticket: Ticket, data=None) -> forms.DispatchForm:
    engineers = User.objects.filter(is_active=True).filter(role=Role.RND)
    if ticket.centre_id:
        engineers = engineers | User.objects.filter(
            is_active=True, centre_id=ticket.centre_id, role__in=(Role.ENGINEER, Role.LEAD)
        )
    initial = {
        "purpose": ticket.title,
        "planned_start": timezone.localtime().replace(second=0, microsecond=0),
    }
    return forms.DispatchForm(
        data,
        engineers=engineers.select_related("centre").order_by("role", "username"),
        contacts=ticket.customer.contacts.order_by("name"),
        initial={**initial, "onsite_contact": ticket.onsite_contact_id or ticket.reporter_id},
        prefix="dispatch",
    )


@require_http_methods(["GET", "POST"])
@_needs(DISPATCH)
def visit_dispatch(request: HttpRequest, number: str) -> HttpResponse:
    """Dispatch engineers from a ticket: who is free and on duty, and the ticket's on-site clocks."""
    ticket = _ticket_or_404(request, number)
    form = _dispatch_form(ticket, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = services.dispatch_visit(
                    ticket=ticket,
                    engineers=list(data["engineers"]),
                    planned_start=data["planned_start"],
                    planned_end=data["planned_end"],
                    purpose=data["purpose"],
                    why_remote_failed=data["why_remote_failed"],
                    kind=data["kind"],
                    onsite_contact=data["onsite_contact"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = error.status_code
                ticket = _ticket_or_404(request, number)
            else:
                messages.success(request, gettext("Visit %(number)s dispatched.") % {"number": visit.number})
                return redirect(visit.get_absolute_url())
        else:
            status = 400
    now = timezone.now()
    day = form.cleaned_data["planned_start"] if form.is_bound and form.is_valid() else now
    context = {
        "nav": "visits",
        "ticket": ticket,
        "form": form,
        "engineer_days": queries.engineer_days(centre=ticket.centre, day=local_date(day), now=now),
        "clocks": queries.onsite_clocks(ticket, now=now),
        "needs_why": ticket.entitlement in ("in_warranty", "under_contract"),
    }
    return render(request, "desk/visits/dispatch.html", context, status=status)


# --- a visit's page --------------------------------------------------------------------------------


def _crew_rows(visit: Visit) -> list[dict]:
    return [
        {
            "slot": slot,
            "accepted_at": format_local(slot.accepted_at) if slot.accepted_at else "",
            "departed_at": format_local(slot.departed_at) if slot.departed_at else "",
            "arrived_at": format_local(slot.arrived_at) if slot.arrived_at else "",
            "confirmed_at": format_local(slot.arrival_confirmed_at) if slot.arrival_confirmed_at else "",
            "left_at": format_local(slot.left_at) if slot.left_at else "",
            "minutes_late": queries.minutes_late(visit, slot),
        }
        for slot in visit.crew.all()
    ]


def _links(visit: Visit) -> list[tuple[str, str]]:
    links = []
    if visit.ticket_id:
        links.append(
            (
                gettext("Ticket %(number)s") % {"number": visit.ticket.number},
                f"/desk/tickets/{visit.ticket.number}/",
            )
        )
    if visit.kind in queries.INSPECTION_KINDS:
        links.append((gettext("Inspection checklist"), f"/desk/inspections/visits/{visit.number}/checklist/"))
    if visit.kind in queries.JOB_KINDS and visit.ticket_id:
        links.append((gettext("Service job"), f"/desk/jobs/ticket/{visit.ticket.number}/"))
    return links


def _render_visit(
    request: HttpRequest, visit: Visit, *, error: str = "", status: int = 200, **forms_
) -> HttpResponse:
    report = queries.report_of(visit)
    may_dispatch = request.user.has_perm(DISPATCH)
    context = {
        "nav": "visits",
        "visit": visit,
        "report": report,
        "crew": _crew_rows(visit),
        "events": list(visit.events.select_related("by")),
        "is_overdue": queries.is_overdue(visit, _today()),
        "lines": queries.billable_lines(visit),
        "links": _links(visit),
        "clocks": queries.onsite_clocks(visit.ticket) if visit.ticket_id else [],
        "may_plan": may_dispatch and visit.status in NOT_STARTED,
        "may_upload": request.user.has_perm(WORK) and report is not None and bool(report.work_done),
        "replan_form": forms_.get("replan_form")
        or forms.ReplanForm(
            initial={"planned_start": timezone.localtime(visit.planned_start), "version": visit.version},
            prefix="replan",
        ),
        "cancel_form": forms_.get("cancel_form")
        or forms.CancelForm(initial={"version": visit.version}, prefix="cancel"),
        "stamped_form": forms_.get("stamped_form") or forms.StampedCopyForm(prefix="stamped"),
        "is_mine": visit.crew.filter(engineer=request.user).exists(),
        "error": error,
    }
    return render(request, "desk/visits/detail.html", context, status=status)


@require_GET
@_needs(DISPATCH, WORK)
def visit_detail(request: HttpRequest, visit_number: str) -> HttpResponse:
    return _render_visit(request, _visit_or_404(request, visit_number))


@require_POST
@_needs(DISPATCH)
def visit_replan(request: HttpRequest, visit_number: str) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    form = forms.ReplanForm(request.POST, prefix="replan")
    if not form.is_valid():
        return _render_visit(request, visit, replan_form=form, status=400)
    data = form.cleaned_data
    try:
        services.replan_visit(
            visit=visit,
            planned_start=data["planned_start"],
            planned_end=data["planned_end"],
            reason=data["reason"],
            expected_version=data["version"],
            by=request.user,
        )
    except DomainError as error:
        return _render_visit(
            request,
            _visit_or_404(request, visit_number),
            replan_form=form,
            error=error.message,
            status=error.status_code,
        )
    messages.success(request, gettext("Visit re-planned; the customer and the engineers are told."))
    return redirect(visit.get_absolute_url())


@require_POST
@_needs(DISPATCH)
def visit_cancel(request: HttpRequest, visit_number: str) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    form = forms.CancelForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return _render_visit(request, visit, cancel_form=form, status=400)
    try:
        services.cancel_visit(
            visit=visit,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
            by=request.user,
        )
    except DomainError as error:
        return _render_visit(
            request,
            _visit_or_404(request, visit_number),
            cancel_form=form,
            error=error.message,
            status=error.status_code,
        )
    messages.success(request, gettext("Visit cancelled; the customer and the engineers are told."))
    return redirect(visit.get_absolute_url())


@require_POST
@_needs(f"aftersales.{Capability.QUOTE_WORK}")
def visit_quote(request: HttpRequest, visit_number: str) -> HttpResponse:
    """A draft quote of the completed chargeable visit's billable quantities (fees prices them)."""
    visit = _visit_or_404(request, visit_number)
    try:
        quote = services.quote_visit(visit=visit, by=request.user)
    except DomainError as error:
        return _render_visit(request, visit, error=error.message, status=error.status_code)
    messages.success(
        request, gettext("Draft quote %(number)s made from the visit.") % {"number": quote.number}
    )
    return redirect(reverse("desk:quote_detail", args=[quote.number]))


@require_POST
@_needs(WORK)
def visit_stamped_copy(request: HttpRequest, visit_number: str) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    form = forms.StampedCopyForm(request.POST, request.FILES, prefix="stamped")
    if not form.is_valid():
        return _render_visit(request, visit, stamped_form=form, status=400)
    try:
        services.upload_stamped_copy(visit=visit, upload=form.cleaned_data["scan"], by=request.user)
    except DomainError as error:
        return _render_visit(request, visit, stamped_form=form, error=error.message, status=error.status_code)
    messages.success(request, gettext("Stamped copy stored."))
    return redirect(visit.get_absolute_url())


@require_GET
@_needs(DISPATCH, WORK)
def visit_stamped_download(request: HttpRequest, visit_number: str) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    report = queries.report_of(visit)
    if report is None or not report.stamped_scan:
        raise Http404(gettext("No stamped copy."))
    return FileResponse(
        report.stamped_scan.open("rb"),
        as_attachment=True,
        filename=report.stamped_scan.name.rsplit("/", 1)[-1],
    )


@require_GET
@staff_required
def visit_report_pdf(request: HttpRequest, visit_number: str) -> HttpResponse:
    """The service report PDF, in Chinese or English (``?language=en``)."""
    visit = _visit_or_404(request, visit_number)
    if queries.report_of(visit) is None:
        raise Http404(gettext("This visit has no report yet."))
    language = documents.pdf_language(request.GET.get("language") or request.LANGUAGE_CODE)
    data = documents.service_report_pdf(visit, language=language)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{visit.number}-{language}.pdf"'
    return response


# --- the ticket page's panel ----------------------------------------------------------------------


@require_GET
@staff_required
def visit_ticket_panel(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    context = {
        "ticket": ticket,
        "visits": queries.ticket_visits(ticket, _today()),
        "may_dispatch": request.user.has_perm(DISPATCH) and ticket.status in OPEN_STATUSES,
    }
    return render(request, "desk/visits/panel.html", context)


# --- the engineer's phone page ---------------------------------------------------------------------


@require_GET
@_needs(WORK)
def my_visits(request: HttpRequest) -> HttpResponse:
    visits = queries.my_visits(request.user, _today())
    return render(request, "desk/visits/mine.html", {"nav": "my_visits", "visits": visits})


def _my_visit_or_404(request: HttpRequest, number: str) -> Visit:
    visit = _visit_or_404(request, number)
    visit.mine = next((slot for slot in visit.crew.all() if slot.engineer_id == request.user.pk), None)
    if visit.mine is None:
        raise Http404(gettext("You are not on this visit."))
    return visit


def _render_mine(
    request: HttpRequest, visit: Visit, *, error: str = "", status: int = 200, bound=None
) -> HttpResponse:
    report = queries.report_of(visit)
    units = Unit.objects.filter(pk__in=visit.units.values("pk"), is_active=True)
    parts = UnitPart.objects.filter(unit__in=units, removed_on=None).select_related("unit")
    step_forms = {
        "check_in": forms.CheckInForm(prefix="check_in"),
        "code": forms.CodeForm(prefix="code"),
        "signature": forms.SignatureForm(
            prefix="signature", initial={"name": visit.onsite_contact.name if visit.onsite_contact else ""}
        ),
        "report": forms.ReportForm(
            prefix="report",
            initial={"findings": report.findings, "work_done": report.work_done} if report else None,
        ),
        "part": forms.PartForm(prefix="part", parts=parts),
        "swap": forms.SwapForm(prefix="swap", units=units),
        "sign": forms.SignForm(
            prefix="sign", initial={"name": visit.onsite_contact.name if visit.onsite_contact else ""}
        ),
    }
    if bound is not None:
        step_forms[bound[0]] = bound[1]
    context = {
        "nav": "my_visits",
        "visit": visit,
        "slot": visit.mine,
        "report": report,
        "forms": step_forms,
        "is_overdue": queries.is_overdue(visit, _today()),
        "minutes_late": queries.minutes_late(visit, visit.mine),
        "links": _links(visit),
        "error": error,
    }
    return render(request, "desk/visits/my_visit.html", context, status=status)


@require_GET
@_needs(WORK)
def my_visit(request: HttpRequest, visit_number: str) -> HttpResponse:
    return _render_mine(request, _my_visit_or_404(request, visit_number))


def _form_for(step: str, request: HttpRequest, visit: Visit):
    if step == "check_in":
        return forms.CheckInForm(request.POST, prefix=step)
    if step == "code":
        return forms.CodeForm(request.POST, prefix=step)
    if step == "signature":
        return forms.SignatureForm(request.POST, prefix=step)
    if step == "report":
        return forms.ReportForm(request.POST, prefix=step)
    if step == "part":
        units = Unit.objects.filter(pk__in=visit.units.values("pk"))
        return forms.PartForm(
            request.POST,
            prefix=step,
            parts=UnitPart.objects.filter(unit__in=units, removed_on=None).select_related("unit"),
        )
    if step == "swap":
        return forms.SwapForm(
            request.POST,
            prefix=step,
            units=Unit.objects.filter(pk__in=visit.units.values("pk"), is_active=True),
        )
    if step == "sign":
        return forms.SignForm(request.POST, prefix=step)
    return None


def _do_step(step: str, visit: Visit, user: User, data: dict) -> str:
    """Call the one service of ``step``; returns what to tell the engineer."""
    me = {"visit": visit, "engineer": user, "by": user}
    if step == "accept":
        services.accept_visit(**me)
        return gettext("Visit accepted.")
    if step == "travel":
        services.start_travel(**me)
        return gettext("On the way.")
    if step == "check_in":
        check = services.check_in(**me, note=data["note"])
        if check.code_sent:
            return gettext(
                "Checked in. A code was sent to the customer's contact: type it in to confirm the arrival."
            )
        return gettext(
            "Checked in. The contact has no mobile or e-mail: ask them to sign to confirm the arrival."
        )
    if step == "resend":
        services.resend_code(**me)
        return gettext("A new code was sent to the customer's contact.")
    if step == "code":
        services.confirm_arrival_with_code(**me, code=data["code"])
        return gettext("Arrival confirmed.")
    if step == "signature":
        services.confirm_arrival_with_signature(**me, name=data["name"], signature=data["signature"])
        return gettext("Arrival confirmed.")
    if step == "report":
        services.write_report(visit=visit, by=user, findings=data["findings"], work_done=data["work_done"])
        return gettext("Report saved.")
    if step == "part":
        services.record_part_replacement(
            visit=visit, part=data["part"], new_serial=data["new_serial"], by=user
        )
        return gettext("Part replacement recorded.")
    if step == "swap":
        services.record_unit_swap(
            visit=visit, old_unit=data["old_unit"], new_serial=data["new_serial"], by=user
        )
        return gettext("Unit swap recorded.")
    if step == "sign":
        services.sign_report(
            visit=visit,
            name=data["name"],
            signature=data["signature"],
            typed_confirmation=data["typed_confirmation"],
            by=user,
        )
        return gettext("Report signed by the customer.")
    if step == "leave":
        services.leave_site(**me)
        return gettext("Departure recorded.")
    raise Http404(gettext("No such step."))


STEPS = (
    "accept",
    "travel",
    "check_in",
    "resend",
    "code",
    "signature",
    "report",
    "part",
    "swap",
    "sign",
    "leave",
)


@require_POST
@_needs(WORK)
def my_visit_step(request: HttpRequest, visit_number: str, step: str) -> HttpResponse:
    """One step of the engineer's own visit; on refusal nothing changes and the page says why."""
    if step not in STEPS:
        raise Http404(gettext("No such step."))
    visit = _my_visit_or_404(request, visit_number)
    form = _form_for(step, request, visit)
    if form is not None and not form.is_valid():
        return _render_mine(request, visit, bound=(step, form), status=400)
    try:
        message = _do_step(step, visit, request.user, form.cleaned_data if form is not None else {})
    except DomainError as error:
        visit = _my_visit_or_404(request, visit_number)
        return _render_mine(
            request,
            visit,
            error=error.message,
            status=error.status_code,
            bound=(step, form) if form is not None else None,
        )
    messages.success(request, message)
    return redirect(f"/desk/my-visits/{visit.number}/")
