"""The repair forms of the desk and the portal: they parse, and call one service."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.repairs import services, workflow
from aftersales.repairs.models import ErasureMethod, Repair
from aftersales.tickets.models import Ticket

_LOCAL_INPUT = {"type": "datetime-local"}


class _RepairForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, repair: Repair, user: User, **kwargs) -> None:
        self.repair = repair
        self.user = user
        kwargs.setdefault("prefix", self.name)
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = repair.version

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")


class StepForm(_RepairForm):
    name = "step"
    step = forms.ChoiceField(label=_("Step"))
    carrier = forms.CharField(label=_("Carrier"), max_length=60, required=False)
    tracking = forms.CharField(label=_("Tracking number"), max_length=60, required=False)
    diagnosis = forms.CharField(
        label=_("Diagnosis"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    work_done = forms.CharField(
        label=_("Work done"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    replacement_serial = forms.CharField(
        label=_("Serial of the replacement unit (factory swap only)"), max_length=64, required=False
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [
            (step.name, step.label)
            for step in workflow.steps_from(self.repair.status)
            if step.name in workflow.DESK_STEPS
        ]

    def submit(self, *, now: datetime) -> Repair:
        data = self.cleaned_data
        return services.move_repair(
            repair=self.repair,
            step=data["step"],
            by=self.user,
            details=services.StepInput(
                note=data["note"],
                carrier=data["carrier"],
                tracking=data["tracking"],
                diagnosis=data["diagnosis"],
                work_done=data["work_done"],
                replacement_serial=data["replacement_serial"],
            ),
            expected_version=self.expected_version,
            at=now,
        )


class BackupCallForm(_RepairForm):
    name = "backup_call"
    acknowledged_by = forms.CharField(label=_("Acknowledged on the call by"), max_length=100)
    acknowledged_at = forms.DateTimeField(label=_("Call at"), widget=forms.DateTimeInput(attrs=_LOCAL_INPUT))

    def submit(self, *, now: datetime) -> Repair:
        return services.record_backup_call(
            repair=self.repair,
            by=self.user,
            acknowledged_by=self.cleaned_data["acknowledged_by"],
            acknowledged_at=self.cleaned_data["acknowledged_at"],
            expected_version=self.expected_version,
            at=now,
        )


class ErasureForm(_RepairForm):
    name = "erasure"
    method = forms.ChoiceField(label=_("How the data was made safe"), choices=ErasureMethod.choices)
    done_by = forms.CharField(label=_("Done by (or: disk kept by)"), max_length=100)
    done_at = forms.DateTimeField(label=_("Done at"), widget=forms.DateTimeInput(attrs=_LOCAL_INPUT))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def submit(self, *, now: datetime) -> Repair:
        data = self.cleaned_data
        return services.record_erasure(
            repair=self.repair,
            by=self.user,
            method=data["method"],
            done_by=data["done_by"],
            done_at=data["done_at"],
            note=data["note"],
            expected_version=self.expected_version,
            at=now,
        )


class QuoteForm(_RepairForm):
    name = "quote"
    part_numbers = forms.CharField(
        label=_("Parts to quote (part numbers, one a line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    note = forms.CharField(
        label=_("Note on the quote"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def submit(self, *, now: datetime) -> Repair:
        parts = [line.strip() for line in self.cleaned_data["part_numbers"].splitlines() if line.strip()]
        return services.quote_repair(
            repair=self.repair,
            by=self.user,
            part_numbers=parts,
            note=self.cleaned_data["note"],
            expected_version=self.expected_version,
            at=now,
        )


class DelayForm(_RepairForm):
    name = "delay"
    new_date = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Why it will be late"), widget=forms.Textarea(attrs={"rows": 2}))

    def submit(self, *, now: datetime) -> Repair:
        return services.announce_repair_delay(
            repair=self.repair,
            by=self.user,
            new_date=self.cleaned_data["new_date"],
            reason=self.cleaned_data["reason"],
            at=now,
        )


class EntitlementForm(_RepairForm):
    name = "entitlement"
    is_chargeable = forms.TypedChoiceField(
        label=_("Entitlement"),
        choices=[("0", _("Free repair")), ("1", _("Chargeable: quote first"))],
        coerce=lambda value: value == "1",
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def submit(self, *, now: datetime) -> Repair:
        return services.override_repair_entitlement(
            repair=self.repair,
            by=self.user,
            is_chargeable=self.cleaned_data["is_chargeable"],
            reason=self.cleaned_data["reason"],
            expected_version=self.expected_version,
            at=now,
        )


class FitPartForm(_RepairForm):
    name = "part"
    part_number = forms.CharField(label=_("Part number"), max_length=64)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=999, initial=1)
    serial_in = forms.CharField(label=_("Serial fitted"), max_length=64, required=False)

    def submit(self, *, now: datetime) -> Repair:
        services.fit_part(
            repair=self.repair,
            by=self.user,
            part_number=self.cleaned_data["part_number"],
            quantity=self.cleaned_data["quantity"],
            serial_in=self.cleaned_data["serial_in"],
            at=now,
        )
        return self.repair


DESK_FORMS: dict[str, type[_RepairForm]] = {
    form.name: form
    for form in (StepForm, BackupCallForm, ErasureForm, QuoteForm, DelayForm, EntitlementForm, FitPartForm)
}


class OpenRepairForm(forms.Form):
    fault = forms.CharField(label=_("Fault to repair"), widget=forms.Textarea(attrs={"rows": 3}))

    def submit(self, *, ticket: Ticket, user: User) -> Repair:
        return services.open_repair(
            ticket=ticket, by=user, fault=self.cleaned_data["fault"], at=timezone.now()
        )


class BackupAcknowledgementForm(forms.Form):
    """The customer's own acknowledgement in the portal: the statement, and a box to tick."""

    confirmed = forms.BooleanField(label=_("I confirm this statement."), required=False)
