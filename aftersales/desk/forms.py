"""Forms of the staff console: one per ticket move or action, and the phone report.

A ticket form carries the ticket's ``version`` as it was when the page was
built; the service compares it, so a form built before someone else's change
is refused with a conflict instead of overwriting it. Each form's ``submit``
calls exactly one service; the workflow table decides which forms a person
sees (``offered_forms``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.backends import PERMISSION_APP
from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.roles import Capability
from aftersales.customers.models import Contact, Customer
from aftersales.desk.queries import find_visible_ticket, ticket_workers
from aftersales.intake.models import UNIDENTIFIED_CUSTOMER_CODE
from aftersales.tickets import services, workflow
from aftersales.tickets.models import Channel, Entitlement, Kind, Level, Severity, Ticket
from aftersales.units.models import Contract, Unit

if TYPE_CHECKING:
    from aftersales.tickets.models import HandlingReport

_TEXTAREA = {"rows": 3}


def _customer_contacts(ticket: Ticket):
    """Contacts of the ticket's customer and of its head office (who may call for a branch)."""
    owners = [ticket.customer_id] + ([ticket.customer.parent_id] if ticket.customer.parent_id else [])
    return Contact.objects.filter(customer_id__in=owners).select_related("customer").order_by("name")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        parts = [str(obj), obj.get_role_display()]
        if obj.centre_id:
            parts.append(str(obj.centre))
        return " · ".join(parts)


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        number = obj.mobile or obj.phone
        return f"{obj.name} · {obj.department} · {number}" if obj.department else f"{obj.name} · {number}"


class TicketActionForm(forms.Form):
    """Base of the ticket forms: the hidden version, the ticket and the person acting."""

    name: ClassVar[str]
    workflow_names: ClassVar[tuple[str, ...]]
    label: ClassVar[Any]
    submit_label: ClassVar[Any] = _("Save")
    # Moves that push the ticket on are shown first and open; the rest fold away.
    is_primary: ClassVar[bool] = False

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args: Any,
        ticket: Ticket,
        user: User,
        current_report: HandlingReport | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", self.name)
        kwargs.setdefault("label_suffix", "")
        initial = {"version": ticket.version, **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)
        self.ticket = ticket
        self.user = user
        self.current_report = current_report

    @property
    def expected_version(self) -> int:
        return self.cleaned_data["version"]

    def submit(self, *, now: datetime) -> None:
        raise NotImplementedError


_REASON = _("Reason")


def _reason_field(label: Any = _REASON, *, required: bool = True) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs=_TEXTAREA))


# --- moves ---------------------------------------------------------------------------------------


class AcceptForm(TicketActionForm):
    name = "accept"
    workflow_names = ("accept",)
    label = _("Accept")
    submit_label = _("Accept the ticket")
    is_primary = True

    def submit(self, *, now: datetime) -> None:
        services.accept_ticket(
            ticket=self.ticket, by=self.user, expected_version=self.expected_version, at=now
        )


class StartWorkForm(TicketActionForm):
    name = "start_work"
    workflow_names = ("start_work",)
    label = _("Start work")
    submit_label = _("Start work")
    is_primary = True

    def submit(self, *, now: datetime) -> None:
        services.start_work(ticket=self.ticket, by=self.user, expected_version=self.expected_version, at=now)


class WaitForCustomerForm(TicketActionForm):
    name = "wait_for_customer"
    workflow_names = ("wait_for_customer",)
    label = _("Wait for the customer")
    submit_label = _("Wait for the customer")
    reason = _reason_field(_("What we are waiting for"))

    def submit(self, *, now: datetime) -> None:
        services.wait_for_customer(
            ticket=self.ticket,
            by=self.user,
            reason=self.cleaned_data["reason"],
            expected_version=self.expected_version,
            at=now,
        )


class CustomerRepliedForm(TicketActionForm):
    name = "customer_replied"
    workflow_names = ("customer_replied",)
    label = _("Customer replied")
    submit_label = _("Back to work")
    is_primary = True
    body = _reason_field(_("What the customer said"), required=False)

    def submit(self, *, now: datetime) -> None:
        services.customer_replied(
            ticket=self.ticket,
            by=self.user,
            body=self.cleaned_data["body"],
            expected_version=self.expected_version,
            at=now,
        )


class _HandlingReportFields(TicketActionForm):
    diagnosis = forms.CharField(label=_("Diagnosis"), widget=forms.Textarea(attrs=_TEXTAREA))
    actions_taken = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs=_TEXTAREA))
    level_reached = forms.ChoiceField(
        label=_("Service level reached"), choices=Level.choices, widget=forms.RadioSelect
    )
    root_cause = forms.CharField(
        label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(_HandlingReportFields):
    """Write the handling report and resolve in one step (or resolve on the report already written)."""

    name = "resolve"
    workflow_names = ("resolve",)
    label = _("Write the handling report and resolve")
    submit_label = _("Resolve")
    is_primary = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        has_record = self.current_report is not None or (
            self.ticket.kind == Kind.COMPLAINT and self.ticket.complaint_outcome.strip()
        )
        if has_record:
            for name in ("diagnosis", "actions_taken", "level_reached"):
                self.fields[name].required = False
            self.fields["diagnosis"].help_text = _(
                "Leave the report empty to resolve with the handling report already written."
            )

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        services.resolve_ticket(
            ticket=self.ticket,
            by=self.user,
            diagnosis=data["diagnosis"],
            actions_taken=data["actions_taken"],
            level_reached=data["level_reached"] or "",
            root_cause=data["root_cause"],
            expected_version=self.expected_version,
            at=now,
        )


class FollowUpForm(TicketActionForm):
    """The follow-up call (回访): the customer confirms the fix and rates the service, or not."""

    FIXED, NOT_FIXED = "fixed", "not_fixed"

    name = "follow_up"
    workflow_names = ("confirm_fixed", "not_fixed")
    label = _("Record the follow-up (回访)")
    submit_label = _("Record the follow-up")
    is_primary = True
    outcome = forms.ChoiceField(
        label=_("The customer says"),
        choices=[(FIXED, _("Fixed")), (NOT_FIXED, _("Not fixed"))],
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text=_("5 very satisfied … 1 very dissatisfied"),
    )
    comment = forms.CharField(
        label=_("Comment and suggestions"), required=False, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    channel = forms.ChoiceField(label=_("By"), choices=Channel.choices, initial=Channel.PHONE, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("outcome") == self.FIXED and not data.get("satisfaction"):
            self.add_error("satisfaction", gettext("Record the customer's satisfaction from 1 to 5."))
        if data.get("outcome") == self.NOT_FIXED and not (data.get("comment") or "").strip():
            self.add_error("comment", gettext("Say what is still not working."))
        return data

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        is_fixed = data["outcome"] == self.FIXED
        services.record_follow_up(
            ticket=self.ticket,
            by=self.user,
            is_fixed=is_fixed,
            satisfaction=data["satisfaction"] if is_fixed else None,
            comment=data["comment"],
            channel=data["channel"] or Channel.PHONE,
            expected_version=self.expected_version,
            at=now,
        )


class CloseForm(TicketActionForm):
    name = "close"
    workflow_names = ("close",)
    label = _("Close without follow-up")
    submit_label = _("Close")
    reason = _reason_field(_("Why no follow-up call is needed"))
    override_reason = forms.CharField(
        label=_("Override reason (managers)"),
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("Only when something still keeps the ticket open, e.g. a spare unit still on loan."),
    )

    def submit(self, *, now: datetime) -> None:
        services.close_ticket(
            ticket=self.ticket,
            by=self.user,
            reason=self.cleaned_data["reason"],
            override_reason=self.cleaned_data["override_reason"],
            expected_version=self.expected_version,
            at=now,
        )


class ReopenForm(TicketActionForm):
    name = "reopen"
    workflow_names = ("reopen",)
    label = _("Reopen")
    submit_label = _("Reopen")
    is_primary = True
    reason = _reason_field(_("What came back"))

    def submit(self, *, now: datetime) -> None:
        services.reopen_ticket(
            ticket=self.ticket,
            by=self.user,
            reason=self.cleaned_data["reason"],
            expected_version=self.expected_version,
            at=now,
        )


class CancelForm(TicketActionForm):
    name = "cancel"
    workflow_names = ("cancel", "mark_duplicate")
    label = _("Cancel or mark as duplicate")
    submit_label = _("Cancel the ticket")
    reason = _reason_field(required=False)
    duplicate_of = forms.CharField(
        label=_("Duplicate of (ticket number)"),
        required=False,
        max_length=24,
        help_text=_("Leave empty to cancel for the reason given."),
    )

    def clean_duplicate_of(self) -> Ticket | None:
        number = self.cleaned_data["duplicate_of"].strip()
        if not number:
            return None
        original = find_visible_ticket(self.user, number)
        if original is None:
            raise forms.ValidationError(gettext("No ticket %(number)s was found.") % {"number": number})
        return original

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("duplicate_of") and not (data.get("reason") or "").strip() and not self.errors:
            self.add_error("reason", gettext("Say why the ticket is cancelled."))
        return data

    def submit(self, *, now: datetime) -> None:
        services.cancel_ticket(
            ticket=self.ticket,
            by=self.user,
            reason=self.cleaned_data["reason"],
            duplicate_of=self.cleaned_data["duplicate_of"],
            expected_version=self.expected_version,
            at=now,
        )


# --- actions -------------------------------------------------------------------------------------


class ReplyForm(TicketActionForm):
    name = "reply"
    workflow_names = ("reply",)
    label = _("Reply to the customer")
    submit_label = _("Send the reply")
    body = forms.CharField(
        label=_("Reply"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent to the reporter; the first reply meets the response promise."),
    )

    def submit(self, *, now: datetime) -> None:
        services.reply_to_customer(
            ticket=self.ticket,
            by=self.user,
            body=self.cleaned_data["body"],
            expected_version=self.expected_version,
            at=now,
        )


class NoteForm(TicketActionForm):
    name = "note"
    workflow_names = ("note",)
    label = _("Add an internal note")
    submit_label = _("Add the note")
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("Only colleagues see it; it is never a response to the customer."),
    )

    def submit(self, *, now: datetime) -> None:
        services.add_internal_note(
            ticket=self.ticket,
            by=self.user,
            body=self.cleaned_data["body"],
            expected_version=self.expected_version,
            at=now,
        )


class LogCallForm(TicketActionForm):
    name = "log_call"
    workflow_names = ("log_call",)
    label = _("Log a call")
    submit_label = _("Log the call")
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (services.CALL_OUTBOUND, _("We called the customer")),
            (services.CALL_INBOUND, _("The customer called us")),
        ],
        initial=services.CALL_OUTBOUND,
        widget=forms.RadioSelect,
    )
    contact = ContactChoiceField(label=_("With"), queryset=Contact.objects.none(), required=False)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs=_TEXTAREA))
    guidance_given = forms.BooleanField(label=_("Guidance given during the call"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = _customer_contacts(self.ticket)
        self.fields["contact"].initial = self.ticket.reporter_id

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        services.log_call(
            ticket=self.ticket,
            by=self.user,
            direction=data["direction"],
            summary=data["summary"],
            contact=data["contact"],
            guidance_given=data["guidance_given"],
            expected_version=self.expected_version,
            at=now,
        )


class EditDetailsForm(TicketActionForm):
    name = "edit"
    workflow_names = ("edit",)
    label = _("Edit details")
    submit_label = _("Save the details")
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    business_impact = forms.CharField(
        label=_("Business impact"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    onsite_contact = ContactChoiceField(
        label=_("On-site contact"), queryset=Contact.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        ticket = kwargs["ticket"]
        kwargs["initial"] = {
            "title": ticket.title,
            "description": ticket.description,
            "business_impact": ticket.business_impact,
            "onsite_contact": ticket.onsite_contact_id,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        self.fields["onsite_contact"].queryset = _customer_contacts(self.ticket)

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        services.update_ticket_details(
            ticket=self.ticket,
            by=self.user,
            title=data["title"],
            description=data["description"],
            business_impact=data["business_impact"],
            onsite_contact=data["onsite_contact"],
            expected_version=self.expected_version,
            at=now,
        )


class RouteForm(TicketActionForm):
    name = "route"
    workflow_names = ("route",)
    label = _("Forward to another centre")
    submit_label = _("Forward")
    centre = forms.ModelChoiceField(label=_("Service centre"), queryset=ServiceCentre.objects.none())
    reason = _reason_field(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = ServiceCentre.objects.filter(is_rnd=False).exclude(
            pk=self.ticket.centre_id or 0
        )

    def submit(self, *, now: datetime) -> None:
        services.route_ticket(
            ticket=self.ticket,
            by=self.user,
            centre=self.cleaned_data["centre"],
            reason=self.cleaned_data["reason"],
            expected_version=self.expected_version,
            at=now,
        )


class AssignForm(TicketActionForm):
    name = "assign"
    workflow_names = ("assign",)
    label = _("Assign")
    submit_label = _("Assign")
    assignee = PersonChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (the centre's pool)"),
    )
    reason = _reason_field(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = ticket_workers()
        if self.ticket.centre_id:
            # Centre staff of other centres cannot take the ticket; R&D and head office can.
            people = people.filter(Q(centre_id=self.ticket.centre_id) | Q(centre__isnull=True))
        self.fields["assignee"].queryset = people
        self.fields["assignee"].initial = self.ticket.assignee_id

    def submit(self, *, now: datetime) -> None:
        services.assign_ticket(
            ticket=self.ticket,
            by=self.user,
            assignee=self.cleaned_data["assignee"],
            reason=self.cleaned_data["reason"],
            expected_version=self.expected_version,
            at=now,
        )


class ChangeSeverityForm(TicketActionForm):
    name = "change_severity"
    workflow_names = ("change_severity",)
    label = _("Change severity")
    submit_label = _("Change severity")
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect)
    reason = _reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["severity"].initial = self.ticket.severity

    def submit(self, *, now: datetime) -> None:
        services.change_severity(
            ticket=self.ticket,
            by=self.user,
            severity=self.cleaned_data["severity"],
            reason=self.cleaned_data["reason"],
            expected_version=self.expected_version,
            at=now,
        )


class RequestOnsiteForm(TicketActionForm):
    LOCAL, RND = "local", "rnd"

    name = "request_onsite"
    workflow_names = ("request_onsite",)
    label = _("Request on-site service")
    submit_label = _("Request on-site service")
    engineer_kind = forms.ChoiceField(
        label=_("Who goes"),
        choices=[(LOCAL, _("Local engineer")), (RND, _("R&D engineer"))],
        initial=LOCAL,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("Detailed fault description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The engineer reads this before going; the letter asks for a detailed description."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].initial = self.ticket.description

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        description = data["description"]
        services.request_onsite(
            ticket=self.ticket,
            by=self.user,
            rnd=data["engineer_kind"] == self.RND,
            description=None if description.strip() == self.ticket.description.strip() else description,
            note=data["note"],
            expected_version=self.expected_version,
            at=now,
        )


class RecordRestoredForm(TicketActionForm):
    name = "record_restored"
    workflow_names = ("record_restored",)
    label = _("Record service restored")
    submit_label = _("Service is restored")
    how = forms.ChoiceField(
        label=_("Restored by"),
        choices=[
            (services.RESTORED_BY_WORKAROUND, _("A workaround")),
            (services.RESTORED_BY_SPARE, _("A spare unit")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def submit(self, *, now: datetime) -> None:
        services.record_restored(
            ticket=self.ticket,
            by=self.user,
            how=self.cleaned_data["how"],
            note=self.cleaned_data["note"],
            expected_version=self.expected_version,
            at=now,
        )


class WriteHandlingReportForm(_HandlingReportFields):
    name = "write_handling_report"
    workflow_names = ("write_handling_report",)
    label = _("Write the handling report only")
    submit_label = _("Save the handling report")

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        services.write_handling_report(
            ticket=self.ticket,
            by=self.user,
            diagnosis=data["diagnosis"],
            actions_taken=data["actions_taken"],
            level_reached=data["level_reached"],
            root_cause=data["root_cause"],
            expected_version=self.expected_version,
            at=now,
        )


class OverrideEntitlementForm(TicketActionForm):
    name = "override_entitlement"
    workflow_names = ("override_entitlement",)
    label = _("Override entitlement")
    submit_label = _("Override")
    entitlement = forms.ChoiceField(label=_("Entitlement"), choices=Entitlement.choices)
    contract = forms.ModelChoiceField(
        label=_("Covering contract"), queryset=Contract.objects.none(), required=False
    )
    warranty_ends_on = forms.DateField(
        label=_("Warranty ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = _reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = [self.ticket.customer_id, self.ticket.customer.parent_id]
        self.fields["contract"].queryset = Contract.objects.filter(customer_id__in=[o for o in owners if o])
        self.fields["entitlement"].initial = self.ticket.entitlement

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        services.override_entitlement(
            ticket=self.ticket,
            by=self.user,
            entitlement=data["entitlement"],
            reason=data["reason"],
            contract=data["contract"],
            warranty_ends_on=data["warranty_ends_on"],
            expected_version=self.expected_version,
            at=now,
        )


class ComplaintOutcomeForm(TicketActionForm):
    name = "record_complaint_outcome"
    workflow_names = ("record_complaint_outcome",)
    label = _("Record the complaint outcome")
    submit_label = _("Save the outcome")
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].initial = self.ticket.complaint_outcome

    def submit(self, *, now: datetime) -> None:
        services.record_complaint_outcome(
            ticket=self.ticket,
            by=self.user,
            outcome=self.cleaned_data["outcome"],
            expected_version=self.expected_version,
            at=now,
        )


def _one_or_none(matches: QuerySet[Any], too_many: str) -> Any:
    """The single match, None when nothing matches; several matches need a more precise entry."""
    found = list(matches[:2])
    if len(found) > 1:
        raise forms.ValidationError(too_many)
    return found[0] if found else None


def _contact_matching(customer: Customer, text: str) -> Contact:
    """The one contact of the customer (or of its head office) with this e-mail, number or name."""
    owners = [customer.pk] + ([customer.parent_id] if customer.parent_id else [])
    contacts = Contact.objects.filter(customer_id__in=owners).filter(
        Q(email__iexact=text) | Q(mobile=text) | Q(phone=text) | Q(name=text)
    )
    too_many = gettext("Several contacts match “%(text)s”: enter their e-mail or mobile.") % {"text": text}
    contact = _one_or_none(contacts, too_many)
    if contact is None:
        raise forms.ValidationError(
            gettext("No contact of %(customer)s matches “%(text)s”.") % {"customer": customer, "text": text}
        )
    return contact


class LinkCustomerForm(TicketActionForm):
    """Link a ticket mail intake opened for an unknown sender to the customer the specialist found.

    Not a workflow step: it is offered on any ticket still on the intake's
    placeholder customer, to whoever takes reports (``offered_form_classes``).
    """

    name = "link_customer"
    workflow_names = ()
    label = _("Link to customer")
    submit_label = _("Link to the customer")
    is_primary = True
    customer = forms.CharField(label=_("Customer (code or name)"), max_length=200)
    reporter = forms.CharField(
        label=_("Reporter (contact's name, e-mail or mobile)"),
        max_length=200,
        required=False,
        help_text=_("Leave empty when the sender is not one of the customer's contacts yet."),
    )
    unit = forms.CharField(label=_("Unit serial number"), max_length=64, required=False)

    @staticmethod
    def awaits_link(ticket: Ticket) -> bool:
        return ticket.customer.code == UNIDENTIFIED_CUSTOMER_CODE

    def clean_customer(self) -> Customer:
        text = self.cleaned_data["customer"].strip()
        candidates = Customer.objects.exclude(code=UNIDENTIFIED_CUSTOMER_CODE)
        too_many = gettext("Several customers match “%(text)s”: enter the customer's code.") % {"text": text}
        customer = (
            candidates.filter(code__iexact=text).first()
            or _one_or_none(candidates.filter(name__iexact=text), too_many)
            or _one_or_none(candidates.filter(name__icontains=text), too_many)
        )
        if customer is None:
            raise forms.ValidationError(gettext("No customer matches “%(text)s”.") % {"text": text})
        return customer

    def clean_unit(self) -> Unit | None:
        serial = self.cleaned_data["unit"].strip()
        if not serial:
            return None
        unit = Unit.objects.filter(serial__iexact=serial).first()
        if unit is None:
            raise forms.ValidationError(
                gettext("No unit has the serial number %(serial)s.") % {"serial": serial}
            )
        return unit

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = (data.get("reporter") or "").strip()
        data["reporter"] = None
        if text and data.get("customer") is not None:
            try:
                data["reporter"] = _contact_matching(data["customer"], text)
            except forms.ValidationError as error:
                self.add_error("reporter", error)
        return data

    def submit(self, *, now: datetime) -> None:
        data = self.cleaned_data
        services.link_ticket_to_customer(
            ticket=self.ticket,
            customer=data["customer"],
            by=self.user,
            reporter=data["reporter"],
            unit=data["unit"],
            expected_version=self.expected_version,
            at=now,
        )


# In page order: what moves the ticket on, the conversation, then the rest.
ACTION_FORMS: dict[str, type[TicketActionForm]] = {
    form.name: form
    for form in (
        LinkCustomerForm,
        AcceptForm,
        StartWorkForm,
        CustomerRepliedForm,
        ResolveForm,
        FollowUpForm,
        ReopenForm,
        ReplyForm,
        LogCallForm,
        NoteForm,
        WaitForCustomerForm,
        RequestOnsiteForm,
        RecordRestoredForm,
        WriteHandlingReportForm,
        ChangeSeverityForm,
        AssignForm,
        RouteForm,
        EditDetailsForm,
        ComplaintOutcomeForm,
        OverrideEntitlementForm,
        CloseForm,
        CancelForm,
    )
}


def offered_form_classes(ticket: Ticket, user: User) -> list[type[TicketActionForm]]:
    """The forms for exactly the moves and actions the workflow table allows ``user`` now, and the
    link to a customer while the ticket waits on mail intake's placeholder customer."""
    allowed = {move.name for move in workflow.allowed_moves(ticket, user)}
    allowed |= {action.name for action in workflow.allowed_actions(ticket, user)}
    return [
        form
        for form in ACTION_FORMS.values()
        if allowed.intersection(form.workflow_names)
        or (form is LinkCustomerForm and LinkCustomerForm.awaits_link(ticket) and may_ever_use(form, user))
    ]


def may_ever_use(form_class: type[TicketActionForm], user: User) -> bool:
    """Whether the person's role holds the capability of any move or action of the form."""
    if not user.is_active or user.is_customer_user:
        return False
    if form_class is LinkCustomerForm:
        return user.has_perm(f"{PERMISSION_APP}.{Capability.TAKE_REPORT}")
    for name in form_class.workflow_names:
        step = workflow.MOVES.get(name) or workflow.ACTIONS.get(name)
        if step is not None and step.permission and user.has_perm(step.permission):
            return True
    return False


# --- phone intake --------------------------------------------------------------------------------


def parse_call_start(raw: str | None) -> datetime | None:
    """The call's start as carried by the intake page (ISO 8601 in UTC), or None if unreadable."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def format_call_start(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.serial} · {obj.product_model}"


class PhoneReportForm(forms.Form):
    """The report a specialist takes on the hotline, for a customer already identified."""

    call_started_at = forms.CharField(widget=forms.HiddenInput)
    reporter = ContactChoiceField(label=_("Caller"), queryset=Contact.objects.none(), required=False)
    reporter_name = forms.CharField(
        label=_("Caller's name"),
        max_length=100,
        required=False,
        help_text=_("When the caller is not a known contact."),
    )
    reporter_phone = forms.CharField(label=_("Caller's number"), max_length=40, required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.FAULT)
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=Severity.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Severe: the customer's business system is interrupted. "
            "General: slight impact, the business goes on."
        ),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    business_impact = forms.CharField(
        label=_("Business impact"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    onsite_contact = ContactChoiceField(
        label=_("On-site contact"), queryset=Contact.objects.none(), required=False
    )
    guidance_given = forms.BooleanField(
        label=_("Guidance given during the call (solved at L1)"),
        required=False,
        help_text=_("The call itself is then the response to the customer."),
    )
    guidance = forms.CharField(
        label=_("Guidance given"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.customer = customer
        owners = [customer.pk] + ([customer.parent_id] if customer.parent_id else [])
        contacts = Contact.objects.filter(customer_id__in=owners).order_by("name")
        self.fields["reporter"].queryset = contacts
        self.fields["onsite_contact"].queryset = contacts
        self.fields["unit"].queryset = Unit.objects.filter(customer=customer).select_related("product_model")

    def clean_call_started_at(self) -> datetime:
        moment = parse_call_start(self.cleaned_data["call_started_at"])
        if moment is None:
            raise forms.ValidationError(gettext("The call's start time is missing; reload the page."))
        return moment

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == Kind.FAULT:
            if not data.get("unit"):
                self.add_error("unit", gettext("A fault needs the unit (serial number) it concerns."))
            if not data.get("severity"):
                self.add_error("severity", gettext("Choose the severity: is the business interrupted?"))
        if not data.get("reporter") and not (data.get("reporter_name") or "").strip():
            self.add_error("reporter_name", gettext("Choose the caller or give their name."))
        return data

    def submit(self, *, by: User, now: datetime) -> Ticket:
        data = self.cleaned_data
        reporter = data["reporter"]
        return services.open_ticket(
            by=by,
            kind=data["kind"],
            channel=Channel.PHONE,
            customer=self.customer,
            title=data["title"],
            description=data["description"],
            reported_at=data["call_started_at"],
            severity=data["severity"] if data["kind"] == Kind.FAULT else "",
            unit=data["unit"],
            reporter=reporter,
            reporter_name=data["reporter_name"].strip() or (reporter.name if reporter else ""),
            reporter_phone=data["reporter_phone"].strip(),
            onsite_contact=data["onsite_contact"] or reporter,
            business_impact=data["business_impact"],
            guidance_given=data["guidance_given"],
            guidance=data["guidance"],
            now=now,
        )
