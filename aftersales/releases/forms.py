"""Forms of the releases area: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.releases.models import Bulletin, Installation, Release
from aftersales.units.models import ProductModel


def _software_models():
    return ProductModel.objects.exclude(kind=ProductModel.Kind.HARDWARE).order_by("code")


class ReleaseForm(forms.Form):
    product_model = forms.ModelChoiceField(label=_("Model"), queryset=ProductModel.objects.none())
    version = forms.CharField(label=_("Version"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=Release.Kind.choices)
    released_on = forms.DateField(label=_("Released on"), widget=forms.DateInput(attrs={"type": "date"}))
    applies_to = forms.CharField(
        label=_("Applies to versions"),
        max_length=300,
        required=False,
        help_text=_('e.g. "3.2.*, 3.1.4" or ">=3.0 <3.3"; blank: every older version'),
    )
    notes = forms.CharField(
        label=_("Release notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    documentation = forms.FileField(label=_("Documentation"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_model"].queryset = _software_models()


class PackageForm(forms.Form):
    file = forms.FileField(label=_("Package file"), allow_empty_file=True)
    required_feature = forms.CharField(
        label=_("Required licensed feature"),
        max_length=40,
        required=False,
        help_text=_("Blank: the base package for every unit of the model."),
    )


class BulletinForm(forms.Form):
    product_model = forms.ModelChoiceField(label=_("Model"), queryset=ProductModel.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Bulletin.Severity.choices)
    affected_versions = forms.CharField(label=_("Affected versions"), max_length=300)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
    fixed_by = forms.ModelChoiceField(
        label=_("Fixed by release"), queryset=Release.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_model"].queryset = _software_models()
        self.fields["fixed_by"].queryset = Release.objects.select_related("product_model").order_by(
            "product_model__code", "-released_on"
        )


class InstallationForm(forms.Form):
    serial = forms.CharField(label=_("Unit serial number"), max_length=64)
    method = forms.ChoiceField(
        label=_("How"),
        choices=[c for c in Installation.Method.choices if c[0] != Installation.Method.CUSTOMER],
    )
    reference = forms.CharField(label=_("Reference (e.g. visit number)"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
