"""The queue: open tickets by nearest due time, with live countdowns, filters and Excel export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from aftersales.desk import countdown, exports
from aftersales.desk.queries import (
    EXPORT_ROW_LIMIT,
    SEVERITY_SHORT,
    STATUS_ALL,
    Cursor,
    QueueFilters,
    QueueView,
    Risk,
    export_headers,
    parse_queue_filters,
    queue_export_rows,
    queue_filter_options,
    queue_page,
    queue_views_for,
)
from aftersales.desk.views.auth import staff_required
from aftersales.tickets.models import Kind, Status

# The query parameters that make up a filter (the cursor ``after`` is not one of them).
FILTER_PARAMS = (
    "view",
    "status",
    "kind",
    "severity",
    "centre",
    "assignee",
    "customer",
    "risk",
    "provisional",
)


def _filter_query(request: HttpRequest, **changes: str) -> str:
    """The current filters as a query string, with ``changes`` applied (empty values dropped)."""
    params = {name: request.GET.get(name, "") for name in FILTER_PARAMS}
    params.update(changes)
    return urlencode({name: value for name, value in params.items() if value})


def _page_context(request: HttpRequest, filters: QueueFilters) -> dict:
    now = timezone.now()
    page = queue_page(request.user, filters, now=now, after=Cursor.parse(request.GET.get("after")))
    query = _filter_query(request)
    rows_query = _filter_query(request, after=request.GET.get("after", ""))
    next_url = ""
    if page.next_cursor is not None:
        next_url = "?" + _filter_query(request, after=page.next_cursor.encode())
    return {
        "page": page,
        "rows": page.rows,
        "server_now_ms": int(now.timestamp() * 1000),
        "rows_url": reverse("desk:queue_rows") + ("?" + rows_query if rows_query else ""),
        "next_url": next_url,
        "first_url": "?" + query if query else "?",
        "is_first_page": not request.GET.get("after"),
        "provisional_title": gettext("Provisional: rests on a year without an official working-day schedule"),
        "breach_title": gettext("A promise of this ticket was broken"),
    }


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The queue page; the rows refresh every 30 s through ``queue_rows``."""
    filters = parse_queue_filters(request.GET)
    options = queue_filter_options(request.user)
    context = _page_context(request, filters)
    context.update(
        {
            "nav": "mine" if filters.view == QueueView.MINE else "queue",
            "filters": filters,
            "views": [
                (value, label, "?" + _filter_query(request, view=value))
                for value, label in queue_views_for(request.user)
            ],
            "status_choices": [("", gettext("Open")), *Status.choices, (STATUS_ALL, gettext("Any status"))],
            "kind_choices": Kind.choices,
            "severity_choices": list(SEVERITY_SHORT.items()),
            "risk_choices": Risk.choices,
            "options": options,
            "export_url": reverse("desk:queue_export")
            + ("?" + _filter_query(request) if request.GET else ""),
            "export_limit": EXPORT_ROW_LIMIT,
            "countdown_units": countdown.unit_labels(),
        }
    )
    return render(request, "desk/queue.html", context)


@require_GET
@staff_required
def queue_rows(request: HttpRequest) -> HttpResponse:
    """The table body alone, for the 30-second refresh (same filters and cursor as the page)."""
    filters = parse_queue_filters(request.GET)
    return render(request, "desk/_queue_rows.html", _page_context(request, filters))


@require_GET
@staff_required
def queue_export(request: HttpRequest) -> HttpResponse:
    """The filtered queue as an Excel file, headers in the user's language, at most 10,000 rows."""
    filters = parse_queue_filters(request.GET)
    now = timezone.now()
    content = exports.workbook_bytes(
        title=gettext("Queue"),
        headers=export_headers(),
        rows=queue_export_rows(request.user, filters, now=now),
    )
    response = HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="queue-{stamp}.xlsx"'
    return response
