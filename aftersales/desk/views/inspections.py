"""Inspection pages of the desk: the board, plans, checklist templates, a visit's checklist, its PDF."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.accounts.models import ServiceCentre
from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.customers.models import Customer
from aftersales.desk.queries import format_local
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.inspections import forms, queries, services
from aftersales.inspections.models import ChecklistItem, InspectionPlan
from aftersales.inspections.report import inspection_report_pdf
from aftersales.visits.models import Visit

PLANNER = "aftersales.plan_inspections"


def _may_see_board(user) -> bool:
    return user.has_perm(PLANNER) or user.has_perm("aftersales.work_visit")


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_GET
@staff_required
def inspection_board(request: HttpRequest) -> HttpResponse:
    if not _may_see_board(request.user):
        return forbidden(request, gettext("The inspection board is for inspection planners and engineers."))
    state = request.GET.get("state", "")
    state = state if state in queries.BOARD_STATES else ""
    centre_id = _int_or_none(request.GET.get("centre"))
    customer_id = _int_or_none(request.GET.get("customer"))
    now = timezone.now()
    rows, counts = queries.inspection_board(
        state=state, centre_id=centre_id, customer_id=customer_id, now=now
    )
    context = {
        "nav": "inspections",
        "rows": rows,
        "counts": counts,
        "state": state,
        "states": queries.BOARD_STATES,
        "centres": ServiceCentre.objects.order_by("name").only("pk", "name"),
        "customers": Customer.objects.filter(visits__kind__in=queries.INSPECTION_KINDS)
        .distinct()
        .order_by("name")
        .only("pk", "name"),
        "centre_id": centre_id,
        "customer_id": customer_id,
        "is_planner": request.user.has_perm(PLANNER),
        "today": local_date(now),
    }
    return render(request, "desk/inspections/board.html", context)


@require_POST
@staff_required
def inspection_generate(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PLANNER):
        return forbidden(request, gettext("Only inspection planners generate visits."))
    visits = services.generate_inspection_visits()
    messages.success(request, gettext("%(count)s visit(s) generated.") % {"count": len(visits)})
    return redirect("desk:inspection_board")


# --- plans -------------------------------------------------------------------------------------


@require_GET
@staff_required
def inspection_plans(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PLANNER):
        return forbidden(request, gettext("Inspection plans are kept by inspection planners."))
    plans = queries.plans_with_counts()
    return render(request, "desk/inspections/plans.html", {"nav": "inspections", "plans": plans})


@require_http_methods(["GET", "POST"])
@staff_required
def inspection_plan_edit(request: HttpRequest, plan_id: int | None = None) -> HttpResponse:
    if not request.user.has_perm(PLANNER):
        return forbidden(request, gettext("Inspection plans are kept by inspection planners."))
    plan: InspectionPlan | None = queries.get_plan(plan_id) if plan_id is not None else None
    if request.method == "POST":
        form = forms.PlanForm(request.POST)
        if form.is_valid():
            try:
                plan = services.save_inspection_plan(
                    by=request.user,
                    values=form.plan_values(),
                    sites=form.cleaned_data["sites"],
                    units=form.cleaned_data["units"],
                    plan=plan,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, gettext("Plan “%(name)s” saved.") % {"name": plan.name})
                return redirect("desk:inspection_plan", plan.pk)
    elif plan is not None:
        initial = {field: getattr(plan, field) for field in services.PLAN_FIELDS}
        initial |= {"sites": list(plan.sites.all()), "units": list(plan.units.all())}
        form = forms.PlanForm(initial=initial, customer=plan.customer)
    else:
        customer = Customer.objects.filter(pk=_int_or_none(request.GET.get("customer"))).first()
        form = forms.PlanForm(initial={"customer": customer} if customer else None, customer=customer)
    visits = []
    if plan is not None:
        today = local_date(timezone.now())
        visits = [(visit, queries.visit_state(visit, today=today)) for visit in queries.plan_visits(plan)]
    context = {"nav": "inspections", "plan": plan, "form": form, "visits": visits}
    return render(request, "desk/inspections/plan.html", context, status=400 if form.errors else 200)


# --- templates ---------------------------------------------------------------------------------


@require_GET
@staff_required
def inspection_templates(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PLANNER):
        return forbidden(request, gettext("Checklist templates are kept by inspection planners."))
    context = {"nav": "inspections", "templates": queries.templates_with_counts()}
    return render(request, "desk/inspections/templates.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def inspection_template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    if not request.user.has_perm(PLANNER):
        return forbidden(request, gettext("Checklist templates are kept by inspection planners."))
    template = queries.get_template(template_id) if template_id is not None else None
    if request.method == "POST":
        form = forms.TemplateForm(request.POST)
        if form.is_valid():
            try:
                template = services.save_checklist_template(
                    by=request.user,
                    name=form.cleaned_data["name"],
                    note=form.cleaned_data["note"],
                    is_active=form.cleaned_data["is_active"],
                    items=form.items(),
                    template=template,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, gettext("Template “%(name)s” saved.") % {"name": template.name})
                return redirect("desk:inspection_templates")
    else:
        form = forms.TemplateForm(initial=forms.TemplateForm.initial_for(template) if template else None)
    context = {"nav": "inspections", "template": template, "form": form}
    return render(request, "desk/inspections/template.html", context, status=400 if form.errors else 200)


# --- a visit's checklist -----------------------------------------------------------------------


def _visit_or_404(request: HttpRequest, visit_number: str) -> Visit:
    return queries.get_inspection_visit(visit_number)


def _render_checklist(request, visit, *, status: int = 200, alert: str = "") -> HttpResponse:
    checklist = queries.checklist_of(visit)
    results = queries.checklist_results(visit)
    sections = []
    for value, label in ChecklistItem.Section.choices:
        rows = [result for result in results if result.section == value]
        if rows:
            sections.append({"label": label, "rows": rows})
    context = {
        "nav": "my_visits" if not request.user.has_perm(PLANNER) else "inspections",
        "visit": visit,
        "checklist": checklist,
        "sections": sections,
        "outcomes": forms.OUTCOME_CHOICES,
        "ticket_form": forms.OpenTicketForm(customer_id=visit.customer_id),
        "templates": queries.templates_with_counts().filter(is_active=True) if checklist is None else [],
        "planned_start": format_local(visit.planned_start),
        "state": queries.visit_state(visit, today=local_date(timezone.now())),
        "alert": alert,
        "max_photo_mb": services.MAX_PHOTO_MB,
        "may_work": services.may_work_checklist(visit, request.user),
    }
    return render(request, "desk/inspections/checklist.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def inspection_checklist(request: HttpRequest, visit_number: str) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    if not _may_see_board(request.user):
        return forbidden(request, gettext("Checklists are for inspection planners and engineers."))
    if request.method == "GET":
        return _render_checklist(request, visit)
    action = request.POST.get("action", "save")
    try:
        if action == "start":
            template = (
                queries.templates_with_counts().filter(pk=_int_or_none(request.POST.get("template"))).first()
            )
            services.start_checklist(visit=visit, by=request.user, template=template)
            return redirect("desk:inspection_checklist", visit.number)
        checklist = queries.checklist_of(visit)
        if checklist is None:
            raise Http404(gettext("This visit has no checklist yet."))
        version = _int_or_none(request.POST.get("version"))
        entries = forms.checklist_entries(queries.checklist_results(visit), request.POST, request.FILES)
        services.save_checklist(
            checklist=checklist, by=request.user, entries=entries, expected_version=version
        )
        if action == "complete":
            services.complete_checklist(
                checklist=checklist, by=request.user, summary=request.POST.get("summary", "")[:4000]
            )
            messages.success(request, gettext("Checklist completed."))
        else:
            messages.success(request, gettext("Progress saved."))
    except DomainError as error:
        return _render_checklist(request, visit, status=error.status_code, alert=error.message)
    return redirect("desk:inspection_checklist", visit.number)


@require_POST
@staff_required
def inspection_result_ticket(request: HttpRequest, visit_number: str, result_id: int) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    result = visit.checklist_results.filter(pk=result_id).select_related("visit", "ticket").first()
    if result is None:
        raise Http404(gettext("No such checklist item."))
    form = forms.OpenTicketForm(request.POST, customer_id=visit.customer_id)
    if not form.is_valid():
        return _render_checklist(request, visit, status=400, alert=gettext("Choose a severity and a unit."))
    try:
        ticket = services.open_ticket_from_result(
            result=result,
            by=request.user,
            severity=form.cleaned_data["severity"],
            unit=form.cleaned_data["unit"],
        )
    except DomainError as error:
        return _render_checklist(request, visit, status=error.status_code, alert=error.message)
    messages.success(request, gettext("Ticket %(number)s opened.") % {"number": ticket.number})
    return redirect("desk:inspection_checklist", visit.number)


@require_GET
@staff_required
def inspection_photo(request: HttpRequest, visit_number: str, result_id: int) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    if not _may_see_board(request.user):
        return forbidden(request)
    result = visit.checklist_results.filter(pk=result_id).first()
    if result is None or not result.photo:
        raise Http404(gettext("No such photo."))
    try:
        handle = result.photo.open("rb")
    except OSError:
        raise Http404(gettext("No such photo.")) from None
    return FileResponse(handle, content_type=mimetypes.guess_type(result.photo.name)[0] or "image/jpeg")


@require_GET
@staff_required
def inspection_report(request: HttpRequest, visit_number: str) -> HttpResponse:
    visit = _visit_or_404(request, visit_number)
    if not _may_see_board(request.user) and not request.user.has_perm("aftersales.view_all_tickets"):
        return forbidden(request)
    language = request.GET.get("lang") or request.LANGUAGE_CODE
    language = "en" if language.startswith("en") else "zh-hans"
    response = HttpResponse(inspection_report_pdf(visit, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{visit.number}-{language}.pdf"'
    return response
