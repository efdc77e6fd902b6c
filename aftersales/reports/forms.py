"""The period chooser of the overview."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.reports.queries import Period

MONTHS = [(month, f"{month:02d}") for month in range(1, 13)]


class PeriodForm(forms.Form):
    """A month of a year; anything missing or invalid falls back to the current month."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(label=_("Month"), choices=MONTHS, coerce=int)

    def period(self, *, now: datetime) -> Period:
        current = Period.containing(now)
        if not self.is_bound or not self.is_valid():
            return current
        return Period(year=self.cleaned_data["year"], month=self.cleaned_data["month"])
