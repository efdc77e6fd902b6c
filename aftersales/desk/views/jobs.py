"""Desk pages of jobs: the list, "New job" from a customer or a ticket, the job page and its report.

Each action form posts to ``/desk/jobs/ticket/<number>/<action>/``; the view parses it and calls
one service; a refusal changes nothing and shows the page again with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.errors import DomainError
from aftersales.customers.queries import customer_scope_for_user
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.jobs import forms, queries, reports, services
from aftersales.jobs.models import InstallationJob, MigrationJob, TrainingSession
from aftersales.tickets.models import Kind, Ticket
from aftersales.tickets.queries import get_visible_ticket

KINDS = {kind.value: kind for kind in (Kind.INSTALLATION, Kind.TRAINING, Kind.MIGRATION)}
REPORT_LANGUAGES = ("zh-hans", "en")


def _job_or_404(request: HttpRequest, number: str) -> InstallationJob | TrainingSession | MigrationJob:
    try:
        return queries.get_visible_job(request.user, number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such job.")) from None


def _job_url(number: str) -> str:
    return reverse("desk:job_detail", args=[number])


@require_GET
@staff_required
def job_list(request: HttpRequest) -> HttpResponse:
    rows = queries.job_rows(request.user)
    return render(request, "desk/jobs/list.html", {"nav": "jobs", "rows": rows, "kinds": KINDS.values()})


@require_http_methods(["GET", "POST"])
@staff_required
def job_new(request: HttpRequest, kind: str) -> HttpResponse:
    """Start a job: from a customer (opens a ticket of the kind) or, with ``?ticket=``, from a ticket."""
    if kind not in KINDS:
        raise Http404(gettext("No such kind of job."))
    if not services.may_work_on_jobs(request.user):
        return forbidden(request, gettext("You may not start installation, training or migration jobs."))
    ticket = None
    number = request.GET.get("ticket") or request.POST.get("ticket") or ""
    if number:
        try:
            ticket = get_visible_ticket(request.user, number)
        except Ticket.DoesNotExist:
            raise Http404(gettext("No such ticket.")) from None
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    customers = customer_scope_for_user(request.user)
    request_form = None if ticket is not None else forms.JobRequestForm(data, customers=customers)
    job_form = forms.START_FORMS[kind](data, files)
    error = ""
    if request.method == "POST" and job_form.is_valid() and (request_form is None or request_form.is_valid()):
        job_request = None
        if request_form is not None:
            job_request = services.JobRequest(**request_form.cleaned_data)
        try:
            job = _start(kind, request, job_request, ticket, job_form.cleaned_data)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, gettext("Job %(number)s started.") % {"number": job.ticket.number})
            return redirect(_job_url(job.ticket.number))
    context = {
        "nav": "jobs",
        "kind": KINDS[kind],
        "ticket": ticket,
        "request_form": request_form,
        "job_form": job_form,
        "error": error,
    }
    return render(request, "desk/jobs/new.html", context, status=400 if error else 200)


def _start(kind: str, request: HttpRequest, job_request, ticket, data: dict[str, Any]):
    common = {"by": request.user, "request": job_request, "ticket": ticket}
    if kind == Kind.INSTALLATION:
        return services.start_installation(
            **common,
            site=job_request.site if job_request else None,
            commissioning_notes=data["commissioning_notes"],
        )
    if kind == Kind.TRAINING:
        return services.start_training(**common, **data)
    return services.start_migration(**common, scope=data["scope"])


# --- the job page --------------------------------------------------------------------------------


def _action_forms(job, data=None, files=None) -> dict[str, Any]:
    """The forms the job page offers, by action name (bound to ``data`` for the posted one)."""
    customer = job.ticket.customer
    if isinstance(job, InstallationJob):
        return {
            "unit": forms.InstalledUnitForm(data, customer=customer),
            "commissioning": forms.CommissioningForm(data, initial={"notes": job.commissioning_notes}),
            "accept": forms.AcceptInstallationForm(data, initial={"accepted_on": timezone.localdate()}),
            "visit": forms.JobVisitForm(data),
        }
    if isinstance(job, TrainingSession):
        return {
            "attendees": forms.AttendeesForm(data),
            "feedback": forms.FeedbackForm(data, session=job),
            "held": forms.TrainingHeldForm(data),
            "material": forms.FileForm(data, files),
            "visit": forms.JobVisitForm(data, initial={"planned_start": job.starts_at}),
        }
    return {
        "plan": forms.FileForm(data, files),
        "window": forms.WindowForm(data),
        "step": forms.StepForm(data),
        "result": forms.ResultForm(data),
        "accept": forms.AcceptMigrationForm(data),
        "visit": forms.JobVisitForm(data, initial={"planned_start": job.window_starts_at}),
    }


def _act(action: str, job, form, user) -> None:
    """Call the one service of ``action`` with the form's values."""
    data = form.cleaned_data
    handlers: dict[str, Callable[[], object]] = {
        "visit": lambda: services.schedule_job_visit(job=job, by=user, **data),
    }
    if isinstance(job, InstallationJob):
        handlers |= {
            "unit": lambda: services.add_installed_unit(job=job, by=user, **data),
            "commissioning": lambda: services.update_commissioning_notes(
                job=job, by=user, notes=data["notes"]
            ),
            "accept": lambda: services.accept_installation(job=job, by=user, **data),
        }
    elif isinstance(job, TrainingSession):
        handlers |= {
            "attendees": lambda: services.add_attendees(session=job, by=user, text=data["text"]),
            "feedback": lambda: services.record_feedback(session=job, by=user, scores=form.scores()),
            "held": lambda: services.record_training_held(session=job, by=user, summary=data["summary"]),
            "material": lambda: services.attach_training_material(session=job, by=user, upload=data["file"]),
        }
    else:
        handlers |= {
            "plan": lambda: services.upload_migration_plan(job=job, by=user, upload=data["file"]),
            "window": lambda: services.agree_change_window(job=job, by=user, **data),
            "step": lambda: services.record_migration_step(job=job, by=user, **data),
            "result": lambda: services.record_migration_result(job=job, by=user, **data),
            "accept": lambda: services.accept_migration(job=job, by=user, **data),
        }
    handlers[action]()


def _render_job(
    request: HttpRequest, job, *, bound=None, action: str = "", error: str = "", status: int = 200
):
    offered = _action_forms(job)
    if bound is not None:
        offered[action] = bound
    context = {
        "nav": "jobs",
        "job": job,
        "ticket": job.ticket,
        "kind": job.ticket.kind,
        "forms": offered,
        "error_action": action if error or bound is not None else "",
        "error": error,
        "may_work": services.may_work_on_jobs(request.user),
        "may_dispatch": request.user.has_perm("aftersales.dispatch_visit"),
        "events": queries.job_events(job.ticket),
        "visits": job.ticket.visits.order_by("planned_start"),
        "average": queries.average_score(job) if isinstance(job, TrainingSession) else None,
        "report": reports.report_context(job),
        "languages": REPORT_LANGUAGES,
    }
    return render(request, "desk/jobs/job.html", context, status=status)


@require_GET
@staff_required
def job_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_job(request, _job_or_404(request, number))


@require_POST
@staff_required
def job_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    job = _job_or_404(request, number)
    offered = _action_forms(job, request.POST, request.FILES)
    form = offered.get(action)
    if form is None:
        raise Http404(gettext("No such action."))
    if not services.may_work_on_jobs(request.user):
        return forbidden(request, gettext("You may not change installation, training or migration jobs."))
    if not form.is_valid():
        return _render_job(request, job, bound=form, action=action, status=400)
    try:
        _act(action, job, form, request.user)
    except DomainError as exc:
        job = _job_or_404(request, number)
        return _render_job(request, job, bound=form, action=action, error=exc.message, status=exc.status_code)
    messages.success(request, gettext("Saved."))
    return redirect(_job_url(number))


@require_GET
@staff_required
def job_report(request: HttpRequest, number: str) -> HttpResponse:
    job = _job_or_404(request, number)
    language = request.GET.get("lang", "zh-hans")
    if language not in REPORT_LANGUAGES:
        raise Http404(gettext("No such language."))
    response = HttpResponse(reports.job_report_pdf(job, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{reports.report_filename(job)}"'
    return response


@require_GET
@staff_required
def job_file(request: HttpRequest, number: str, file_id: int) -> FileResponse:
    """A training material (by id) or, with id 0, the migration plan document."""
    job = _job_or_404(request, number)
    if isinstance(job, TrainingSession):
        material = next((m for m in job.materials.all() if m.pk == file_id), None)
        if material is None:
            raise Http404(gettext("No such file."))
        return FileResponse(material.file.open("rb"), as_attachment=True, filename=material.name)
    if isinstance(job, MigrationJob) and file_id == 0 and job.plan_document:
        return FileResponse(job.plan_document.open("rb"), as_attachment=True, filename=job.plan_document_name)
    raise Http404(gettext("No such file."))


@require_GET
@staff_required
def job_panel(request: HttpRequest, number: str) -> HttpResponse:
    """The ticket page's side panel: the ticket's job, or a button to start one for a job kind."""
    try:
        ticket = get_visible_ticket(request.user, number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such ticket.")) from None
    if ticket.kind not in KINDS:
        raise Http404(gettext("Not a job."))
    job = services.job_of_ticket(ticket)
    context = {"ticket": ticket, "job": job, "may_work": services.may_work_on_jobs(request.user)}
    return render(request, "desk/jobs/panel.html", context)
