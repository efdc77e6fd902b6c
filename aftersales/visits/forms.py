"""Forms of the visit pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.customers.models import Contact
from aftersales.units.models import Unit, UnitPart
from aftersales.visits.models import VisitKind

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _moment(label, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=LOCAL_INPUT,
    )


class EngineerField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return " · ".join(filter(None, [str(obj), obj.get_role_display(), str(obj.centre or "")]))


class DispatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitKind.choices, initial=VisitKind.ONSITE_REPAIR)
    engineers = EngineerField(
        label=_("Engineers"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    planned_start = _moment(_("Planned start"))
    planned_end = _moment(_("Planned end"), required=False)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}))
    why_remote_failed = forms.CharField(
        label=_("Why remote support was not enough"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("In warranty, on-site service is free when remote support could not solve the fault."),
    )
    onsite_contact = forms.ModelChoiceField(
        label=_("Customer's on-site contact"), queryset=Contact.objects.none(), required=False
    )

    def __init__(self, *args, engineers, contacts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["engineers"].queryset = engineers
        self.fields["onsite_contact"].queryset = contacts


class ReplanForm(forms.Form):
    planned_start = _moment(_("New planned start"))
    planned_end = _moment(_("New planned end"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CheckInForm(forms.Form):
    note = forms.CharField(label=_("Where are you? (location note)"), max_length=300, required=False)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code the customer's contact received"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SignatureForm(forms.Form):
    name = forms.CharField(label=_("Name of the customer's contact"), max_length=100)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)


class ReportForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    work_done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs={"rows": 3}))


class PartForm(forms.Form):
    part = forms.ModelChoiceField(label=_("Part taken out"), queryset=UnitPart.objects.none())
    new_serial = forms.CharField(label=_("Serial of the part fitted"), max_length=64, required=False)

    def __init__(self, *args, parts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = parts
        self.fields["part"].label_from_instance = lambda p: f"{p.unit.serial} · {p.name} {p.serial}"


class SwapForm(forms.Form):
    old_unit = forms.ModelChoiceField(label=_("Unit taken out"), queryset=Unit.objects.none())
    new_serial = forms.CharField(label=_("Serial of the unit put in"), max_length=64)

    def __init__(self, *args, units, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_unit"].queryset = units


class SignForm(forms.Form):
    name = forms.CharField(label=_("Signed by (customer)"), max_length=100)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    typed_confirmation = forms.BooleanField(
        label=_("I confirm the work described in this report was done."), required=False
    )


class StampedCopyForm(forms.Form):
    scan = forms.FileField(label=_("Scan of the stamped report (PDF, JPEG or PNG)"))
