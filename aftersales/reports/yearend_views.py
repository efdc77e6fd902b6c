"""The console's year-end reports ``/reports/year-end/``: generate on demand, download, the archive.

Report readers (``view_reports``) see every customer; account managers their own customers.
Generating calls one service; downloading serves the archived PDF as it was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.customers.queries import customer_scope_for_user
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.reports import services
from aftersales.reports.yearend_forms import YearEndRequestForm
from aftersales.reports.yearend_queries import archived_reports_for, get_archived_report

PER_PAGE = 50


def year_end_reader(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not services.may_generate_year_end_reports(request.user):
            return forbidden(request, _("Year-end reports are for report readers and account managers."))
        return view(request, *args, **kwargs)

    return wrapper


def _form(request: HttpRequest, data=None) -> YearEndRequestForm:
    last_year = local_date(timezone.now()).year - 1
    return YearEndRequestForm(data, customers=customer_scope_for_user(request.user), year=last_year)


@require_http_methods(["GET", "HEAD", "POST"])
@year_end_reader
def year_end(request: HttpRequest) -> HttpResponse:
    """Pick a customer and a period to generate a report; below, the archive, newest first."""
    status = 200
    if request.method == "POST":
        form = _form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            customer = data["customer"]
            try:
                services.request_year_end_report(
                    customer=customer,
                    start=data["start"],
                    end=data["end"],
                    language=data["language"],
                    include_branches=data["include_branches"] if customer.parent_id is None else False,
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = error.status_code
            else:
                messages.success(
                    request,
                    _(
                        "The report of %(customer)s is being generated; it appears in the archive "
                        "below within a minute or two."
                    )
                    % {"customer": customer.name},
                )
                return redirect("reports:yearend")
        else:
            status = 400
    else:
        form = _form(request)
    reports = archived_reports_for(request.user)
    customer_code = request.GET.get("customer", "")
    if customer_code:
        reports = reports.filter(customer__code=customer_code)
    page = Paginator(reports, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/yearend/index.html",
        {"nav": "year_end", "form": form, "page": page, "customer_code": customer_code},
        status=status,
    )


@require_GET
@year_end_reader
def year_end_download(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_archived_report(request.user, report_id)
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report.download_name,
        content_type="application/pdf",
    )


@require_POST
@year_end_reader
def year_end_send(request: HttpRequest, report_id: int) -> HttpResponse:
    """Send an archived report to the customer's report recipients and the account manager."""
    report = get_archived_report(request.user, report_id)
    report = services.send_year_end_report(report=report)
    messages.success(request, _("Sent to %(count)s recipients.") % {"count": len(report.recipients)})
    return redirect("reports:yearend")
