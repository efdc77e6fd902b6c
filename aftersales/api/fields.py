"""Serializer fields that name objects the caller may see, by id or by their business key.

Every reference resolves through a queryset the view scopes to the caller
(``tickets_visible_to``, ``customer_scope_for_user``), so naming another
customer's unit, contact or ticket reads "not found", exactly as if it did
not exist. Ids are bounded to what the database stores: a huge number is a
400, not an overflow in the database driver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL (bigint) store
MAX_VERSION = 2**31 - 1


def parse_id(value: Any) -> int | None:
    """An id from JSON or a URL: an integer (or all-digit text) within the database's range, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


class IdField(serializers.IntegerField):
    """A positive id that the database can store."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class VersionField(serializers.IntegerField):
    """The ticket ``version`` the client read; a save based on another is refused with 409."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_VERSION)
        kwargs.setdefault(
            "help_text",
            _("The ticket's version as you read it; if someone changed the ticket since, 409 conflict."),
        )
        super().__init__(**kwargs)


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"type": "string", "minLength": 1}]}
)
class ScopedReferenceField(serializers.Field):
    """An object of a queryset scoped to the caller, named by its id or (as text) by a business key.

    ``scope(request)`` returns the queryset the caller may see; ``key`` is the
    unique text field tried for strings (a unit's serial, a ticket's number).
    A JSON integer is always an id; an all-digit string is the key first, then
    an id, so a serial made of digits still works.
    """

    default_error_messages = {
        "does_not_exist": _("No such %(thing)s: %(value)s."),
        "invalid": _("Give the %(thing)s's id or its %(key_name)s."),
    }

    def __init__(
        self,
        *,
        scope: Callable[[Any], QuerySet],
        thing: Any,
        key: str | None = None,
        select_related: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        self.scope = scope
        self.thing = thing
        self.key = key
        self.select_related = select_related
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        values = {"thing": self.thing, "key_name": self.key or "id", "value": str(data)[:80]}
        if isinstance(data, bool) or not isinstance(data, int | str) or data == "":
            self.fail("invalid", **values)
        queryset = self.scope(self.context.get("request"))
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        found = None
        if isinstance(data, str) and self.key is not None:
            text = data.strip()
            found = queryset.filter(**{self.key: text}).first() if 0 < len(text) <= 64 else None
        if found is None:
            pk = parse_id(data)
            found = queryset.filter(pk=pk).first() if pk is not None else None
        if found is None:
            self.fail("does_not_exist", **values)
        return found

    def to_representation(self, value: Model) -> Any:
        return value.pk
