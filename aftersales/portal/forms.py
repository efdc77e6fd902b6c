"""Forms of the customer portal: the three reports, a reply with files, and the follow-up.

Each form's choices come from the signed-in user's scope (``portal.queries``),
so another organisation's unit or contact can neither be offered nor chosen;
each ``submit`` calls exactly one service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MinLengthValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.customers.models import Contact
from aftersales.portal import queries, services
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Kind, Severity, Ticket, TicketEvent
from aftersales.tickets.queries import ticket_settings
from aftersales.units.models import Unit

MAX_FILES = 10
SEVERITY_GUIDANCE = {
    Severity.SEVERE: _("Your business system is interrupted: transactions fail, a service is down."),
    Severity.GENERAL: _("Slight impact: the system works, but something is wrong or degraded."),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked against the configured size limit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        clean_one = super().clean
        files = [clean_one(upload, initial) for upload in uploads]
        files = [upload for upload in files if upload]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                gettext("Send at most %(count)s files at a time.") % {"count": MAX_FILES}
            )
        limit = ticket_services.max_attachment_bytes()
        too_large = [upload.name for upload in files if upload.size > limit]
        if too_large:
            raise forms.ValidationError(
                gettext("Each file may be at most %(limit)s; too large: %(names)s.")
                % {"limit": filesizeformat(limit), "names": ", ".join(too_large)}
            )
        return files


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        parts = [obj.serial, str(obj.product_model)]
        if obj.site_id:
            parts.append(str(obj.site))
        return " · ".join(parts)


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        number = obj.mobile or obj.phone
        return " · ".join(part for part in (obj.name, obj.department, number) if part)


def _attachments_help() -> str:
    limit = ticket_services.max_attachment_bytes()
    return gettext("Logs, screenshots, photos: up to %(count)s files, each at most %(limit)s.") % {
        "count": MAX_FILES,
        "limit": filesizeformat(limit),
    }


class _ReportForm(forms.Form):
    """What every report from the portal has: a title, a description, files."""

    kind: str

    title = forms.CharField(label=_("Short summary"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, user: User, reporter: Contact, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        self.reporter = reporter
        self.fields["attachments"].help_text = _attachments_help()

    def customer_for(self, unit: Unit | None):
        return unit.customer if unit is not None else self.reporter.customer

    def submit(self, *, now: datetime) -> Ticket:
        data = self.cleaned_data
        unit = data.get("unit")
        return services.submit_report(
            by=self.user,
            reporter=self.reporter,
            kind=self.kind,
            customer=self.customer_for(unit),
            title=data["title"],
            description=data["description"],
            severity=data.get("severity", ""),
            unit=unit,
            business_impact=data.get("business_impact", ""),
            onsite_contact=data.get("onsite_contact"),
            attachments=data.get("attachments") or (),
            now=now,
        )


class FaultReportForm(_ReportForm):
    """A fault on one of the organisation's units, with its severity and business impact.

    The description must be detailed enough for an engineer to go on site
    without asking again: at least the length the ticket settings require for
    an on-site request.
    """

    kind = Kind.FAULT

    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    serial = forms.CharField(
        label=_("…or type its serial number"),
        max_length=64,
        required=False,
        help_text=_("As printed on the label at the back of the unit."),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect)
    business_impact = forms.CharField(
        label=_("Business impact"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What cannot be done because of the fault: which service, how many users or branches. "
            "Required for a severe fault."
        ),
    )
    onsite_contact = ContactChoiceField(
        label=_("On-site contact"),
        queryset=Contact.objects.none(),
        required=False,
        help_text=_("Who receives our engineer and can give access to the unit."),
    )
    field_order = [
        "unit",
        "serial",
        "severity",
        "title",
        "description",
        "business_impact",
        "onsite_contact",
        "attachments",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = queries.reportable_units(self.user)
        # The unit is required, chosen in the list or typed; business impact for a severe fault.
        for name in ("unit", "serial", "business_impact"):
            self.fields[name].hide_optional = True
        self.fields["onsite_contact"].queryset = queries.onsite_contacts(self.user)
        self.fields["onsite_contact"].initial = self.reporter.pk
        self.minimum_description = ticket_settings().onsite_description_min_length
        self.fields["description"].validators.append(MinLengthValidator(self.minimum_description))
        self.fields["description"].widget.attrs["minlength"] = self.minimum_description
        self.fields["description"].help_text = gettext(
            "What happens, since when, what the unit shows (lights, messages), what you have tried. "
            "At least %(minimum)s characters."
        ) % {"minimum": self.minimum_description}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = data.get("unit")
        typed = (data.get("serial") or "").strip()
        if typed:
            found = queries.find_reportable_unit(self.user, typed)
            if found is None:
                self.add_error(
                    "serial",
                    gettext("No unit of your organisation has the serial number %(serial)s.")
                    % {"serial": typed},
                )
            elif chosen is not None and chosen != found:
                self.add_error(
                    "serial", gettext("The serial number typed is not the unit chosen in the list.")
                )
            else:
                data["unit"] = found
        elif chosen is None and "unit" not in self.errors:
            self.add_error("unit", gettext("Choose the unit with the fault, or type its serial number."))
        if data.get("severity") == Severity.SEVERE and not (data.get("business_impact") or "").strip():
            self.add_error(
                "business_impact", gettext("For a severe fault, say which business is interrupted.")
            )
        return data

    def severity_choices(self) -> list[dict[str, Any]]:
        """The severity radios with their guidance, for the template."""
        return [
            {"radio": radio, "guidance": SEVERITY_GUIDANCE[Severity(radio.data["value"])]}
            for radio in self["severity"]
        ]


class ConsultationForm(_ReportForm):
    """A question (咨询): how to use, configure or upgrade something; optionally about one unit."""

    kind = Kind.CONSULTATION

    unit = UnitChoiceField(label=_("About the unit (optional)"), queryset=Unit.objects.none(), required=False)
    field_order = ["unit", "title", "description", "attachments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = queries.reportable_units(self.user)
        self.fields["title"].label = _("Your question in one line")
        self.fields["description"].label = _("Details")


class ComplaintForm(_ReportForm):
    """A complaint (投诉): it goes to the customer-service manager, who records its outcome."""

    kind = Kind.COMPLAINT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].label = _("What your complaint is about")
        self.fields["description"].label = _("What happened, and what you expect from us")


class ReplyForm(forms.Form):
    """A message from the customer on a ticket, with files; it may reopen a resolved ticket."""

    body = forms.CharField(label=_("Your message"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "reply")
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.user = user
        self.fields["attachments"].help_text = _attachments_help()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments") and not self.errors:
            raise forms.ValidationError(gettext("Write a message or attach a file."))
        return data

    def submit(self, *, now: datetime) -> TicketEvent:
        return ticket_services.add_customer_message(
            ticket=self.ticket,
            body=self.cleaned_data["body"],
            channel=Channel.WEB,
            at=now,
            by=self.user,
            attachments=self.cleaned_data["attachments"],
        )


class FollowUpForm(forms.Form):
    """The customer confirms the fix (and rates the service) or says it still fails: the follow-up (回访)."""

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    outcome = forms.ChoiceField(
        label=_("Is the problem solved?"),
        choices=[(FIXED, _("Yes, it is fixed")), (NOT_FIXED, _("No, it is not fixed"))],
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with our service?"),
        choices=[
            (5, _("5 · Very satisfied")),
            (4, _("4 · Satisfied")),
            (3, _("3 · Acceptable")),
            (2, _("2 · Dissatisfied")),
            (1, _("1 · Very dissatisfied")),
        ],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Suggestions are welcome. If it is not fixed, say what still fails."),
    )

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "followup")
        initial = {"version": ticket.version, **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)
        self.ticket = ticket
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("outcome") == self.FIXED and data.get("satisfaction") is None:
            self.add_error("satisfaction", gettext("Please rate our service from 1 to 5."))
        if data.get("outcome") == self.NOT_FIXED and not (data.get("comment") or "").strip():
            self.add_error("comment", gettext("Please say what still does not work."))
        return data

    def submit(self, *, now: datetime) -> Ticket:
        data = self.cleaned_data
        is_fixed = data["outcome"] == self.FIXED
        return ticket_services.record_follow_up(
            ticket=self.ticket,
            by=self.user,
            is_fixed=is_fixed,
            satisfaction=data["satisfaction"] if is_fixed else None,
            comment=data["comment"],
            channel=Channel.WEB,
            expected_version=data["version"],
            at=now,
        )
