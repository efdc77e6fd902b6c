"""The job's report as a PDF, in the language asked: 验收报告, training record, migration report."""

from __future__ import annotations

from datetime import datetime

from aftersales.core.business_time import local_zone
from aftersales.core.pdf import render_pdf
from aftersales.jobs import queries
from aftersales.jobs.models import InstallationJob, MigrationJob, TrainingSession
from aftersales.units.entitlement import warranty_ends

_TEMPLATES = {
    InstallationJob: "jobs/pdf/installation.html",
    TrainingSession: "jobs/pdf/training.html",
    MigrationJob: "jobs/pdf/migration.html",
}


def local_text(moment: datetime | None) -> str:
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M") if moment else ""


def report_context(job: InstallationJob | TrainingSession | MigrationJob) -> dict:
    """What the report shows, prepared in Python (the templates only lay it out)."""
    ticket = job.ticket
    context: dict = {
        "job": job,
        "ticket": ticket,
        "customer": ticket.customer,
        "opened": local_text(ticket.reported_at),
    }
    if isinstance(job, InstallationJob):
        context["lines"] = [(line, warranty_ends(line.unit)) for line in job.lines.all()]
        context["accepted_recorded"] = local_text(job.acceptance_recorded_at)
    elif isinstance(job, TrainingSession):
        context["starts"] = local_text(job.starts_at)
        context["ends"] = local_text(job.ends_at)
        context["average"] = queries.average_score(job)
    else:
        context["window"] = (local_text(job.window_starts_at), local_text(job.window_ends_at))
        context["steps"] = [(step, local_text(step.done_at)) for step in job.steps.all()]
        context["completed"] = local_text(job.completed_at)
        context["accepted"] = local_text(job.accepted_at)
        context["plan_uploaded"] = local_text(job.plan_uploaded_at)
    return context


def job_report_pdf(job: InstallationJob | TrainingSession | MigrationJob, *, language: str) -> bytes:
    return render_pdf(_TEMPLATES[type(job)], report_context(job), language=language)


def report_filename(job: InstallationJob | TrainingSession | MigrationJob) -> str:
    return f"{job.ticket.number}-report.pdf"
