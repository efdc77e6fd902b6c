"""Jobs: installation and commissioning (安装调试), training sessions (培训), system migrations (系统移植).

Each job is a service request of its own kind: a ``tickets.Ticket`` of kind ``installation``,
``training`` or ``migration`` (opened through the intake, so the policy's clocks run) plus one
record here, one-to-one with the ticket, holding what that kind of work needs. The ticket's
number is the job's number. Visits to do the work belong to ``visits``; the job's report is a PDF.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Customer, Site
from aftersales.tickets.models import Ticket
from aftersales.units.models import ProductModel, Unit


class InstallationJob(TimeStampedModel):
    """The first installation and commissioning of units at a customer's site, and its acceptance.

    The acceptance day (验收) is the day each unit's warranty starts (``Unit.accepted_on``).
    """

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACCEPTED = "accepted", _("Accepted by the customer")

    ticket = models.OneToOneField(
        Ticket, on_delete=models.PROTECT, related_name="installation_job", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="installation_jobs",
        verbose_name=_("customer"),
        help_text=_("The ticket's customer, kept on the job for lists by customer."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.PLANNED)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("site")
    )
    commissioning_notes = models.TextField(_("commissioning notes"), blank=True)
    accepted_by_name = models.CharField(_("accepted by (customer's contact)"), max_length=100, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    acceptance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acceptance recorded by"),
    )
    acceptance_recorded_at = models.DateTimeField(_("acceptance recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("installation job")
        verbose_name_plural = _("installation jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {_('installation and commissioning')}"

    @property
    def is_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED


class InstallationLine(models.Model):
    """One unit the job installs: a new unit it created, or an existing unit it updated."""

    job = models.ForeignKey(
        InstallationJob, on_delete=models.CASCADE, related_name="lines", verbose_name=_("job")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    is_new_unit = models.BooleanField(_("unit created by this job"), default=True)
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="+", verbose_name=_("model")
    )
    serial = models.CharField(_("serial number"), max_length=64)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("site")
    )
    shipped_on = models.DateField(_("shipped on"))
    licensed_features = models.JSONField(_("licensed features"), default=list, blank=True)
    software_version = models.CharField(_("software version"), max_length=40, blank=True)
    notes = models.CharField(_("commissioning notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("installed unit")
        verbose_name_plural = _("installed units")
        ordering = ["job", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "unit"], name="one_line_per_unit_and_job")]

    def __str__(self) -> str:
        return f"{self.job.ticket.number} · {self.serial}"


class TrainingSession(TimeStampedModel):
    """A training for a customer's staff: topic, trainer, when, where, who attended and their scores."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")

    ticket = models.OneToOneField(
        Ticket, on_delete=models.PROTECT, related_name="training_session", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="training_sessions",
        verbose_name=_("customer"),
        help_text=_("The ticket's customer, kept on the job for lists by customer."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.PLANNED)
    topic = models.CharField(_("topic"), max_length=200)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("trainer")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    held_at = models.DateTimeField(_("recorded as held at"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {self.topic}"


class TrainingAttendee(models.Model):
    """One person at a training, with the score (1–5) and comment they gave."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendees", verbose_name=_("training")
    )
    name = models.CharField(_("name"), max_length=100)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    score = models.PositiveSmallIntegerField(
        _("feedback score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["session", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="attendee_score_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TrainingMaterial(models.Model):
    """A file handed out at a training (slides, manual), kept with the session."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="materials", verbose_name=_("training")
    )
    file = models.FileField(_("file"), upload_to="jobs/training/%Y/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("training material")
        verbose_name_plural = _("training materials")
        ordering = ["session", "id"]

    def __str__(self) -> str:
        return self.name


class MigrationJob(TimeStampedModel):
    """Moving a customer's system to new hardware or software: plan, agreed change window, steps, result."""

    class Status(models.TextChoices):
        PLANNING = "planning", _("Planning")
        AGREED = "agreed", _("Change window agreed")
        COMPLETED = "completed", _("Completed, awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted by the customer")

    class Result(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Partly succeeded")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    ticket = models.OneToOneField(
        Ticket, on_delete=models.PROTECT, related_name="migration_job", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="migration_jobs",
        verbose_name=_("customer"),
        help_text=_("The ticket's customer, kept on the job for lists by customer."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.PLANNING)
    scope = models.TextField(_("what is migrated"), blank=True)
    plan_document = models.FileField(_("plan document"), upload_to="jobs/migration/%Y/", blank=True)
    plan_document_name = models.CharField(_("plan document name"), max_length=200, blank=True)
    plan_uploaded_at = models.DateTimeField(_("plan uploaded at"), null=True, blank=True)
    window_starts_at = models.DateTimeField(_("change window starts"), null=True, blank=True)
    window_ends_at = models.DateTimeField(_("change window ends"), null=True, blank=True)
    window_agreed_with = models.CharField(_("window agreed with"), max_length=100, blank=True)
    window_agreed_at = models.DateTimeField(_("window agreed at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=12, choices=Result, blank=True)
    result_notes = models.TextField(_("result notes"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    accepted_by_name = models.CharField(_("accepted by (customer's contact)"), max_length=100, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("system migration")
        verbose_name_plural = _("system migrations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {_('system migration')}"


class MigrationStep(models.Model):
    """One step of a migration, done at a moment by someone; outside the window only with a reason."""

    job = models.ForeignKey(
        MigrationJob, on_delete=models.CASCADE, related_name="steps", verbose_name=_("job")
    )
    description = models.CharField(_("step"), max_length=300)
    done_at = models.DateTimeField(_("done at"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("done by")
    )
    outside_window_reason = models.CharField(_("why outside the change window"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("migration step")
        verbose_name_plural = _("migration steps")
        ordering = ["job", "done_at", "id"]

    def __str__(self) -> str:
        return self.description


EVENT_LABELS = {
    "started": _("Job started"),
    "status": _("Status changed"),
    "visit_scheduled": _("Visit planned"),
    "unit_created": _("Unit created"),
    "unit_updated": _("Unit updated"),
    "commissioning_notes": _("Commissioning notes"),
    "accepted": _("Accepted by the customer"),
    "attendees": _("Attendees added"),
    "feedback": _("Feedback recorded"),
    "material": _("Material attached"),
    "plan": _("Plan document uploaded"),
    "window": _("Change window agreed"),
    "step": _("Step done"),
}
STATUS_LABELS = {
    **dict(InstallationJob.Status.choices),
    **dict(TrainingSession.Status.choices),
    **dict(MigrationJob.Status.choices),
}


class JobEvent(models.Model):
    """The job's timeline: each step recorded (who, when, what), written once, never edited."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="job_events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=32)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("job event")
        verbose_name_plural = _("job events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {self.kind}"

    @property
    def label(self) -> str:
        """What happened, in the reader's language (a status change names the new status)."""
        if self.kind == "status" and self.to_status:
            return f"{EVENT_LABELS['status']}: {STATUS_LABELS.get(self.to_status, self.to_status)}"
        return str(EVENT_LABELS.get(self.kind, self.kind))
