"""Shared base models, document numbering and the working-day calendar."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Base for business records: when the row was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class DocumentSequence(models.Model):
    """The last number issued for one document prefix in one year (SR-2026-000123).

    Numbers are taken by an atomic ``UPDATE … SET last_number = last_number + 1``
    so two concurrent creations never get the same number (see ``numbering``).
    """

    prefix = models.CharField(_("prefix"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document sequence")
        verbose_name_plural = _("document sequences")
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="unique_sequence_per_year")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_number}"


class CalendarYear(models.Model):
    """One year of the China working-day calendar and whether it is official.

    A year is official once the State Council's schedule (holidays and make-up
    working weekends, 调休) has been entered; until then working days fall back
    to Monday–Friday and every due date computed on it is provisional.
    """

    class Source(models.TextChoices):
        PACKAGE = "package", _("chinesecalendar package")
        ADMIN = "admin", _("entered by an administrator")

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    is_official = models.BooleanField(
        _("official schedule entered"),
        default=False,
        help_text=_("Tick once every holiday and make-up working day of the year is entered."),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source, default=Source.ADMIN)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday rule: a holiday on a weekday,
    or a make-up working day (调休) on a weekend."""

    calendar_year = models.ForeignKey(
        CalendarYear, on_delete=models.CASCADE, related_name="days", verbose_name=_("year")
    )
    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.calendar_year_id and self.date and self.date.year != self.calendar_year.year:
            raise ValidationError({"date": _("The date must fall in the calendar year.")})
        if self.date is not None and self.is_working_day is not None:
            is_weekend = self.date.weekday() >= 5
            if is_weekend and not self.is_working_day:
                raise ValidationError(
                    {
                        "is_working_day": _(
                            "A weekend day is already a day off; only list make-up working weekends."
                        )
                    }
                )
            if not is_weekend and self.is_working_day:
                raise ValidationError(
                    {
                        "is_working_day": _(
                            "A weekday is already a working day; only list holidays on weekdays."
                        )
                    }
                )
