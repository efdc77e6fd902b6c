"""Reads of jobs: lists for the desk, the portal and the API, one job with everything its page shows.

A job is reached through its ticket number. Staff see the jobs of the customers they may see; a
customer user those of its organisation (and its branches at a head office): anything else is
``DoesNotExist``, which the faces turn into a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Prefetch, QuerySet

from aftersales.accounts.models import User
from aftersales.customers.queries import customer_scope_for_user
from aftersales.jobs.models import (
    InstallationJob,
    InstallationLine,
    JobEvent,
    MigrationJob,
    MigrationStep,
    TrainingSession,
)
from aftersales.tickets.models import Kind, Ticket

JOB_MODELS = {
    Kind.INSTALLATION: InstallationJob,
    Kind.TRAINING: TrainingSession,
    Kind.MIGRATION: MigrationJob,
}


def installation_jobs(user: User) -> QuerySet[InstallationJob]:
    return (
        InstallationJob.objects.filter(customer__in=customer_scope_for_user(user))
        .select_related("ticket__customer", "site", "acceptance_recorded_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=InstallationLine.objects.select_related(
                    "unit__product_model", "product_model", "site"
                ).order_by("id"),
            )
        )
    )


def training_sessions(user: User) -> QuerySet[TrainingSession]:
    return (
        TrainingSession.objects.filter(customer__in=customer_scope_for_user(user))
        .select_related("ticket__customer", "trainer")
        .annotate(average_score=Avg("attendees__score"), attendee_count=Count("attendees", distinct=True))
        .prefetch_related("attendees", "materials")
    )


def migration_jobs(user: User) -> QuerySet[MigrationJob]:
    return (
        MigrationJob.objects.filter(customer__in=customer_scope_for_user(user))
        .select_related("ticket__customer")
        .prefetch_related(Prefetch("steps", queryset=MigrationStep.objects.select_related("done_by")))
    )


def jobs_queryset(kind: str, user: User) -> QuerySet:
    return {
        Kind.INSTALLATION: installation_jobs,
        Kind.TRAINING: training_sessions,
        Kind.MIGRATION: migration_jobs,
    }[kind](user)


def get_visible_job(user: User, number: str) -> InstallationJob | TrainingSession | MigrationJob:
    """The job of ticket ``number`` if the user may see it; otherwise ``Ticket.DoesNotExist``."""
    kind = (
        Ticket.objects.filter(number=number, customer__in=customer_scope_for_user(user))
        .values_list("kind", flat=True)
        .first()
    )
    if kind not in JOB_MODELS:
        raise Ticket.DoesNotExist(number)
    try:
        return jobs_queryset(kind, user).get(ticket__number=number)
    except JOB_MODELS[kind].DoesNotExist:
        raise Ticket.DoesNotExist(number) from None


def average_score(session: TrainingSession) -> Decimal | None:
    """The mean feedback score of those who gave one, to one decimal (None: nobody scored)."""
    scores = [a.score for a in session.attendees.all() if a.score is not None]
    if not scores:
        return None
    return (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class JobRow:
    """One line of a job list: number, kind, customer, title, status, when it is (or was) due."""

    number: str
    kind: str
    kind_label: str
    customer: str
    title: str
    status: str
    job: object


def job_rows(user: User, *, limit: int = 200) -> list[JobRow]:
    """Every job kind for a list, newest ticket first: three queries plus their prefetches."""
    rows: list[tuple] = []
    for kind in JOB_MODELS:
        queryset = jobs_queryset(kind, user).order_by("-ticket__reported_at")[:limit]
        for job in queryset:
            rows.append((job.ticket.reported_at, kind, job))
    rows.sort(key=lambda row: row[0], reverse=True)
    return [
        JobRow(
            number=job.ticket.number,
            kind=kind,
            kind_label=str(Kind(kind).label),
            customer=job.ticket.customer.name,
            title=job.ticket.title,
            status=job.get_status_display(),
            job=job,
        )
        for _, kind, job in rows[:limit]
    ]


def job_events(ticket: Ticket) -> QuerySet[JobEvent]:
    return JobEvent.objects.filter(ticket=ticket).select_related("by").order_by("at", "id")


def tickets_for_jobs(kind: str) -> QuerySet[Ticket]:
    """Tickets of ``kind`` still without a job record (to start a job from an existing request)."""
    model = JOB_MODELS[kind]
    related = model._meta.get_field("ticket").related_query_name()
    return Ticket.objects.filter(kind=kind, **{f"{related}__isnull": True}).select_related("customer")
