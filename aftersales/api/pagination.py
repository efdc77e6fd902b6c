"""Cursor pages: stable under inserts (an integration syncing tickets never skips or repeats one).

A cursor is opaque to clients but not trusted: its position is checked
against the ordering field before it reaches a query, so a forged or
truncated cursor is a 400, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

from aftersales.api.fields import MAX_ID

MAX_PAGE_SIZE = 200


class IdCursorPagination(CursorPagination):
    """Pages in id order (newest first by default); ``?ordering=`` picks one of ``orderings``."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering_query_param = "ordering"
    # The choices offered to clients, each with its order_by (the first field positions the cursor).
    orderings: dict[str, tuple[str, ...]] = {"-id": ("-id",), "id": ("id",)}
    default_ordering = "-id"

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        choice = request.query_params.get(self.ordering_query_param) or self.default_ordering
        if choice not in self.orderings:
            raise ValidationError(
                {
                    self.ordering_query_param: [
                        gettext("Order by one of: %(choices)s.") % {"choices": ", ".join(self.orderings)}
                    ]
                }
            )
        return self.orderings[choice]

    def decode_cursor(self, request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [gettext("This cursor is not valid.")]}) from exc
        if cursor is not None and cursor.position is not None and not self._is_position(cursor.position):
            raise ValidationError({self.cursor_query_param: [gettext("This cursor is not valid.")]})
        return cursor

    def _is_position(self, position: str) -> bool:
        field = self.ordering[0].lstrip("-")
        if field == "id":
            return position.isascii() and position.isdigit() and int(position) <= MAX_ID
        try:
            return parse_datetime(position) is not None
        except ValueError:
            return False

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": gettext("Order of the results."),
                "schema": {"type": "string", "enum": list(self.orderings), "default": self.default_ordering},
            },
        ]


class TicketCursorPagination(IdCursorPagination):
    """Tickets by id, or by when they were reported (the id breaks ties in the order)."""

    orderings = {
        "-id": ("-id",),
        "id": ("id",),
        "-reported_at": ("-reported_at", "-id"),
        "reported_at": ("reported_at", "id"),
    }
