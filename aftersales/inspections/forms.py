"""Forms of inspections: a plan, a template (one item per line, by section), a checklist."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.roles import Role
from aftersales.customers.models import Customer, Site
from aftersales.inspections.models import ChecklistItem, ChecklistResult, ChecklistTemplate, Frequency
from aftersales.inspections.services import TemplateItem
from aftersales.tickets.models import Severity
from aftersales.units.models import Contract, Unit


class PlanForm(forms.Form):
    """A plan's fields; the sites, units and contract offered are the chosen customer's."""

    name = forms.CharField(label=_("Name"), max_length=200)
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.order_by("name"))
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none(), required=False)
    sites = forms.ModelMultipleChoiceField(label=_("Sites"), queryset=Site.objects.none(), required=False)
    units = forms.ModelMultipleChoiceField(label=_("Units"), queryset=Unit.objects.none(), required=False)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    every_weeks = forms.IntegerField(label=_("Every N weeks"), required=False, min_value=1, max_value=104)
    starts_on = forms.DateField(label=_("First occurrence"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    template = forms.ModelChoiceField(
        label=_("Checklist template"), queryset=ChecklistTemplate.objects.filter(is_active=True)
    )
    engineer = forms.ModelChoiceField(
        label=_("Responsible engineer"),
        queryset=User.objects.filter(is_active=True, role__in=(Role.ENGINEER, Role.LEAD, Role.RND)).order_by(
            "username"
        ),
        required=False,
    )
    centre = forms.ModelChoiceField(
        label=_("Responsible centre"), queryset=ServiceCentre.objects.order_by("name"), required=False
    )
    is_remote_contact = forms.BooleanField(label=_("Remote periodic contact (a call)"), required=False)
    horizon_days = forms.IntegerField(
        label=_("Generate ahead (days)"), initial=60, min_value=1, max_value=400
    )
    reminder_days = forms.IntegerField(label=_("Remind days before"), initial=3, min_value=0, max_value=60)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer: Customer | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        customer_id = None
        if self.is_bound:
            customer_id = self.data.get("customer") or None
        elif customer is not None:
            customer_id = customer.pk
        if customer_id and str(customer_id).isdigit():
            self.fields["contract"].queryset = Contract.objects.filter(customer_id=customer_id)
            self.fields["sites"].queryset = Site.objects.filter(customer_id=customer_id).order_by("name")
            self.fields["units"].queryset = Unit.objects.filter(customer_id=customer_id).order_by("serial")

    def plan_values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("sites"), data.pop("units")
        return data


SECTION_FIELD = "section_{}"


class TemplateForm(forms.Form):
    """A template's name and its items: one textarea per section, one item per line."""

    name = forms.CharField(label=_("Name"), max_length=200)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for value, label in ChecklistItem.Section.choices:
            self.fields[SECTION_FIELD.format(value)] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("One item per line."),
            )

    @staticmethod
    def initial_for(template: ChecklistTemplate) -> dict:
        initial = {"name": template.name, "is_active": template.is_active, "note": template.note}
        for value, _label in ChecklistItem.Section.choices:
            lines = [item.label for item in template.items.all() if item.section == value]
            initial[SECTION_FIELD.format(value)] = "\n".join(lines)
        return initial

    def section_fields(self):
        return [self[SECTION_FIELD.format(value)] for value, _label in ChecklistItem.Section.choices]

    def items(self) -> list[TemplateItem]:
        items = []
        for value, _label in ChecklistItem.Section.choices:
            for line in self.cleaned_data.get(SECTION_FIELD.format(value), "").splitlines():
                if line.strip():
                    items.append(TemplateItem(value, line.strip()))
        return items


class OpenTicketForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, customer_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(customer_id=customer_id)


OUTCOME_CHOICES = [("", _("Not checked yet")), *ChecklistResult.Outcome.choices]


def checklist_entries(results, data, files) -> list:
    """The checklist page's fields (``outcome_<id>``, ``note_<id>``, ``photo_<id>``) as entries."""
    from aftersales.inspections.services import ResultEntry

    entries = []
    for result in results:
        key = str(result.pk)
        if f"outcome_{key}" not in data and f"note_{key}" not in data and f"photo_{key}" not in files:
            continue
        entries.append(
            ResultEntry(
                result_id=result.pk,
                outcome=data.get(f"outcome_{key}", result.outcome),
                note=data.get(f"note_{key}", result.note)[:4000],
                photo=files.get(f"photo_{key}"),
                remove_photo=data.get(f"remove_photo_{key}") == "on",
            )
        )
    return entries
