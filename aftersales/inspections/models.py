"""Inspections (巡检): checklist templates and the results recorded on an inspection visit.

Plans that generate inspection visits ahead of time live here too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ServiceCentre
from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Customer, Site
from aftersales.tickets.models import Ticket
from aftersales.units.models import Contract, Unit
from aftersales.visits.models import Visit


class ChecklistTemplate(models.Model):
    """A named list of items an inspection (or a periodic contact) goes through."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("in use"), default=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """One item of a template, in a section."""

    class Section(models.TextChoices):
        HEALTH = "health", _("System health")
        QUESTIONS = "questions", _("Questions answered")
        FAULTS = "faults", _("Faults found and fixed")
        SECURITY = "security", _("Security news shared with the customer")

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="items", verbose_name=_("template")
    )
    section = models.CharField(_("section"), max_length=12, choices=Section, default=Section.HEALTH)
    label = models.CharField(_("item"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["template", "position", "id"]

    def __str__(self) -> str:
        return self.label


class ChecklistResult(models.Model):
    """The result of one item on one visit (copied label: editing a template never rewrites history)."""

    class Outcome(models.TextChoices):
        OK = "ok", _("OK")
        ATTENTION = "attention", _("Needs attention")
        FAULT = "fault", _("Fault")

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="checklist_results", verbose_name=_("visit")
    )
    item = models.ForeignKey(
        ChecklistItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    section = models.CharField(_("section"), max_length=12, choices=ChecklistItem.Section)
    label = models.CharField(_("item"), max_length=300)
    unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    outcome = models.CharField(
        _("result"),
        max_length=12,
        choices=Outcome,
        blank=True,
        help_text=_("Empty until the item is checked."),
    )
    note = models.TextField(_("note"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="inspections/photos/%Y/", blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket opened for the fault"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist result")
        verbose_name_plural = _("checklist results")
        ordering = ["visit", "position", "id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.get_outcome_display() or '—'}"

    @property
    def may_open_ticket(self) -> bool:
        return self.outcome in (self.Outcome.FAULT, self.Outcome.ATTENTION) and self.ticket_id is None


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")
    YEARLY = "yearly", _("Yearly")
    EVERY_N_WEEKS = "weeks", _("Every N weeks")


FREQUENCY_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


class InspectionPlan(TimeStampedModel):
    """A promise of periodic inspections (or remote periodic contacts) for a customer's sites and units.

    Visits are generated ahead of time (``horizon_days``) from ``starts_on`` and the frequency,
    one per occurrence and site; a day off moves an occurrence to the next working day.
    """

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="inspection_plans", verbose_name=_("customer")
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_plans",
        verbose_name=_("contract"),
    )
    sites = models.ManyToManyField(Site, blank=True, related_name="inspection_plans", verbose_name=_("sites"))
    units = models.ManyToManyField(Unit, blank=True, related_name="inspection_plans", verbose_name=_("units"))
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=Frequency, default=Frequency.QUARTERLY
    )
    every_weeks = models.PositiveSmallIntegerField(
        _("every N weeks"), null=True, blank=True, help_text=_("Only for the frequency “every N weeks”.")
    )
    starts_on = models.DateField(_("first occurrence"))
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    template = models.ForeignKey(
        ChecklistTemplate,
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("checklist template"),
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_plans",
        verbose_name=_("responsible engineer"),
    )
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_plans",
        verbose_name=_("responsible centre"),
    )
    is_remote_contact = models.BooleanField(
        _("remote periodic contact"), default=False, help_text=_("A call to the customer instead of a trip.")
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("generate ahead (days)"), default=60, help_text=_("Visits are created this many days ahead.")
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind days before"), default=3, help_text=_("The engineer and the account manager are reminded.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        ordering = ["customer__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="inspection_plan_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlanOccurrence(models.Model):
    """One generated occurrence of a plan at one site: the idempotency key of generation."""

    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.CASCADE, related_name="occurrences", verbose_name=_("plan")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("site")
    )
    occurs_on = models.DateField(_("occurrence (before moving off days off)"))
    visit = models.OneToOneField(
        Visit, on_delete=models.CASCADE, related_name="plan_occurrence", verbose_name=_("visit")
    )
    created_at = models.DateTimeField(_("generated at"))

    class Meta:
        verbose_name = _("plan occurrence")
        verbose_name_plural = _("plan occurrences")
        ordering = ["occurs_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "occurs_on", "site"], name="one_visit_per_occurrence_site"
            ),
            models.UniqueConstraint(
                fields=["plan", "occurs_on"],
                condition=models.Q(site__isnull=True),
                name="one_visit_per_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.occurs_on}"


class VisitChecklist(models.Model):
    """The checklist of one inspection or periodic-contact visit: progress and completion."""

    visit = models.OneToOneField(
        Visit, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("visit")
    )
    template = models.ForeignKey(
        ChecklistTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    started_at = models.DateTimeField(_("started at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    summary = models.TextField(_("summary"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("visit checklist")
        verbose_name_plural = _("visit checklists")

    def __str__(self) -> str:
        return f"{self.visit.number} · {_('checklist')}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None
