"""Portal pages of inspections: the organisation's inspection visits and their report PDFs."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from aftersales.core.business_time import local_date
from aftersales.inspections.queries import (
    customer_inspection_visits,
    get_portal_inspection_visit,
    visit_state,
)
from aftersales.inspections.report import inspection_report_pdf
from aftersales.portal.views import customer_view

VISITS_PER_PAGE = 25


@customer_view("GET")
def inspection_list(request: HttpRequest) -> HttpResponse:
    today = local_date(timezone.now())
    page = Paginator(customer_inspection_visits(request.user), VISITS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [(visit, visit_state(visit, today=today)) for visit in page.object_list]
    return render(request, "portal/inspections/list.html", {"page": page, "rows": rows, "today": today})


@customer_view("GET")
def inspection_report(request: HttpRequest, inspection_number: str) -> HttpResponse:
    visit = get_portal_inspection_visit(request.user, inspection_number)
    language = request.GET.get("lang") or translation.get_language() or "zh-hans"
    language = "en" if language.startswith("en") else "zh-hans"
    response = HttpResponse(inspection_report_pdf(visit, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{visit.number}-{language}.pdf"'
    return response
