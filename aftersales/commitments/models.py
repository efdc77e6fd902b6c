"""Service commitments as data: the versioned service policy, its rules, and the clocks.

A *rule* says which promise applies to which work (kind, severity, covered
site or not), how long it allows in which calendar, what starts it and what
meets it. A *clock* is one rule applied to one ticket, visit or repair: its
start, due time, warnings, and whether it was met or breached. ``commitments``
never imports what it measures: a clock names its subject by type and id and
carries what escalation needs (customer, centre, assignee, reference).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ServiceCentre
from aftersales.core.business_time import CHINA_WORKING_DAYS, WALL_CLOCK
from aftersales.customers.models import Customer
from aftersales.units.models import Contract


class Calendar(models.TextChoices):
    WALL_CLOCK = WALL_CLOCK, _("24×7 wall clock")
    CHINA_WORKING_DAYS = CHINA_WORKING_DAYS, _("China working days")


class Milestone(models.TextChoices):
    RESPONSE = "response", _("Response")
    ONSITE_LOCAL = "onsite_local", _("Local engineer on site")
    ONSITE_RND = "onsite_rnd", _("R&D engineer on site")
    RESTORED = "restored", _("Service restored")
    COMPLAINT_RESPONSE = "complaint_response", _("Complaint response")
    REPAIR_RETURN = "repair_return", _("Repaired unit shipped back")


class StartEvent(models.TextChoices):
    REPORTED = "reported", _("The report reached us")
    ONSITE_REQUESTED = "onsite_requested", _("On-site service requested")
    RND_ONSITE_REQUESTED = "rnd_onsite_requested", _("R&D engineer requested on site")
    REPAIR_RECEIVED = "repair_received", _("Unit received at the factory")


class MeetEvent(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First human response to the customer")
    LOCAL_ARRIVAL = "local_arrival", _("Arrival of a local engineer")
    RND_ARRIVAL = "rnd_arrival", _("Arrival of an R&D engineer")
    RESTORED = "restored", _("Service restored")
    REPAIR_SHIPPED_BACK = "repair_shipped_back", _("Repaired unit shipped back")


class Coverage(models.TextChoices):
    ANY = "any", _("Any site")
    COVERED = "covered", _("Site covered by a service centre")
    UNCOVERED = "uncovered", _("Site outside every centre's coverage")


class Outcome(models.TextChoices):
    """A promise's standing in compliance reports."""

    OPEN = "open", _("Running")
    KEPT = "kept", _("Kept")
    LATE_WITH_NOTICE = "late_with_notice", _("Late, customer told in advance")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class ServicePolicy(models.Model):
    """One version of the vendor's promises (or a contract's own), from a date on.

    The version in force at the moment a ticket was reported applies to it. A
    contract's policy overrides the vendor's rules for the same milestone.
    """

    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateTimeField(_("effective from"))
    contract = models.ForeignKey(
        Contract,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("contract"),
        help_text=_("Leave blank for the vendor's policy; set for a contract's own promises."),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("service policy")
        verbose_name_plural = _("service policies")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m-%d})"


class CommitmentRule(models.Model):
    """One promise: for which work, which milestone, how long, in which calendar."""

    policy = models.ForeignKey(
        ServicePolicy, on_delete=models.CASCADE, related_name="rules", verbose_name=_("policy")
    )
    milestone = models.CharField(_("milestone"), max_length=24, choices=Milestone)
    ticket_kind = models.CharField(
        _("ticket kind"), max_length=24, blank=True, help_text=_("Blank: every kind.")
    )
    severity = models.CharField(_("severity"), max_length=16, blank=True, help_text=_("Blank: any."))
    coverage = models.CharField(_("coverage"), max_length=16, choices=Coverage, default=Coverage.ANY)
    calendar = models.CharField(_("calendar"), max_length=24, choices=Calendar, default=Calendar.WALL_CLOCK)
    target_minutes = models.PositiveIntegerField(
        _("target (minutes)"),
        null=True,
        blank=True,
        help_text=_("Wall-clock target, or working time on top of the working days."),
    )
    target_working_days = models.PositiveSmallIntegerField(_("target (working days)"), null=True, blank=True)
    start_event = models.CharField(_("starts when"), max_length=24, choices=StartEvent)
    meet_event = models.CharField(_("met by"), max_length=24, choices=MeetEvent)
    may_pause = models.BooleanField(_("may pause"), default=False)
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before due (minutes)"),
        default=10,
        help_text=_("Warning to the assignee, centre lead and whoever is on duty."),
    )
    leadership_after_minutes = models.PositiveIntegerField(
        _("escalate to leadership after breach (minutes)"), default=60
    )

    class Meta:
        verbose_name = _("commitment rule")
        verbose_name_plural = _("commitment rules")
        ordering = ["policy", "milestone", "ticket_kind", "severity", "coverage"]

    def __str__(self) -> str:
        return f"{self.get_milestone_display()} · {self.target_label}"

    def clean(self) -> None:
        if self.calendar == Calendar.WALL_CLOCK and self.target_working_days:
            raise ValidationError({"target_working_days": _("A wall-clock rule is set in minutes.")})
        if (
            self.calendar == Calendar.CHINA_WORKING_DAYS
            and self.target_working_days is None
            and self.target_minutes is not None
        ):
            raise ValidationError({"target_working_days": _("A working-day rule needs working days.")})

    @property
    def has_target(self) -> bool:
        return self.target_minutes is not None or self.target_working_days is not None

    @property
    def target_label(self) -> str:
        if self.target_working_days:
            return _("%(days)s working days") % {"days": self.target_working_days}
        if self.target_minutes is None:
            return str(_("measured, no target"))
        if self.target_minutes % 60 == 0:
            return _("%(hours)s h") % {"hours": self.target_minutes // 60}
        return _("%(minutes)s min") % {"minutes": self.target_minutes}


class Clock(models.Model):
    """One promise running for one subject (a ticket, visit or repair).

    ``next_action_at`` is the next moment the escalation sweep must look at this
    clock (its warning, its breach or its leadership escalation). It is kept
    current by the clock services and indexed, so the sweep's cost grows with
    the clocks that are due, not with the open ones.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        CANCELLED = "cancelled", _("Cancelled")

    subject_type = models.CharField(_("subject type"), max_length=16)
    subject_id = models.BigIntegerField(_("subject id"))
    reference = models.CharField(_("reference"), max_length=40, help_text=_("e.g. SR-2026-000123"))
    rule = models.ForeignKey(
        CommitmentRule, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("rule")
    )
    milestone = models.CharField(_("milestone"), max_length=24, choices=Milestone)
    calendar = models.CharField(_("calendar"), max_length=24, choices=Calendar)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    base_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_provisional = models.BooleanField(_("provisional"), default=False)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, editable=False)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    leadership_at = models.DateTimeField(_("escalated to leadership at"), null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True, editable=False)
    late_notice_at = models.DateTimeField(_("customer told of delay at"), null=True, blank=True)
    promised_new_at = models.DateTimeField(_("new date promised"), null=True, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("customer")
    )
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clocks",
        verbose_name=_("centre"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clocks",
        verbose_name=_("assignee"),
    )

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(
                fields=["next_action_at"],
                name="clock_next_action",
                condition=models.Q(next_action_at__isnull=False),
            ),
            models.Index(fields=["customer", "started_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "milestone"],
                condition=~models.Q(status="cancelled"),
                name="one_live_clock_per_milestone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_milestone_display()}"

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RUNNING, self.Status.PAUSED)

    @property
    def outcome(self) -> str:
        """How the promise stands for compliance reports (``Outcome`` values)."""
        if self.breached_at is None:
            if self.status == self.Status.CANCELLED:
                return Outcome.CANCELLED
            return Outcome.KEPT if self.status == self.Status.MET else Outcome.OPEN
        # A breach stays a breach: closing or cancelling the ticket afterwards never hides it.
        told_in_time = self.late_notice_at is not None and self.late_notice_at <= self.due_at
        if told_in_time and (self.met_at is None or self.met_at <= self.promised_new_at):
            return Outcome.LATE_WITH_NOTICE
        return Outcome.BROKEN

    @property
    def minutes_late(self) -> int | None:
        """Minutes past due at the meeting moment (negative: early); None while unmet."""
        if self.met_at is None or self.due_at is None:
            return None
        return int((self.met_at - self.due_at).total_seconds() // 60)


class ClockNotice(models.Model):
    """One escalation notice of one clock: warning, breach, leadership.

    The unique constraint is what makes the sweep idempotent: two sweeps racing
    on the same clock cannot both write the notice (and its outbox rows).
    """

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning before due")
        BREACH = "breach", _("Breached")
        LEADERSHIP = "leadership", _("Escalated to leadership")

    clock = models.ForeignKey(
        Clock, on_delete=models.CASCADE, related_name="notices", verbose_name=_("clock")
    )
    level = models.CharField(_("level"), max_length=16, choices=Level)
    created_at = models.DateTimeField(_("created at"))
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        verbose_name = _("clock notice")
        verbose_name_plural = _("clock notices")
        constraints = [
            models.UniqueConstraint(fields=["clock", "level"], name="one_notice_per_clock_and_level")
        ]

    def __str__(self) -> str:
        return f"{self.clock} · {self.get_level_display()}"
