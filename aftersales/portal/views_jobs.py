"""Portal pages of jobs: the organisation's installations, trainings and migrations, and their reports.

A job outside the user's organisation (a head office also sees its branches) is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext

from aftersales.jobs import queries, reports
from aftersales.portal.views import customer_view
from aftersales.tickets.models import Ticket

REPORT_LANGUAGES = ("zh-hans", "en")


def get_portal_job(user, job_number: str):
    """The job of ticket ``job_number`` if it is the user's organisation's; otherwise 404."""
    try:
        return queries.get_visible_job(user, job_number)
    except Ticket.DoesNotExist:
        raise Http404(gettext("No such job.")) from None


@customer_view("GET")
def job_list(request: HttpRequest) -> HttpResponse:
    rows = queries.job_rows(request.user)
    return render(request, "portal/jobs/list.html", {"nav": "jobs", "rows": rows})


@customer_view("GET")
def job_report(request: HttpRequest, job_number: str) -> HttpResponse:
    job = get_portal_job(request.user, job_number)
    language = request.GET.get("lang") or ("en" if (get_language() or "").startswith("en") else "zh-hans")
    if language not in REPORT_LANGUAGES:
        raise Http404(gettext("No such language."))
    response = HttpResponse(reports.job_report_pdf(job, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{reports.report_filename(job)}"'
    return response
