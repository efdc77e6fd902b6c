"""Inspections (巡检): checklist templates and the results recorded on an inspection visit.

Plans that generate inspection visits ahead of time live here too.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.tickets.models import Ticket
from aftersales.units.models import Unit
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
    outcome = models.CharField(_("result"), max_length=12, choices=Outcome)
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

    class Meta:
        verbose_name = _("checklist result")
        verbose_name_plural = _("checklist results")
        ordering = ["visit", "id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.get_outcome_display()}"
