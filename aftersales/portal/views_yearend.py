"""The portal's year-end reports ``/portal/year-end/``: the organisation's archived reports.

A head office sees its branches' reports too (``customers.queries`` scope); a report of
another organisation is a 404, like one that does not exist.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from aftersales.portal.views import customer_view
from aftersales.reports.yearend_queries import archived_reports_for, get_archived_report

PER_PAGE = 25


@customer_view("GET")
def yearend_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(archived_reports_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/yearend/list.html", {"nav": "year_end", "page": page})


@customer_view("GET")
def yearend_download(request: HttpRequest, yearend_report_id: int) -> HttpResponse:
    report = get_archived_report(request.user, yearend_report_id)
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report.download_name,
        content_type="application/pdf",
    )
