"""Engineers' visits (上门服务): dispatch, arrival with evidence, and the service report.

A visit (``VS-2026-000001``) is one trip of one or more engineers to one site for one purpose:
an on-site repair from a ticket, a site survey, an installation, an inspection, a training, a
migration, or a remote periodic contact (a call, no trip). The on-site promises belong to the
ticket; a visit meets them with the *confirmed* arrival of an engineer of the right kind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ServiceCentre
from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Contact, Customer, Site
from aftersales.tickets.models import Ticket
from aftersales.units.models import Unit


class VisitKind(models.TextChoices):
    ONSITE_REPAIR = "onsite_repair", _("On-site repair")
    SITE_SURVEY = "site_survey", _("Site survey (场地和环境视察)")
    INSTALLATION = "installation", _("Installation and commissioning")
    INSPECTION = "inspection", _("Inspection")
    TRAINING = "training", _("Training")
    MIGRATION = "migration", _("System migration")
    PERIODIC_CONTACT = "periodic_contact", _("Remote periodic contact")


class TravelZone(models.TextChoices):
    COVERED = "covered", _("Covered city")
    ELSEWHERE = "elsewhere", _("Elsewhere")


class Visit(TimeStampedModel):
    """One visit. ``version`` guards concurrent saves as on tickets."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACCEPTED = "accepted", _("Accepted by the engineer")
        ON_THE_WAY = "on_the_way", _("On the way")
        ON_SITE = "on_site", _("On site")
        LEFT = "left", _("Left the site, report pending")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=VisitKind, default=VisitKind.ONSITE_REPAIR)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PLANNED)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("ticket"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="visits", verbose_name=_("customer")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="visits", verbose_name=_("site")
    )
    units = models.ManyToManyField(Unit, blank=True, related_name="visits", verbose_name=_("units"))
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("service centre"),
    )
    onsite_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("customer's on-site contact"),
    )
    purpose = models.TextField(_("purpose"))
    why_remote_failed = models.TextField(
        _("why remote support was not enough"),
        blank=True,
        help_text=_("In warranty, on-site service is free when remote support could not solve the fault."),
    )
    planned_start = models.DateTimeField(_("planned start"))
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    due_on = models.DateField(
        _("to be done by"),
        null=True,
        blank=True,
        help_text=_("After this day an unfinished visit is overdue."),
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispatched_visits",
        verbose_name=_("dispatched by"),
    )
    is_chargeable = models.BooleanField(_("chargeable"), default=False)
    chargeable_reason = models.CharField(_("why (not) chargeable"), max_length=300, blank=True)
    travel_zone = models.CharField(
        _("travel zone"), max_length=12, choices=TravelZone, default=TravelZone.COVERED
    )
    hours_on_site = models.DecimalField(
        _("hours on site"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["planned_start"]
        indexes = [
            models.Index(fields=["status", "planned_start"], name="visit_board"),
            models.Index(fields=["customer", "planned_start"], name="visit_customer"),
            models.Index(fields=["centre", "planned_start"], name="visit_centre"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return f"/desk/visits/{self.number}/"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.COMPLETED, self.Status.CANCELLED)


# The visit's allowed moves, in one table: status → the statuses it may move to.
VISIT_MOVES: dict[str, frozenset[str]] = {
    Visit.Status.PLANNED: frozenset(
        {Visit.Status.ACCEPTED, Visit.Status.ON_THE_WAY, Visit.Status.ON_SITE, Visit.Status.CANCELLED}
    ),
    Visit.Status.ACCEPTED: frozenset({Visit.Status.ON_THE_WAY, Visit.Status.ON_SITE, Visit.Status.CANCELLED}),
    Visit.Status.ON_THE_WAY: frozenset({Visit.Status.ON_SITE, Visit.Status.CANCELLED}),
    Visit.Status.ON_SITE: frozenset({Visit.Status.LEFT, Visit.Status.COMPLETED}),
    Visit.Status.LEFT: frozenset({Visit.Status.ON_SITE, Visit.Status.COMPLETED}),
    Visit.Status.COMPLETED: frozenset(),
    Visit.Status.CANCELLED: frozenset(),
}

# A remote periodic contact (a call) has no trip: recording the call completes it.
REMOTE_CONTACT_MOVES: dict[str, frozenset[str]] = {
    Visit.Status.PLANNED: frozenset({Visit.Status.COMPLETED, Visit.Status.CANCELLED}),
    Visit.Status.ACCEPTED: frozenset({Visit.Status.COMPLETED, Visit.Status.CANCELLED}),
    Visit.Status.COMPLETED: frozenset(),
    Visit.Status.CANCELLED: frozenset(),
}

# Before arrival a visit may be re-planned or cancelled.
NOT_STARTED = frozenset({Visit.Status.PLANNED, Visit.Status.ACCEPTED, Visit.Status.ON_THE_WAY})


class VisitEngineer(models.Model):
    """One engineer on a visit, with that engineer's own steps and the arrival evidence."""

    class Confirmation(models.TextChoices):
        CODE = "code", _("Short code given by the customer's contact")
        SIGNATURE = "signature", _("Contact's signature on the engineer's screen")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="crew", verbose_name=_("visit"))
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visit_slots",
        verbose_name=_("engineer"),
    )
    is_rnd = models.BooleanField(_("R&D engineer"), default=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    departed_at = models.DateTimeField(_("on the way at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    arrival_note = models.CharField(_("location note"), max_length=300, blank=True)
    arrival_confirmed_at = models.DateTimeField(_("arrival confirmed at"), null=True, blank=True)
    confirmed_by = models.CharField(_("confirmed by (customer's contact)"), max_length=100, blank=True)
    confirmation = models.CharField(_("confirmed with"), max_length=12, choices=Confirmation, blank=True)
    confirmation_signature = models.TextField(_("signature (image data)"), blank=True)
    code_hash = models.CharField(max_length=128, blank=True, editable=False)
    code_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("engineer on a visit")
        verbose_name_plural = _("engineers on visits")
        ordering = ["visit", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "engineer"], name="one_slot_per_engineer")]
        indexes = [models.Index(fields=["engineer", "visit"], name="visit_engineer")]

    def __str__(self) -> str:
        return f"{self.visit.number} · {self.engineer}"

    @property
    def is_arrival_confirmed(self) -> bool:
        return self.arrival_confirmed_at is not None

    @property
    def is_arrival_unconfirmed(self) -> bool:
        """Checked in but the customer's contact has not confirmed it: shown and reported as such."""
        return self.arrived_at is not None and self.arrival_confirmed_at is None


class VisitEvent(models.Model):
    """The visit's timeline: each step, re-plan or cancellation, written once."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="events", verbose_name=_("visit"))
    kind = models.CharField(_("kind"), max_length=24)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("visit event")
        verbose_name_plural = _("visit events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.visit.number} · {self.kind}"


class ServiceReport(TimeStampedModel):
    """What a visit found and did, and the customer's sign-off (服务报告)."""

    class SignOff(models.TextChoices):
        DRAWN = "drawn", _("Signature drawn on the page")
        TYPED = "typed", _("Typed confirmation")

    visit = models.OneToOneField(
        Visit, on_delete=models.CASCADE, related_name="report", verbose_name=_("visit")
    )
    findings = models.TextField(_("findings"), blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    started_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("work ended at"), null=True, blank=True)
    signed_by_name = models.CharField(_("signed by"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    sign_off = models.CharField(_("sign-off"), max_length=8, choices=SignOff, blank=True)
    signature = models.TextField(_("signature (image data)"), blank=True)
    stamped_scan = models.FileField(
        _("stamped copy (盖章扫描件)"), upload_to="visits/stamped/%Y/", blank=True
    )
    stamped_scan_at = models.DateTimeField(_("stamped copy uploaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service report")
        verbose_name_plural = _("service reports")

    def __str__(self) -> str:
        return f"{self.visit.number} · {_('service report')}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class ReportPart(models.Model):
    """A part replaced on a visit: the serial taken out and the one fitted."""

    report = models.ForeignKey(
        ServiceReport, on_delete=models.CASCADE, related_name="parts", verbose_name=_("report")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    name = models.CharField(_("part"), max_length=100)
    part_number = models.CharField(_("part number"), max_length=64, blank=True)
    serial_out = models.CharField(_("serial taken out"), max_length=64, blank=True)
    serial_in = models.CharField(_("serial fitted"), max_length=64, blank=True)
    was_factory_configured = models.BooleanField(_("factory-configured part"), default=True)

    class Meta:
        verbose_name = _("part replaced")
        verbose_name_plural = _("parts replaced")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.serial_out}→{self.serial_in}"


class UnitSwap(models.Model):
    """A unit swapped on a visit: the old unit leaves service, the new one inherits its warranty."""

    report = models.ForeignKey(
        ServiceReport, on_delete=models.CASCADE, related_name="swaps", verbose_name=_("report")
    )
    old_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit taken out")
    )
    new_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit put in")
    )

    class Meta:
        verbose_name = _("unit swapped")
        verbose_name_plural = _("units swapped")

    def __str__(self) -> str:
        return f"{self.old_unit.serial}→{self.new_unit.serial}"
