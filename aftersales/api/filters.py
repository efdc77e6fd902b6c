"""Query-string filters of the lists. Ids are bounded (a huge number is a 400, not a driver overflow)."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from aftersales.api.fields import MAX_ID
from aftersales.customers.models import Contact, normalise_phone
from aftersales.tickets.models import Kind, Severity, Status, Ticket
from aftersales.units.models import Unit


class IdFilter(django_filters.NumberFilter):
    """An id: a positive integer the database can store."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, read in UTC: an odd offset (``+20:18``) or an edge year never reaches the
    database, which may refuse what Python accepts."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(_("This moment is out of range."), code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, help_text=_("Repeat for several: ?status=new&status=accepted.")
    )
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    centre = IdFilter(field_name="centre_id", help_text=_("Service centre id."))
    assignee = IdFilter(field_name="assignee_id", help_text=_("Assignee's user id."))
    number = django_filters.CharFilter(field_name="number", max_length=24)
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=_("ISO 8601, e.g. 2026-03-02T09:00:00+08:00.")
    )

    class Meta:
        model = Ticket
        fields = ["status", "kind", "severity", "customer", "centre", "assignee", "number", "updated_since"]


class UnitFilter(django_filters.FilterSet):
    serial = django_filters.CharFilter(field_name="serial", max_length=64)
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))

    class Meta:
        model = Unit
        fields = ["serial", "customer"]


class ContactFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    phone = django_filters.CharFilter(
        method="filter_phone", max_length=100, help_text=_("Any spelling of a phone or mobile number.")
    )

    class Meta:
        model = Contact
        fields = ["customer", "phone"]

    def filter_phone(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        number = normalise_phone(value)
        if not number:
            return queryset.none()
        return queryset.filter(phone_normalised=number) | queryset.filter(mobile_normalised=number)
