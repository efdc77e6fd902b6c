"""What the API reads and writes. Serializers parse and present; the services decide.

Input is strict: a key the caller may not write is refused with a 400 that
names it, never dropped in silence, so an integration that sends ``status`` or
``assignee`` learns at once that it did not take effect. Customer users lose
the staff-only fields (``StrictInputMixin.staff_only_fields``) entirely.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftersales.accounts.models import ServiceCentre, User
from aftersales.api import queries
from aftersales.api.fields import ScopedReferenceField, VersionField
from aftersales.customers.models import Contact, Customer, Site
from aftersales.tickets import workflow
from aftersales.tickets.models import (
    Attachment,
    Channel,
    Entitlement,
    Kind,
    Level,
    Severity,
    Ticket,
    TicketEvent,
)
from aftersales.tickets.queries import ticket_timeline
from aftersales.units.entitlement import EntitlementVerdict, entitlement_for
from aftersales.units.models import Contract, ProductModel, Unit

TEXT_MAX = 20_000  # a fault description, a reply: generous, but bounded
# A report entered late (the mailbox was down, a call logged afterwards) still starts its clock
# when it reached us; older than this it is a data import, not an intake.
REPORTED_AT_MAX_AGE = timedelta(days=31)

# What ``entitlement_for`` answers, and what a manager may override a ticket's verdict to.
VERDICT_CHOICES = [choice for choice in Entitlement.choices if choice[0] != Entitlement.NOT_APPLICABLE]

# Hints for keys that people try to write where they cannot be written.
_READ_ONLY_HINTS = {
    "status": _("The status changes only through a transition (POST …/transitions/)."),
    "version": _("The version is kept by the server."),
}


# Never writable by a customer user, whichever endpoint they are sent to.
STAFF_ONLY_EVERYWHERE = frozenset(
    {
        "assignee",
        "centre",
        "channel",
        "customer",
        "entitlement",
        "entitlement_contract",
        "internal",
        "reported_at",
        "reporter",
        "status",
        "warranty_ends_on",
    }
)


def is_customer_user(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_customer_user)


def _user_of(request) -> User:
    return request.user


class StrictInputMixin:
    """Refuse every key that is not a writable field of this serializer for this caller.

    ``staff_only_fields`` are removed for customer users (``customer_only_fields``
    for staff); a customer writing a staff-only field is told only vendor staff
    may set it. Any other key the serializer does not accept (a read-only
    field, a typo, a field of another endpoint) is refused as not accepted.
    """

    staff_only_fields: tuple[str, ...] = ()
    customer_only_fields: tuple[str, ...] = ()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # type: ignore[misc]
        request = self.context.get("request")  # type: ignore[attr-defined]
        if request is None:
            return fields  # the schema: every field
        hidden = self.staff_only_fields if is_customer_user(request) else self.customer_only_fields
        for name in hidden:
            fields.pop(name, None)
        return fields

    def writable_keys(self, data: Mapping[str, Any]) -> set[str]:
        return {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = self.writable_keys(data)
            refused = {str(key): [self.refusal(str(key))] for key in data if key not in allowed}
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)  # type: ignore[misc]

    def refusal(self, key: str) -> str:
        is_customer = is_customer_user(self.context.get("request"))  # type: ignore[attr-defined]
        if is_customer and (key in self.staff_only_fields or key in STAFF_ONLY_EVERYWHERE):
            return gettext("Only vendor staff may set “%(field)s”.") % {"field": key}
        if key in _READ_ONLY_HINTS:
            return str(_READ_ONLY_HINTS[key])
        return gettext("“%(field)s” is not accepted here.") % {"field": key}


# --- small representations of related objects ------------------------------------------------------

_FIELD_TEMPLATES: dict[type, dict[str, serializers.Field]] = {}


class OutputSerializer(serializers.ModelSerializer):
    """A read-only model representation whose fields are introspected once per class.

    DRF rebuilds a ModelSerializer's fields from the model on every instance;
    a ticket with its nested customer, unit, contacts and people would spend
    more time on that than on its queries. The fields here depend on the class
    alone (never on the request), so a copy of the first build serves.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        template = _FIELD_TEMPLATES.get(type(self))
        if template is None:
            template = _FIELD_TEMPLATES[type(self)] = super().get_fields()
        return copy.deepcopy(template)


class CustomerBriefSerializer(OutputSerializer):
    class Meta:
        model = Customer
        fields = ["id", "code", "name"]


class SiteBriefSerializer(OutputSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "city"]


class ProductModelSerializer(OutputSerializer):
    class Meta:
        model = ProductModel
        fields = ["id", "code", "name", "kind"]


class UnitBriefSerializer(OutputSerializer):
    model = serializers.CharField(source="product_model.name", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "serial", "model"]


class ContactBriefSerializer(OutputSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name"]


class CentreBriefSerializer(OutputSerializer):
    class Meta:
        model = ServiceCentre
        fields = ["id", "code", "name"]


class PersonSerializer(OutputSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]


class ContractBriefSerializer(OutputSerializer):
    class Meta:
        model = Contract
        fields = ["id", "number", "kind", "starts_on", "ends_on"]


# --- tickets ---------------------------------------------------------------------------------------


class TicketSerializer(OutputSerializer):
    """A ticket as a list shows it; ``id`` and ``number`` both find it at ``/api/v1/tickets/<either>/``.

    The moves the caller may make, the timeline and the files are on the single
    ticket (``TicketDetailSerializer``): each costs queries a list must not
    repeat per row.
    """

    url = serializers.SerializerMethodField()
    # Blank until known: a consultation has no severity, an open ticket no level reached.
    severity = serializers.ChoiceField(choices=Severity.choices, allow_blank=True, read_only=True)
    level_reached = serializers.ChoiceField(choices=Level.choices, allow_blank=True, read_only=True)
    customer = CustomerBriefSerializer(read_only=True)
    site = SiteBriefSerializer(read_only=True, allow_null=True)
    unit = UnitBriefSerializer(read_only=True, allow_null=True)
    reporter = ContactBriefSerializer(read_only=True, allow_null=True)
    onsite_contact = ContactBriefSerializer(read_only=True, allow_null=True)
    centre = CentreBriefSerializer(read_only=True, allow_null=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "url",
            "version",
            "kind",
            "channel",
            "severity",
            "status",
            "level_reached",
            "title",
            "description",
            "business_impact",
            "customer",
            "site",
            "unit",
            "reporter",
            "reporter_name",
            "onsite_contact",
            "centre",
            "assignee",
            "entitlement",
            "entitlement_reason",
            "warranty_ends_on",
            "reported_at",
            "first_response_at",
            "restored_at",
            "resolved_at",
            "closed_at",
            "next_due_at",
            "has_breach",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, ticket: Ticket) -> str:
        return reverse("api:ticket-detail", kwargs={"reference": ticket.number})


class MoveSerializer(serializers.Serializer):
    move = serializers.CharField(source="name")
    label = serializers.CharField()
    needs = serializers.CharField()


class TimelineEventSerializer(OutputSerializer):
    """The shape of a timeline row in the schema (``TicketDetailSerializer`` builds the rows)."""

    actor = serializers.CharField(allow_null=True)

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "kind",
            "at",
            "actor",
            "is_public",
            "body",
            "from_status",
            "to_status",
            "field",
            "old_value",
            "new_value",
        ]
        read_only_fields = fields


_MOMENT = serializers.DateTimeField()


class AttachmentSerializer(OutputSerializer):
    """The shape of a file in the schema (``TicketDetailSerializer`` builds the rows)."""

    name = serializers.CharField(source="original_name", read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "is_public",
            "refused",
            "refusal_reason",
            "created_at",
        ]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    """One ticket with what the caller may do next, its timeline and files (customers: the public part)."""

    allowed_moves = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "allowed_moves", "timeline", "attachments"]
        read_only_fields = fields

    @extend_schema_field(MoveSerializer(many=True))
    def get_allowed_moves(self, ticket: Ticket) -> list[dict[str, str]]:
        user = _user_of(self.context["request"])
        return [
            {"move": move.name, "label": str(move.label), "needs": str(move.needs)}
            for move in workflow.allowed_moves(ticket, user)
        ]

    # The timeline and the files are built as plain rows: a ModelSerializer per event would cost
    # more than the rest of the ticket together, on every write's response.

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, ticket: Ticket) -> list[dict[str, Any]]:
        public_only = is_customer_user(self.context["request"])
        moment = _MOMENT.to_representation
        return [
            {
                "id": event.id,
                "kind": event.kind,
                "at": moment(event.at),
                "actor": str(event.actor) if event.actor is not None else None,
                "is_public": event.is_public,
                "body": event.body,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "field": event.field,
                "old_value": event.old_value,
                "new_value": event.new_value,
            }
            for event in ticket_timeline(ticket, public_only=public_only)
        ]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, ticket: Ticket) -> list[dict[str, Any]]:
        files = ticket.attachments.all()
        if is_customer_user(self.context["request"]):
            files = files.filter(is_public=True)
        moment = _MOMENT.to_representation
        return [
            {
                "id": file.id,
                "name": file.original_name,
                "content_type": file.content_type,
                "size": file.size,
                "is_public": file.is_public,
                "refused": file.refused,
                "refusal_reason": file.refusal_reason,
                "created_at": moment(file.created_at),
            }
            for file in files
        ]


def _units(request) -> Any:
    return queries.unit_references(_user_of(request))


def _contacts(request) -> Any:
    return queries.api_contacts(_user_of(request))


def _customers(request) -> Any:
    return queries.api_customers(_user_of(request))


def _tickets(request) -> Any:
    return queries.api_tickets(_user_of(request))


def _contracts(request) -> Any:
    return queries.api_contracts(_user_of(request))


def _staff(request) -> Any:
    return queries.vendor_staff()


def _centres(request) -> Any:
    return queries.service_centres()


class TicketCreateSerializer(StrictInputMixin, serializers.Serializer):
    """A report. Customers report for their own organisation (the unit's, else their own);
    staff also name the customer, the channel it came in by, the reporter and when it reached us."""

    staff_only_fields = (
        "customer",
        "channel",
        "reporter",
        "reporter_name",
        "reporter_phone",
        "reporter_email",
        "reported_at",
    )

    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.FAULT)
    unit = ScopedReferenceField(
        scope=_units,
        thing=_("unit"),
        key="serial",
        required=False,
        allow_null=True,
        help_text=_("The unit's serial number or id (a fault needs one)."),
    )
    severity = serializers.ChoiceField(
        choices=Severity.choices,
        required=False,
        allow_blank=True,
        help_text=_("severe: business interrupted; general: slight impact. A fault needs one."),
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=TEXT_MAX)
    business_impact = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    onsite_contact = ScopedReferenceField(
        scope=_contacts, thing=_("contact"), required=False, allow_null=True
    )
    customer = ScopedReferenceField(
        scope=_customers,
        thing=_("customer"),
        key="code",
        required=False,
        help_text=_("Staff: the customer's id or code (default: the unit's customer)."),
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    reporter = ScopedReferenceField(scope=_contacts, thing=_("contact"), required=False, allow_null=True)
    reporter_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True)
    reported_at = serializers.DateTimeField(
        required=False, help_text=_("When the report reached us (default: now); starts the response clock.")
    )

    def validate_reported_at(self, value):
        if value < timezone.now() - REPORTED_AT_MAX_AGE:
            raise serializers.ValidationError(
                gettext("A report older than %(days)s days is not an intake.")
                % {"days": REPORTED_AT_MAX_AGE.days}
            )
        return value


class TicketUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Staff corrections: details, severity, routing, assignment, entitlement — each recorded on the
    timeline by its service; severity, routing and entitlement changes need a ``reason``."""

    staff_only_fields = (
        "title",
        "description",
        "business_impact",
        "onsite_contact",
        "severity",
        "centre",
        "assignee",
        "entitlement",
        "entitlement_contract",
        "warranty_ends_on",
        "reason",
        "version",
    )

    version = VersionField()
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=TEXT_MAX, required=False)
    business_impact = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    onsite_contact = ScopedReferenceField(scope=_contacts, thing=_("contact"), required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    centre = ScopedReferenceField(scope=_centres, thing=_("centre"), key="code", required=False)
    assignee = ScopedReferenceField(
        scope=_staff,
        thing=_("person"),
        key="username",
        required=False,
        allow_null=True,
        help_text=_("A person's id or user name; null puts the ticket back in the centre's pool."),
    )
    entitlement = serializers.ChoiceField(choices=VERDICT_CHOICES, required=False)
    entitlement_contract = ScopedReferenceField(
        scope=_contracts, thing=_("contract"), key="number", required=False, allow_null=True
    )
    warranty_ends_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        overrides = {"entitlement_contract", "warranty_ends_on"} & attrs.keys()
        if overrides and "entitlement" not in attrs:
            raise serializers.ValidationError(
                {name: [gettext("Give it with the entitlement it supports.")] for name in overrides}
            )
        return attrs


class ReplySerializer(StrictInputMixin, serializers.Serializer):
    """A message on the ticket: public (the customer sees it), or for staff an internal note.

    A customer's message may carry files (multipart/form-data); it moves the
    ticket as a mailed reply would (waiting → in progress, resolved → reopened).
    Staff replies compare ``version`` like every other change.
    """

    staff_only_fields = ("internal", "version")
    customer_only_fields = ("attachments",)

    body = serializers.CharField(max_length=TEXT_MAX, allow_blank=True)
    internal = serializers.BooleanField(
        default=False, help_text=_("Staff: an internal note, never shown to the customer.")
    )
    version = VersionField(required=False)
    attachments = serializers.ListField(
        child=serializers.FileField(max_length=255, allow_empty_file=False),
        required=False,
        max_length=10,
        help_text=_("Customers: files sent with the message (multipart/form-data)."),
    )


# The inputs each move takes besides ``move`` and ``version``.
MOVE_INPUTS: dict[str, tuple[str, ...]] = {
    "accept": (),
    "start_work": (),
    "wait_for_customer": ("reason",),
    "customer_replied": ("body",),
    "resolve": ("diagnosis", "actions_taken", "level_reached", "root_cause"),
    "confirm_fixed": ("satisfaction", "comment", "channel"),
    "not_fixed": ("comment", "channel"),
    "close": ("reason",),
    "reopen": ("reason",),
    "cancel": ("reason",),
    "mark_duplicate": ("duplicate_of", "reason"),
}


class TransitionSerializer(StrictInputMixin, serializers.Serializer):
    """A workflow move with the ticket version it is based on and the inputs that move takes."""

    move = serializers.ChoiceField(choices=[(name, str(workflow.MOVES[name].label)) for name in MOVE_INPUTS])
    version = VersionField()
    reason = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    body = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    comment = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    diagnosis = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    actions_taken = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    level_reached = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True)
    root_cause = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    duplicate_of = ScopedReferenceField(
        scope=_tickets,
        thing=_("ticket"),
        key="number",
        required=False,
        help_text=_("mark_duplicate: the original ticket's id or number."),
    )

    def writable_keys(self, data: Mapping[str, Any]) -> set[str]:
        move = data.get("move")
        inputs = MOVE_INPUTS.get(move, ()) if isinstance(move, str) else ()
        return {"move", "version", *inputs}

    def refusal(self, key: str) -> str:
        move = self.initial_data.get("move") if isinstance(self.initial_data, Mapping) else None
        if key in self.fields and isinstance(move, str) and move in MOVE_INPUTS:
            return gettext("“%(field)s” is not an input of the move “%(move)s”.") % {
                "field": key,
                "move": move,
            }
        return super().refusal(key)


# --- units, customers, contacts --------------------------------------------------------------------


class EntitlementSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=VERDICT_CHOICES)
    label = serializers.CharField()
    hardware_warranty_ends_on = serializers.DateField(allow_null=True)
    software_warranty_ends_on = serializers.DateField(allow_null=True)
    warranty_ends_on = serializers.DateField(allow_null=True)
    reason = serializers.CharField()
    contract = ContractBriefSerializer(allow_null=True)


def entitlement_data(verdict: EntitlementVerdict) -> dict[str, Any]:
    return {
        "verdict": verdict.verdict,
        "label": verdict.label,
        "hardware_warranty_ends_on": verdict.hardware_warranty_ends_on,
        "software_warranty_ends_on": verdict.software_warranty_ends_on,
        "warranty_ends_on": verdict.warranty_ends_on,
        "reason": str(verdict.reason),
        "contract": verdict.contract,
    }


class UnitSerializer(OutputSerializer):
    """A unit with its entitlement on the day asked (``?on=``, default today in Asia/Shanghai)."""

    product_model = ProductModelSerializer(read_only=True)
    customer = CustomerBriefSerializer(read_only=True)
    site = SiteBriefSerializer(read_only=True, allow_null=True)
    replaces = serializers.SlugRelatedField(slug_field="serial", read_only=True, allow_null=True)
    entitlement = serializers.SerializerMethodField()

    class Meta:
        model = Unit
        fields = [
            "id",
            "serial",
            "product_model",
            "customer",
            "site",
            "shipped_on",
            "accepted_on",
            "software_version",
            "is_active",
            "replaces",
            "entitlement",
        ]
        read_only_fields = fields

    @extend_schema_field(EntitlementSerializer)
    def get_entitlement(self, unit: Unit) -> dict[str, Any]:
        verdict = entitlement_for(unit, on=self.context["on"])
        return EntitlementSerializer(entitlement_data(verdict)).data


class CustomerSerializer(OutputSerializer):
    parent = CustomerBriefSerializer(read_only=True, allow_null=True)
    account_manager = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "account_manager",
            "invoice_title",
            "tax_number",
            "invoice_address",
            "invoice_bank",
        ]
        read_only_fields = fields


class ContactSerializer(OutputSerializer):
    customer = CustomerBriefSerializer(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "department",
            "phone",
            "mobile",
            "email",
            "language",
            "receives_reports",
        ]
        read_only_fields = fields


# --- the PBX screen pop ------------------------------------------------------------------------------


class CallSerializer(StrictInputMixin, serializers.Serializer):
    caller = serializers.CharField(
        max_length=100, help_text=_("The caller's number as the PBX shows it, e.g. +86 138-0000-1234 ext 12.")
    )


class CallContactSerializer(OutputSerializer):
    customer = CustomerBriefSerializer(read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "department", "phone", "mobile", "email", "customer"]
        read_only_fields = fields


class CallUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="unit.id")
    serial = serializers.CharField(source="unit.serial")
    model = serializers.CharField(source="unit.product_model.name")
    site = SiteBriefSerializer(source="unit.site", allow_null=True)
    entitlement = serializers.SerializerMethodField()

    @extend_schema_field(EntitlementSerializer)
    def get_entitlement(self, item: queries.UnitEntitlement) -> dict[str, Any]:
        return EntitlementSerializer(entitlement_data(item.verdict)).data


class CallTicketSerializer(OutputSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "number", "url", "title", "status", "severity", "kind", "reported_at"]
        read_only_fields = fields

    def get_url(self, ticket: Ticket) -> str:
        return reverse("api:ticket-detail", kwargs={"reference": ticket.number})


class CallCustomerSerializer(serializers.Serializer):
    customer = CustomerBriefSerializer()
    units = CallUnitSerializer(many=True)
    open_tickets = CallTicketSerializer(many=True)


class ScreenPopSerializer(serializers.Serializer):
    caller = serializers.CharField()
    number = serializers.CharField(help_text=_("The caller's number, normalised as it is matched."))
    intake_url = serializers.CharField(help_text=_("The console's phone intake page for this number."))
    contacts = CallContactSerializer(many=True)
    customers = CallCustomerSerializer(many=True)
