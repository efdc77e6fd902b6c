"""Changes to jobs: open one (a ticket of its kind plus the job record), do the work, record acceptance.

Every service runs in one transaction, checks who may do it, changes a job's status only through
``_move`` (after checking ``MOVES``), and appends a ``JobEvent`` (who, when, what). The ticket is
opened through ``tickets.services.open_ticket``, so the policy's clocks for its kind start there;
visits are scheduled through ``visits.services.schedule_visit``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability
from aftersales.core.business_time import local_date
from aftersales.core.errors import InvalidInput, InvalidTransition, NotPermitted
from aftersales.customers.models import Contact, Customer, Site
from aftersales.jobs.models import (
    InstallationJob,
    InstallationLine,
    JobEvent,
    MigrationJob,
    MigrationStep,
    TrainingAttendee,
    TrainingMaterial,
    TrainingSession,
)
from aftersales.tickets.models import Channel, Kind, Ticket
from aftersales.tickets.services import max_attachment_bytes, open_ticket
from aftersales.units.models import ProductModel, Unit
from aftersales.visits.models import Visit
from aftersales.visits.services import schedule_visit

JOB_KINDS = (Kind.INSTALLATION, Kind.TRAINING, Kind.MIGRATION)
_MODEL_OF_KIND: dict[str, type[Model]] = {
    Kind.INSTALLATION: InstallationJob,
    Kind.TRAINING: TrainingSession,
    Kind.MIGRATION: MigrationJob,
}

# The allowed moves of each job, (from, to): the one table a status change is checked against.
MOVES: dict[type[Model], frozenset[tuple[str, str]]] = {
    InstallationJob: frozenset({(InstallationJob.Status.PLANNED, InstallationJob.Status.ACCEPTED)}),
    TrainingSession: frozenset({(TrainingSession.Status.PLANNED, TrainingSession.Status.HELD)}),
    MigrationJob: frozenset(
        {
            (MigrationJob.Status.PLANNING, MigrationJob.Status.AGREED),
            (MigrationJob.Status.AGREED, MigrationJob.Status.AGREED),  # the window moved, agreed again
            (MigrationJob.Status.AGREED, MigrationJob.Status.COMPLETED),
            (MigrationJob.Status.COMPLETED, MigrationJob.Status.ACCEPTED),
        }
    ),
}
_FUTURE_TOLERANCE = 5 * 60  # seconds: a clock a little ahead is not "in the future"


# --- helpers -------------------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
    return at or timezone.now()


def may_work_on_jobs(user: User | None) -> bool:
    """Engineers doing the work, dispatchers planning it, and the hotline taking the request."""
    if user is None or not user.is_active or not user.is_vendor_staff:
        return False
    return any(
        user.has_perm(f"aftersales.{capability}")
        for capability in (Capability.WORK_VISIT, Capability.DISPATCH_VISIT, Capability.TAKE_REPORT)
    )


def _require_worker(user: User | None) -> None:
    if not may_work_on_jobs(user):
        raise NotPermitted(gettext("You may not change installation, training or migration jobs."))


def _text(value: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message)
    return text


def _record(
    ticket: Ticket, kind: str, *, by: User | None, at: datetime, text: str = "", **data: Any
) -> JobEvent:
    return JobEvent.objects.create(ticket=ticket, kind=kind, at=at, by=by, text=text, data=data)


def _move(job: Any, target: str, *, by: User | None, at: datetime, text: str = "") -> None:
    """Check the move against ``MOVES`` and change the status: the one place that assigns it."""
    previous = job.status
    if (previous, target) not in MOVES[type(job)]:
        raise InvalidTransition(
            gettext("This job cannot go from “%(from)s” to “%(to)s”.")
            % {"from": job.get_status_display(), "to": type(job).Status(target).label}
        )
    job.status = target
    JobEvent.objects.create(
        ticket=job.ticket, kind="status", at=at, by=by, from_status=previous, to_status=target, text=text
    )


def _not_in_future(moment: datetime, now: datetime, what: str) -> None:
    if (moment - now).total_seconds() > _FUTURE_TOLERANCE:
        raise InvalidInput(gettext("%(what)s cannot be in the future.") % {"what": what})


def _locked(job: Any) -> Any:
    """The job's row, locked for this transaction (two people recording at once do it in turn)."""
    return type(job).objects.select_for_update(of=("self",)).select_related("ticket__customer").get(pk=job.pk)


def _stored_file(upload: File, *, what: str) -> tuple[ContentFile, str, int]:
    content = b"".join(upload.chunks())
    name = re.sub(r"[\r\n\x00/\\]", "_", (upload.name or "").strip())[:200] or what
    if not content:
        raise InvalidInput(gettext("The file %(name)s is empty.") % {"name": name})
    if len(content) > max_attachment_bytes():
        raise InvalidInput(gettext("The file %(name)s is too large.") % {"name": name})
    suffix = name.rsplit(".", 1)[-1][:10] if "." in name else "bin"
    return ContentFile(content, name=f"{what}.{suffix}"), name, len(content)


# --- opening a job -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRequest:
    """What every job needs to open its ticket: whose it is, a title and what is wanted."""

    customer: Customer
    title: str
    description: str
    site: Site | None = None
    reporter: Contact | None = None
    channel: str = Channel.PHONE


def _open_job_ticket(kind: str, request: JobRequest, *, by: User, now: datetime) -> Ticket:
    return open_ticket(
        by=by,
        kind=kind,
        channel=request.channel,
        customer=request.customer,
        title=request.title,
        description=request.description,
        site=request.site,
        reporter=request.reporter,
        now=now,
    )


def _check_ticket_for_job(ticket: Ticket, kind: str) -> None:
    if ticket.kind != kind:
        raise InvalidInput(
            gettext("Ticket %(number)s is not a request of this kind (%(kind)s).")
            % {"number": ticket.number, "kind": Kind(kind).label}
        )
    if job_of_ticket(ticket) is not None:
        raise InvalidInput(gettext("Ticket %(number)s already has its job.") % {"number": ticket.number})


def job_of_ticket(ticket: Ticket) -> Model | None:
    """The job record of a ticket of a job kind (None: not a job, or not started yet)."""
    model = _MODEL_OF_KIND.get(ticket.kind)
    if model is None:
        return None
    return model.objects.filter(ticket=ticket).first()


def start_installation(
    *,
    by: User,
    request: JobRequest | None = None,
    ticket: Ticket | None = None,
    site: Site | None = None,
    commissioning_notes: str = "",
    now: datetime | None = None,
) -> InstallationJob:
    """Open an installation request (or take an existing one) with its job record."""
    now = _moment(now)
    _require_worker(by)
    with transaction.atomic():
        ticket = _job_ticket(Kind.INSTALLATION, request, ticket, by=by, now=now)
        site = site or ticket.site
        if site is not None and site.customer_id != ticket.customer_id:
            raise InvalidInput(gettext("The site belongs to another customer."))
        job = InstallationJob.objects.create(
            ticket=ticket,
            customer_id=ticket.customer_id,
            site=site,
            commissioning_notes=(commissioning_notes or "").strip(),
        )
        _record(ticket, "started", by=by, at=now, text=gettext("Installation job started."))
    return job


def start_training(
    *,
    by: User,
    topic: str,
    trainer: User,
    starts_at: datetime,
    request: JobRequest | None = None,
    ticket: Ticket | None = None,
    ends_at: datetime | None = None,
    place: str = "",
    now: datetime | None = None,
) -> TrainingSession:
    """Open a training request (or take an existing one) with its session: topic, trainer, when, where."""
    now = _moment(now)
    _require_worker(by)
    topic = _text(topic, gettext("Give the training a topic."))
    if trainer is None or not trainer.is_vendor_staff or not trainer.is_active:
        raise InvalidInput(gettext("The trainer must be an active member of staff."))
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput(gettext("A training must end after it starts."))
    with transaction.atomic():
        ticket = _job_ticket(Kind.TRAINING, request, ticket, by=by, now=now)
        session = TrainingSession.objects.create(
            ticket=ticket,
            customer_id=ticket.customer_id,
            topic=topic[:200],
            trainer=trainer,
            starts_at=starts_at,
            ends_at=ends_at,
            place=(place or "").strip()[:200],
        )
        _record(ticket, "started", by=by, at=now, text=topic)
    return session


def start_migration(
    *,
    by: User,
    scope: str,
    request: JobRequest | None = None,
    ticket: Ticket | None = None,
    now: datetime | None = None,
) -> MigrationJob:
    """Open a system-migration request (or take an existing one) with its job record."""
    now = _moment(now)
    _require_worker(by)
    scope = _text(scope, gettext("Say what is migrated."))
    with transaction.atomic():
        ticket = _job_ticket(Kind.MIGRATION, request, ticket, by=by, now=now)
        job = MigrationJob.objects.create(ticket=ticket, customer_id=ticket.customer_id, scope=scope)
        _record(ticket, "started", by=by, at=now, text=scope)
    return job


def _job_ticket(
    kind: str, request: JobRequest | None, ticket: Ticket | None, *, by: User, now: datetime
) -> Ticket:
    if (request is None) == (ticket is None):
        raise InvalidInput(gettext("Start a job either from a customer or from an existing ticket."))
    if ticket is not None:
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _check_ticket_for_job(locked, kind)
        return locked
    return _open_job_ticket(kind, request, by=by, now=now)


def schedule_job_visit(
    *,
    job: InstallationJob | TrainingSession | MigrationJob,
    by: User,
    planned_start: datetime,
    purpose: str,
    engineers: Iterable[User] = (),
    planned_end: datetime | None = None,
    now: datetime | None = None,
) -> Visit:
    """Plan the visit that does the job's work (a visit of the job's kind, linked to its ticket)."""
    now = _moment(now)
    if by is None or not by.has_perm(f"aftersales.{Capability.DISPATCH_VISIT}"):
        raise NotPermitted(gettext("You may not dispatch visits."))
    ticket = job.ticket
    units = (
        [line.unit for line in job.lines.select_related("unit")] if isinstance(job, InstallationJob) else []
    )
    site = getattr(job, "site", None) or ticket.site
    with transaction.atomic():
        visit = schedule_visit(
            customer=ticket.customer,
            kind=ticket.kind,
            planned_start=planned_start,
            planned_end=planned_end,
            purpose=purpose,
            by=by,
            site=site,
            ticket=ticket,
            units=units,
            centre=ticket.centre,
            engineers=engineers,
            onsite_contact=ticket.onsite_contact,
            at=now,
        )
        _record(ticket, "visit_scheduled", by=by, at=now, text=visit.number, visit=visit.number)
    return visit


# --- installation --------------------------------------------------------------------------------


def _clean_features(model: ProductModel, features: Iterable[str]) -> list[str]:
    chosen = sorted({str(code).strip() for code in features if str(code).strip()})
    unknown = [code for code in chosen if code not in (model.features or [])]
    if unknown:
        raise InvalidInput(
            gettext("Model %(model)s has no licensable feature %(features)s.")
            % {"model": model.name, "features": ", ".join(unknown)}
        )
    return chosen


def add_installed_unit(
    *,
    job: InstallationJob,
    by: User,
    product_model: ProductModel,
    serial: str,
    shipped_on: date,
    site: Site | None = None,
    licensed_features: Iterable[str] = (),
    software_version: str = "",
    notes: str = "",
    now: datetime | None = None,
) -> InstallationLine:
    """Put a unit on the installation: create it, or update the customer's unit with that serial.

    A serial is unique across the installed base: one known at another customer is refused. The
    site must be the customer's; a unit cannot ship after the job's acceptance.
    """
    now = _moment(now)
    _require_worker(by)
    serial = _text(serial, gettext("Enter the serial number."))
    if len(serial) > 64:
        raise InvalidInput(gettext("A serial number has at most 64 characters."))
    software_version = (software_version or "").strip()
    if len(software_version) > 40:
        raise InvalidInput(gettext("A software version has at most 40 characters."))
    with transaction.atomic():
        job = _locked(job)
        customer = job.ticket.customer
        if job.is_accepted:
            raise InvalidTransition(
                gettext("The installation is already accepted; units can no longer change.")
            )
        site = site or job.site
        if site is not None and site.customer_id != customer.pk:
            raise InvalidInput(gettext("The site belongs to another customer."))
        if shipped_on > local_date(now):
            raise InvalidInput(gettext("The shipping date cannot be in the future."))
        features = _clean_features(product_model, licensed_features)
        unit = Unit.objects.select_for_update().filter(serial__iexact=serial).first()
        if unit is not None and unit.customer_id != customer.pk:
            raise InvalidInput(
                gettext("Serial %(serial)s is already a unit of another customer.") % {"serial": serial}
            )
        if unit is not None and job.lines.filter(unit=unit).exists():
            raise InvalidInput(gettext("Unit %(serial)s is already on this job.") % {"serial": serial})
        is_new = unit is None
        if is_new:
            unit = Unit.objects.create(
                serial=serial,
                product_model=product_model,
                customer=customer,
                site=site,
                shipped_on=shipped_on,
                software_version=software_version,
                licensed_features=features,
            )
        else:
            unit.product_model = product_model
            unit.site = site
            unit.shipped_on = shipped_on
            unit.licensed_features = features
            if software_version:
                unit.software_version = software_version
            unit.save(
                update_fields=[
                    "product_model",
                    "site",
                    "shipped_on",
                    "licensed_features",
                    "software_version",
                    "updated_at",
                ]
            )
        line = InstallationLine.objects.create(
            job=job,
            unit=unit,
            is_new_unit=is_new,
            product_model=product_model,
            serial=unit.serial,
            site=site,
            shipped_on=shipped_on,
            licensed_features=features,
            software_version=unit.software_version,
            notes=(notes or "").strip()[:300],
        )
        _record(
            job.ticket,
            "unit_created" if is_new else "unit_updated",
            by=by,
            at=now,
            text=f"{unit.serial} · {product_model.name}",
            serial=unit.serial,
        )
    return line


def update_commissioning_notes(
    *, job: InstallationJob, by: User, notes: str, now: datetime | None = None
) -> InstallationJob:
    """What was configured and tested during commissioning (调试记录)."""
    now = _moment(now)
    _require_worker(by)
    with transaction.atomic():
        job = _locked(job)
        job.commissioning_notes = (notes or "").strip()
        job.save(update_fields=["commissioning_notes", "updated_at"])
        _record(job.ticket, "commissioning_notes", by=by, at=now, text=job.commissioning_notes[:300])
    return job


def accept_installation(
    *,
    job: InstallationJob,
    by: User,
    accepted_by_name: str,
    accepted_on: date,
    now: datetime | None = None,
) -> InstallationJob:
    """Record the customer's acceptance (验收): who accepted and on which day.

    The acceptance day becomes every installed unit's ``accepted_on``, so each unit's warranty
    counts from it (``units.entitlement.warranty_ends``).
    """
    now = _moment(now)
    _require_worker(by)
    name = _text(accepted_by_name, gettext("Say who accepted the installation for the customer."))
    if accepted_on > local_date(now):
        raise InvalidInput(gettext("The acceptance day cannot be in the future."))
    with transaction.atomic():
        job = _locked(job)
        lines = list(job.lines.select_related("unit"))
        if not lines:
            raise InvalidInput(gettext("Add the installed units before recording the acceptance."))
        for line in lines:
            if accepted_on < line.unit.shipped_on:
                raise InvalidInput(
                    gettext("Unit %(serial)s was shipped on %(shipped)s, after the acceptance day.")
                    % {"serial": line.unit.serial, "shipped": line.unit.shipped_on.isoformat()}
                )
        _move(job, InstallationJob.Status.ACCEPTED, by=by, at=now, text=name)
        job.accepted_by_name = name[:100]
        job.accepted_on = accepted_on
        job.acceptance_recorded_by = by
        job.acceptance_recorded_at = now
        job.save(
            update_fields=[
                "status",
                "accepted_by_name",
                "accepted_on",
                "acceptance_recorded_by",
                "acceptance_recorded_at",
                "updated_at",
            ]
        )
        Unit.objects.filter(pk__in=[line.unit_id for line in lines]).update(
            accepted_on=accepted_on, updated_at=now
        )
        _record(
            job.ticket,
            "accepted",
            by=by,
            at=now,
            text=f"{name} · {accepted_on.isoformat()}",
            accepted_on=accepted_on.isoformat(),
        )
    return job


# --- training ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeLine:
    name: str
    organisation: str = ""
    department: str = ""


def parse_attendee_lines(text: str, *, default_organisation: str = "") -> list[AttendeeLine]:
    """One attendee a line: ``name, organisation, department`` (commas, Chinese commas or tabs).

    Blank lines are skipped; a missing organisation is the customer's name.
    """
    attendees = []
    for raw in (text or "").splitlines():
        parts = [part.strip() for part in re.split(r"[,，\t;；]", raw)]
        if not parts or not parts[0]:
            continue
        name, organisation, department = [*parts, "", ""][:3]
        if len(name) > 100 or len(organisation) > 200 or len(department) > 100:
            raise InvalidInput(gettext("This attendee line is too long: %(line)s") % {"line": raw[:60]})
        attendees.append(AttendeeLine(name, organisation or default_organisation, department))
    return attendees


def add_attendees(
    *, session: TrainingSession, by: User, text: str, now: datetime | None = None
) -> list[TrainingAttendee]:
    """Add attendees typed as a list, one a line (see ``parse_attendee_lines``)."""
    now = _moment(now)
    _require_worker(by)
    with transaction.atomic():
        session = _locked(session)
        lines = parse_attendee_lines(text, default_organisation=session.ticket.customer.name)
        if not lines:
            raise InvalidInput(gettext("Type at least one attendee, one a line."))
        created = TrainingAttendee.objects.bulk_create(
            [
                TrainingAttendee(
                    session=session, name=a.name, organisation=a.organisation, department=a.department
                )
                for a in lines
            ]
        )
        _record(session.ticket, "attendees", by=by, at=now, text=", ".join(a.name for a in lines)[:500])
    return created


def record_feedback(
    *,
    session: TrainingSession,
    by: User,
    scores: dict[int, tuple[int | None, str]],
    now: datetime | None = None,
) -> TrainingSession:
    """Record each attendee's feedback: ``{attendee_id: (score 1–5 or None, comment)}``."""
    now = _moment(now)
    _require_worker(by)
    with transaction.atomic():
        session = _locked(session)
        attendees = {a.pk: a for a in session.attendees.all()}
        unknown = set(scores) - set(attendees)
        if unknown:
            raise InvalidInput(gettext("An attendee is not on this training."))
        changed = []
        for attendee_id, (score, comment) in scores.items():
            if score is not None and not 1 <= int(score) <= 5:
                raise InvalidInput(gettext("A feedback score is from 1 to 5."))
            attendee = attendees[attendee_id]
            attendee.score = int(score) if score is not None else None
            attendee.comment = (comment or "").strip()
            changed.append(attendee)
        TrainingAttendee.objects.bulk_update(changed, ["score", "comment"])
        _record(session.ticket, "feedback", by=by, at=now, text=str(len(changed)))
    return session


def record_training_held(
    *, session: TrainingSession, by: User, summary: str = "", now: datetime | None = None
) -> TrainingSession:
    """The training took place (not before its start)."""
    now = _moment(now)
    _require_worker(by)
    with transaction.atomic():
        session = _locked(session)
        if session.starts_at > now:
            raise InvalidInput(gettext("A training cannot be recorded as held before it starts."))
        _move(session, TrainingSession.Status.HELD, by=by, at=now)
        session.held_at = now
        session.summary = (summary or "").strip()
        session.save(update_fields=["status", "held_at", "summary", "updated_at"])
    return session


def attach_training_material(
    *, session: TrainingSession, by: User, upload: File, now: datetime | None = None
) -> TrainingMaterial:
    """Keep a file handed out at the training (slides, manual)."""
    now = _moment(now)
    _require_worker(by)
    content, name, size = _stored_file(upload, what="material")
    with transaction.atomic():
        session = _locked(session)
        material = TrainingMaterial(session=session, name=name, size=size, uploaded_at=now, uploaded_by=by)
        material.file.save(content.name, content, save=False)
        material.save()
        _record(session.ticket, "material", by=by, at=now, text=name)
    return material


# --- migration -----------------------------------------------------------------------------------


def upload_migration_plan(
    *, job: MigrationJob, by: User, upload: File, now: datetime | None = None
) -> MigrationJob:
    """Keep the migration plan document; a new upload replaces it (the timeline keeps each name)."""
    now = _moment(now)
    _require_worker(by)
    content, name, _size = _stored_file(upload, what="plan")
    with transaction.atomic():
        job = _locked(job)
        if job.status in (MigrationJob.Status.COMPLETED, MigrationJob.Status.ACCEPTED):
            raise InvalidTransition(gettext("The migration is finished; its plan can no longer change."))
        job.plan_document.save(content.name, content, save=False)
        job.plan_document_name = name
        job.plan_uploaded_at = now
        job.save(update_fields=["plan_document", "plan_document_name", "plan_uploaded_at", "updated_at"])
        _record(job.ticket, "plan", by=by, at=now, text=name)
    return job


def agree_change_window(
    *,
    job: MigrationJob,
    by: User,
    starts_at: datetime,
    ends_at: datetime,
    agreed_with: str,
    now: datetime | None = None,
) -> MigrationJob:
    """Record the change window agreed with the customer; it must lie in the future."""
    now = _moment(now)
    _require_worker(by)
    agreed_with = _text(agreed_with, gettext("Say with whom at the customer the window was agreed."))
    if starts_at <= now:
        raise InvalidInput(gettext("The change window must start in the future."))
    if ends_at <= starts_at:
        raise InvalidInput(gettext("The change window must end after it starts."))
    with transaction.atomic():
        job = _locked(job)
        if not job.plan_document:
            raise InvalidInput(gettext("Upload the migration plan before agreeing the change window."))
        _move(job, MigrationJob.Status.AGREED, by=by, at=now, text=agreed_with)
        job.window_starts_at, job.window_ends_at = starts_at, ends_at
        job.window_agreed_with, job.window_agreed_at = agreed_with[:100], now
        job.save(
            update_fields=[
                "status",
                "window_starts_at",
                "window_ends_at",
                "window_agreed_with",
                "window_agreed_at",
                "updated_at",
            ]
        )
        _record(
            job.ticket,
            "window",
            by=by,
            at=now,
            text=agreed_with,
            starts_at=starts_at.isoformat(),
            ends_at=ends_at.isoformat(),
        )
    return job


def record_migration_step(
    *,
    job: MigrationJob,
    by: User,
    description: str,
    done_at: datetime | None = None,
    outside_window_reason: str = "",
    now: datetime | None = None,
) -> MigrationStep:
    """A step done; outside the agreed change window only with the reason recorded."""
    now = _moment(now)
    _require_worker(by)
    done_at = done_at or now
    description = _text(description, gettext("Describe the step."))[:300]
    reason = (outside_window_reason or "").strip()[:300]
    _not_in_future(done_at, now, gettext("The time the step was done"))
    with transaction.atomic():
        job = _locked(job)
        if job.status != MigrationJob.Status.AGREED:
            raise InvalidTransition(gettext("Steps are recorded once the change window is agreed."))
        inside = job.window_starts_at <= done_at <= job.window_ends_at
        if not inside and not reason:
            raise InvalidInput(gettext("This step is outside the agreed change window: record why."))
        step = MigrationStep.objects.create(
            job=job,
            description=description,
            done_at=done_at,
            done_by=by,
            outside_window_reason="" if inside else reason,
        )
        _record(job.ticket, "step", by=by, at=now, text=description, outside_window=not inside)
    return step


def record_migration_result(
    *, job: MigrationJob, by: User, result: str, notes: str = "", now: datetime | None = None
) -> MigrationJob:
    """The migration is over: succeeded, partly, or rolled back."""
    now = _moment(now)
    _require_worker(by)
    if result not in MigrationJob.Result.values:
        raise InvalidInput(gettext("Choose the result of the migration."))
    with transaction.atomic():
        job = _locked(job)
        if job.status == MigrationJob.Status.AGREED and not job.steps.exists():
            raise InvalidInput(gettext("Record the steps done before the result."))
        _move(job, MigrationJob.Status.COMPLETED, by=by, at=now, text=MigrationJob.Result(result).label)
        job.result, job.result_notes, job.completed_at = result, (notes or "").strip(), now
        job.save(update_fields=["status", "result", "result_notes", "completed_at", "updated_at"])
    return job


def accept_migration(
    *,
    job: MigrationJob,
    by: User,
    accepted_by_name: str,
    accepted_at: datetime | None = None,
    now: datetime | None = None,
) -> MigrationJob:
    """Record the customer's acceptance of the migrated system: who and when."""
    now = _moment(now)
    _require_worker(by)
    name = _text(accepted_by_name, gettext("Say who accepted the migration for the customer."))
    accepted_at = accepted_at or now
    _not_in_future(accepted_at, now, gettext("The acceptance"))
    with transaction.atomic():
        job = _locked(job)
        if job.completed_at is not None and accepted_at < job.completed_at:
            raise InvalidInput(gettext("The acceptance cannot precede the end of the migration."))
        _move(job, MigrationJob.Status.ACCEPTED, by=by, at=now, text=name)
        job.accepted_by_name, job.accepted_at = name[:100], accepted_at
        job.save(update_fields=["status", "accepted_by_name", "accepted_at", "updated_at"])
    return job
