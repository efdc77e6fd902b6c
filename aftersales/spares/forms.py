"""Forms of the spares pages: each parses input for exactly one service."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.spares.models import Condition, Erasure, SpareUnit

_TEXTAREA = {"rows": 3}


class SpareUnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SpareUnit) -> str:
        parts = [obj.serial, str(obj.product_model), obj.get_condition_display()]
        if obj.location:
            parts.append(obj.location)
        return " · ".join(parts)


class LendForm(forms.Form):
    spare_unit = SpareUnitChoiceField(label=_("Spare unit"), queryset=SpareUnit.objects.none())
    expected_return_on = forms.DateField(
        label=_("Expected back on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    substitution_note = forms.CharField(
        label=_("If a different model: what the customer gets instead"),
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("Required when the spare is not the customer's model; the customer is told."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=_TEXTAREA))

    def __init__(self, *args, units=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["spare_unit"].queryset = units


class ReturnForm(forms.Form):
    condition = forms.ChoiceField(label=_("Condition on return"), choices=Condition.choices)
    erasure = forms.ChoiceField(
        label=_("Customer's keys and data"), choices=Erasure.choices, widget=forms.RadioSelect
    )
    erased_by = forms.CharField(label=_("Erased by"), max_length=100, required=False)
    erased_at = forms.DateTimeField(
        label=_("Erased at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    erasure_method = forms.CharField(label=_("How it was erased"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=_TEXTAREA))


class DeclineProposalForm(forms.Form):
    reason = forms.CharField(label=_("Why no spare unit is lent"), widget=forms.Textarea(attrs=_TEXTAREA))


class ShipFaultyPartForm(forms.Form):
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)


class ReceivePartsForm(forms.Form):
    centre = forms.CharField(widget=forms.HiddenInput)
    part_number = forms.CharField(label=_("Part number"), max_length=64)
    name = forms.CharField(label=_("Name (new parts)"), max_length=100, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    reference = forms.CharField(label=_("Delivery reference"), max_length=40, required=False)
