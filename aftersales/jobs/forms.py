"""Forms of the jobs pages: they parse what staff type; the services decide whether it is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.accounts.roles import STAFF_ROLES
from aftersales.customers.models import Customer, Site
from aftersales.jobs.models import MigrationJob, TrainingSession
from aftersales.units.models import ProductModel


def _moment_field(label, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _day_field(label) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _staff() -> forms.ModelChoiceField:
    return User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("username")


class JobRequestForm(forms.Form):
    """Whose request it is and what is wanted: opens the ticket of the job's kind."""

    prefix = "request"
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.order_by("name"))
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.select_related("customer").order_by("name"), required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("What is wanted"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customers=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if customers is not None:
            self.fields["customer"].queryset = customers.order_by("name")
            self.fields["site"].queryset = Site.objects.filter(customer__in=customers).select_related(
                "customer"
            )


class InstallationStartForm(forms.Form):
    prefix = "job"
    commissioning_notes = forms.CharField(
        label=_("Commissioning notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class TrainingStartForm(forms.Form):
    prefix = "job"
    topic = forms.CharField(label=_("Topic"), max_length=200)
    trainer = forms.ModelChoiceField(label=_("Trainer"), queryset=User.objects.none())
    starts_at = _moment_field(_("Starts at"))
    ends_at = _moment_field(_("Ends at"), required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = _staff()


class MigrationStartForm(forms.Form):
    prefix = "job"
    scope = forms.CharField(label=_("What is migrated"), widget=forms.Textarea(attrs={"rows": 3}))


START_FORMS = {
    "installation": InstallationStartForm,
    "training": TrainingStartForm,
    "migration": MigrationStartForm,
}


class InstalledUnitForm(forms.Form):
    prefix = "unit"
    product_model = forms.ModelChoiceField(label=_("Model"), queryset=ProductModel.objects.order_by("code"))
    serial = forms.CharField(label=_("Serial number"), max_length=64)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    shipped_on = _day_field(_("Shipped on"))
    licensed_features = forms.CharField(
        label=_("Licensed features"), required=False, help_text=_("Feature codes, separated by commas.")
    )
    software_version = forms.CharField(label=_("Software version"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def __init__(self, *args, customer: Customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(customer=customer).order_by("name")

    def clean_licensed_features(self) -> list[str]:
        raw = self.cleaned_data.get("licensed_features") or ""
        return [code.strip() for code in raw.replace("，", ",").split(",") if code.strip()]


class CommissioningForm(forms.Form):
    prefix = "commissioning"
    notes = forms.CharField(
        label=_("Commissioning notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class AcceptInstallationForm(forms.Form):
    prefix = "accept"
    accepted_by_name = forms.CharField(label=_("Accepted by (customer's contact)"), max_length=100)
    accepted_on = _day_field(_("Accepted on"))


class AttendeesForm(forms.Form):
    prefix = "attendees"
    text = forms.CharField(
        label=_("Attendees, one a line"),
        help_text=_("name, organisation, department — the organisation defaults to the customer."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class FeedbackForm(forms.Form):
    """A score (1–5) and a comment for each attendee of the session."""

    prefix = "feedback"

    def __init__(self, *args, session: TrainingSession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = []
        for attendee in session.attendees.all():
            score = forms.TypedChoiceField(
                label=attendee.name,
                choices=[("", "—"), *[(n, str(n)) for n in range(1, 6)]],
                coerce=int,
                empty_value=None,
                required=False,
                initial=attendee.score,
            )
            comment = forms.CharField(label=_("Comment"), required=False, initial=attendee.comment)
            self.fields[f"score_{attendee.pk}"] = score
            self.fields[f"comment_{attendee.pk}"] = comment
            self.rows.append((attendee, f"score_{attendee.pk}", f"comment_{attendee.pk}"))

    def bound_rows(self):
        return [(attendee, self[score], self[comment]) for attendee, score, comment in self.rows]

    def scores(self) -> dict[int, tuple[int | None, str]]:
        return {
            attendee.pk: (self.cleaned_data.get(score), self.cleaned_data.get(comment, ""))
            for attendee, score, comment in self.rows
        }


class TrainingHeldForm(forms.Form):
    prefix = "held"
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class FileForm(forms.Form):
    prefix = "file"
    file = forms.FileField(label=_("File"))


class WindowForm(forms.Form):
    prefix = "window"
    starts_at = _moment_field(_("Change window starts"))
    ends_at = _moment_field(_("Change window ends"))
    agreed_with = forms.CharField(label=_("Agreed with (customer's contact)"), max_length=100)


class StepForm(forms.Form):
    prefix = "step"
    description = forms.CharField(label=_("Step"), max_length=300)
    done_at = _moment_field(_("Done at (empty: now)"), required=False)
    outside_window_reason = forms.CharField(
        label=_("Why outside the change window"), max_length=300, required=False
    )


class ResultForm(forms.Form):
    prefix = "result"
    result = forms.ChoiceField(label=_("Result"), choices=MigrationJob.Result.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AcceptMigrationForm(forms.Form):
    prefix = "accept"
    accepted_by_name = forms.CharField(label=_("Accepted by (customer's contact)"), max_length=100)
    accepted_at = _moment_field(_("Accepted at (empty: now)"), required=False)


class JobVisitForm(forms.Form):
    prefix = "visit"
    planned_start = _moment_field(_("Planned start"))
    planned_end = _moment_field(_("Planned end"), required=False)
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    engineers = forms.ModelMultipleChoiceField(
        label=_("Engineers"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["engineers"].queryset = _staff().filter(role__in=("engineer", "rnd", "lead"))
