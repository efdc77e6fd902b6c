"""Service requests (tickets), their timeline, handling reports and follow-ups."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ServiceCentre
from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Contact, Customer, Site
from aftersales.units.models import Contract, Unit, UnitPart


class Kind(models.TextChoices):
    FAULT = "fault", _("Fault")
    COMPLAINT = "complaint", _("Complaint")
    CONSULTATION = "consultation", _("Consultation")
    INSTALLATION = "installation", _("Installation and commissioning")
    TRAINING = "training", _("Training")
    MIGRATION = "migration", _("System migration")
    UPGRADE = "upgrade", _("Upgrade request")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web portal")
    API = "api", _("API")


class Severity(models.TextChoices):
    SEVERE = "severe", _("Severe: business interrupted")
    GENERAL = "general", _("General: slight impact")


class Level(models.TextChoices):
    L1 = "L1", _("L1 hotline guidance")
    L2 = "L2", _("L2 remote support")
    L3 = "L3", _("L3 on site")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING)


class Entitlement(models.TextChoices):
    IN_WARRANTY = "in_warranty", _("In warranty")
    UNDER_CONTRACT = "under_contract", _("Under contract")
    CHARGEABLE = "chargeable", _("Chargeable")
    NOT_APPLICABLE = "not_applicable", _("No unit")


class Ticket(TimeStampedModel):
    """A service request (服务请求): a fault, complaint, consultation or service job.

    ``version`` guards against two people saving the same ticket: a save based
    on an old version is refused. ``next_due_at`` is the nearest unmet due time
    of its clocks, kept by the clock services so the queue sorts on an index.
    The entitlement verdict is the one the ticket was opened with; a manager may
    override it with a reason (recorded on the timeline).
    """

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.FAULT)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    level_reached = models.CharField(_("service level reached"), max_length=2, choices=Level, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    business_impact = models.TextField(_("business impact"), blank=True)

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("site")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("unit")
    )
    part = models.ForeignKey(
        UnitPart,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("part"),
    )
    reporter = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_tickets",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter name"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=40, blank=True)
    reporter_email = models.EmailField(_("reporter e-mail"), blank=True)
    onsite_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="onsite_tickets",
        verbose_name=_("on-site contact"),
    )
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("service centre"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="taken_tickets",
        verbose_name=_("taken by"),
    )
    is_site_covered = models.BooleanField(_("site covered by a centre"), default=True)

    entitlement = models.CharField(
        _("entitlement"), max_length=16, choices=Entitlement, default=Entitlement.NOT_APPLICABLE
    )
    entitlement_reason = models.CharField(_("entitlement reason"), max_length=300, blank=True)
    entitlement_contract = models.ForeignKey(
        Contract,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("covering contract"),
    )
    warranty_ends_on = models.DateField(_("warranty ends on"), null=True, blank=True)
    entitlement_overridden = models.BooleanField(_("entitlement overridden"), default=False)

    reported_at = models.DateTimeField(
        _("reported at"), help_text=_("When the report reached us; starts the response clock.")
    )
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    onsite_requested_at = models.DateTimeField(_("on-site requested at"), null=True, blank=True)
    rnd_onsite_requested_at = models.DateTimeField(_("R&D on site requested at"), null=True, blank=True)
    local_arrived_at = models.DateTimeField(_("local engineer arrived at"), null=True, blank=True)
    rnd_arrived_at = models.DateTimeField(_("R&D engineer arrived at"), null=True, blank=True)
    restored_at = models.DateTimeField(_("service restored at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    auto_closed = models.BooleanField(_("closed automatically"), default=False)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    complaint_outcome = models.TextField(_("complaint outcome"), blank=True)

    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    has_breach = models.BooleanField(_("has a breached promise"), default=False)
    is_provisional = models.BooleanField(_("provisional due date"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-reported_at"]
        indexes = [
            # The queue: open tickets by nearest due time (see NOTES: never MIN() at query time).
            models.Index(fields=["status", "next_due_at"], name="ticket_queue"),
            models.Index(fields=["centre", "status", "next_due_at"], name="ticket_centre_queue"),
            models.Index(fields=["assignee", "status", "next_due_at"], name="ticket_assignee_queue"),
            models.Index(fields=["customer", "reported_at"]),
            models.Index(fields=["unit", "reported_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("desk:ticket", kwargs={"number": self.number})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketEventQuerySet(models.QuerySet):
    """Bulk edits and deletes of timeline rows are refused like single ones."""

    def update(self, **kwargs):
        raise RuntimeError("ticket events are written once and never edited")

    def delete(self):
        raise RuntimeError("ticket events are never deleted")


class TicketEvent(models.Model):
    """One line of a ticket's timeline; written once, never edited or deleted."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        FIELD = "field", _("Field changed")
        REPLY = "reply", _("Public reply")
        CUSTOMER_REPLY = "customer_reply", _("Customer reply")
        NOTE = "note", _("Internal note")
        CALL = "call", _("Call logged")
        ACKNOWLEDGEMENT = "acknowledgement", _("Automatic acknowledgement")
        HANDLING_REPORT = "handling_report", _("Handling report")
        FOLLOW_UP = "follow_up", _("Follow-up")
        ONSITE = "onsite", _("On-site service")
        RESTORED = "restored", _("Service restored")
        CLOCK_MET = "clock_met", _("Promise met")
        CLOCK_WARNING = "clock_warning", _("Promise at risk")
        CLOCK_BREACHED = "clock_breached", _("Promise breached")
        ESCALATED = "escalated", _("Escalated")
        ENTITLEMENT = "entitlement", _("Entitlement overridden")
        DUPLICATE = "duplicate", _("Duplicate linked")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_events",
        verbose_name=_("by"),
    )
    is_public = models.BooleanField(_("visible to the customer"), default=False)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    field = models.CharField(_("field"), max_length=40, blank=True)
    old_value = models.CharField(_("old value"), max_length=300, blank=True)
    new_value = models.CharField(_("new value"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise RuntimeError("ticket events are written once and never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("ticket events are never deleted")


class HandlingReport(models.Model):
    """The centre's handling report (处理报告): what was wrong and what was done.

    The specialist reads it before the follow-up call; resolving needs one.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="handling_reports", verbose_name=_("ticket")
    )
    diagnosis = models.TextField(_("diagnosis"))
    actions_taken = models.TextField(_("what was done"))
    level_reached = models.CharField(_("service level reached"), max_length=2, choices=Level)
    root_cause = models.TextField(_("root cause"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("handling report")
        verbose_name_plural = _("handling reports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket} · {self.created_at:%Y-%m-%d}"


class FollowUp(models.Model):
    """The follow-up (回访): the customer confirms the fix (or not) and rates the service."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("ticket")
    )
    is_fixed = models.BooleanField(_("fixed"))
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    comment = models.TextField(_("comment and suggestions"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel, default=Channel.PHONE)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="satisfaction_from_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} · {'fixed' if self.is_fixed else 'not fixed'}"


class TicketSettings(models.Model):
    """The ticket life cycle's configurable numbers (one row, edited in the admin).

    The letter leaves these vague; a vendor tunes them: how long a resolved
    ticket waits for the customer before it closes by itself, how long a closed
    ticket may still be reopened, how detailed an on-site request must be, and
    who owns complaints.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    auto_close_after_days = models.PositiveSmallIntegerField(
        _("auto-close after (days of silence)"),
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_("A resolved ticket without a reply or follow-up for this long closes by itself."),
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        _("reopen window (days)"),
        default=30,
        help_text=_("A closed ticket may be reopened for this many days after closing."),
    )
    onsite_description_min_length = models.PositiveSmallIntegerField(
        _("minimum on-site fault description (characters)"),
        default=20,
        help_text=_("The letter asks for a detailed fault description before on-site service."),
    )
    complaint_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("complaint owner"),
        help_text=_("The customer-service manager who receives complaints; blank: the first manager."),
    )

    class Meta:
        verbose_name = _("ticket settings")
        verbose_name_plural = _("ticket settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="ticket_settings_singleton")]

    def __str__(self) -> str:
        return str(_("Ticket settings"))


def attachment_path(instance: Attachment, filename: str) -> str:
    """A generated storage name: the sender's file name never chooses a path.

    ``filename`` is ignored but for a short, sanitised extension, so a name
    such as ``../../settings.py`` or ``发票.PDF`` lands at
    ``attachments/2026/11/<uuid hex>.pdf``.
    """
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    extension = f".{suffix}" if re.fullmatch(r"[a-z0-9]{1,8}", suffix) else ""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class Attachment(models.Model):
    """A file a customer or a colleague sent with a ticket (mail, portal or console upload).

    The stored name is generated; ``original_name`` is for display only. An
    oversize file is recorded as ``refused`` without content, with the reason,
    so staff know something was sent that never arrived.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    event = models.ForeignKey(
        TicketEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("timeline event"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200, blank=True)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    is_public = models.BooleanField(_("visible to the customer"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created at"))
    refused = models.BooleanField(_("refused"), default=False)
    refusal_reason = models.CharField(_("refusal reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return self.original_name or self.file.name
