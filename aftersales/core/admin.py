"""Admin for the China working-day calendar and the document number sequences.

An administrator enters next year's official schedule here each November, when
the State Council publishes it. Saving goes through ``core.services`` so the due
dates that depended on the year are recomputed in the same transaction.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aftersales.core import services
from aftersales.core.errors import DomainError
from aftersales.core.models import CalendarDay, CalendarYear, DocumentSequence

CALENDAR_HELP = _(
    "The State Council publishes next year's holidays and make-up working days (调休) each November. "
    "Enter them then: add the year, list every weekday holiday (working day unticked) and every "
    "weekend make-up working day (working day ticked), and tick “official schedule entered”. "
    "Until a year is official its working days are Monday–Friday and every due date that depends "
    "on it is marked provisional; saving recomputes those due dates."
)


class ConfigureCapabilityAdmin(admin.ModelAdmin):
    """Open to superusers and to staff whose role may configure policy and calendars."""

    def _may_configure(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.has_perm("aftersales.configure")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._may_configure(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_view_permission(request, obj) or self._may_configure(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) or self._may_configure(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) or self._may_configure(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) or self._may_configure(request)


class CalendarDayFormSet(BaseInlineFormSet):
    """Checks each day against the year being saved (the form's year, which may be new)."""

    def clean(self) -> None:
        super().clean()
        year = self.instance.year
        if year is None:
            return
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            day = form.cleaned_data.get("date")
            is_working_day = form.cleaned_data.get("is_working_day", False)
            if day is None:
                continue
            try:
                services.validate_calendar_day(year=year, day=day, is_working_day=is_working_day)
            except DomainError as error:
                form.add_error("date", error.message)
        if any(form.errors for form in self.forms):
            raise ValidationError(_("Correct the days listed below."))


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    formset = CalendarDayFormSet
    fields = ["date", "is_working_day", "name"]
    extra = 3
    ordering = ["date"]


@admin.register(CalendarYear)
class CalendarYearAdmin(ConfigureCapabilityAdmin):
    list_display = ["year", "is_official", "source", "holiday_count", "make_up_day_count", "published_on"]
    list_filter = ["is_official", "source"]
    readonly_fields = ["source"]
    fieldsets = [
        (
            None,
            {
                "fields": ["year", "is_official", "published_on", "source", "note"],
                "description": CALENDAR_HELP,
            },
        )
    ]
    inlines = [CalendarDayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                holidays=Count("days", filter=Q(days__is_working_day=False)),
                make_up_days=Count("days", filter=Q(days__is_working_day=True)),
            )
        )

    @admin.display(description=_("holidays on weekdays"), ordering="holidays")
    def holiday_count(self, obj: CalendarYear) -> int:
        return obj.holidays

    @admin.display(description=_("make-up working days"), ordering="make_up_days")
    def make_up_day_count(self, obj: CalendarYear) -> int:
        return obj.make_up_days

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": CALENDAR_HELP})

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and not (form.has_changed() or any(formset.has_changed() for formset in formsets)):
            return
        previous_year = form.initial.get("year") if change else None
        services.record_calendar_edit(calendar_year=form.instance, previous_year=previous_year)

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        services.delete_calendar_year(calendar_year=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for calendar_year in queryset:
            services.delete_calendar_year(calendar_year=calendar_year)


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ConfigureCapabilityAdmin):
    """Read-only: numbers are only ever taken by ``numbering``, never set by hand."""

    list_display = ["prefix", "year", "last_number"]
    list_filter = ["prefix"]
    ordering = ["prefix", "-year"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
