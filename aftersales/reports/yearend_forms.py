"""The console's form for a year-end report on demand: customer, period, language, branches."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.customers.models import Customer
from aftersales.reports.models import LANGUAGES


class YearEndRequestForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, initial="zh-hans")
    include_branches = forms.BooleanField(
        label=_("Include the branches (head office only)"), required=False, initial=True
    )

    def __init__(self, *args, customers, year: int, **kwargs) -> None:
        kwargs.setdefault("initial", {}).update({"start": date(year, 1, 1), "end": date(year, 12, 31)})
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("name")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The period must end on or after its start."))
        return cleaned
