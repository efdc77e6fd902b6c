"""The leadership overview (read-only) and its Excel export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from aftersales.accounts.backends import PERMISSION_APP
from aftersales.accounts.roles import Capability
from aftersales.commitments.models import Outcome
from aftersales.core.business_time import local_zone
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.reports import charts
from aftersales.reports.export import overview_workbook
from aftersales.reports.forms import PeriodForm
from aftersales.reports.queries import ClockLine, ComplianceRow, Overview, overview_for
from aftersales.tickets.services import SUBJECT_TYPE as TICKET_SUBJECT_TYPE

VIEW_REPORTS = f"{PERMISSION_APP}.{Capability.VIEW_REPORTS}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_COLOURS = ["#90a4ae", "#42a5f5", "#1565c0", "#f9a825"]


def reports_reader(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff with the reports capability; others get the console's 403 page, anonymous people sign in."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(VIEW_REPORTS):
            return forbidden(request, _("The overview is for leadership, managers and centre leads."))
        return view(request, *args, **kwargs)

    return wrapper


def _overview(request: HttpRequest) -> tuple[PeriodForm, Overview]:
    now = timezone.now()
    form = PeriodForm(request.GET or None)
    period = form.period(now=now)
    if not form.is_bound:
        form = PeriodForm(initial={"year": period.year, "month": period.month})
    return form, overview_for(request.user, period=period, now=now)


def _local(moment: datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment, local_zone()).strftime("%Y-%m-%d %H:%M")


def _clock_rows(lines: list[ClockLine]) -> list[dict]:
    """Rows formatted here, not in the template: a lean template renders fast."""
    rows = []
    for line in lines:
        url = ""
        if line.subject_type == TICKET_SUBJECT_TYPE:
            url = reverse("desk:ticket", kwargs={"number": line.reference})
        rows.append(
            {
                "reference": line.reference,
                "url": url,
                "milestone": line.milestone_label,
                "due": _local(line.due_at),
                "centre": line.centre,
                "customer": line.customer,
            }
        )
    return rows


def _outcome_series() -> list[charts.Series]:
    return [
        charts.Series(str(Outcome.KEPT.label), charts.GREEN),
        charts.Series(str(Outcome.LATE_WITH_NOTICE.label), charts.AMBER),
        charts.Series(str(Outcome.BROKEN.label), charts.RED),
    ]


def _compliance_chart(rows: list[ComplianceRow], *, month: bool, title: str):
    data = []
    for row in rows:
        tally = row.month if month else row.year
        data.append((row.milestone_label, (tally.kept, tally.late_with_notice, tally.broken)))
    return charts.bar_chart(data, series=_outcome_series(), title=title)


def _by_group_chart(rows: list[ComplianceRow], *, title: str):
    """All promises of each group added up, for the year."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        total = totals[row.group]
        total[0] += row.year.kept
        total[1] += row.year.late_with_notice
        total[2] += row.year.broken
    return charts.bar_chart(list(totals.items()), series=_outcome_series(), title=title)


def _charts(overview: Overview) -> dict:
    period = overview.period
    return {
        "open_tickets": charts.bar_chart(
            [(row.severity_label, row.by_status) for row in overview.open_tickets],
            series=[
                charts.Series(label, colour)
                for (_status, label), colour in zip(overview.open_statuses, STATUS_COLOURS, strict=False)
            ],
            title=_("Open tickets by severity and status"),
        ),
        "compliance_month": _compliance_chart(
            overview.compliance,
            month=True,
            title=_("Compliance per promise, %(period)s") % {"period": period.month_label},
        ),
        "compliance_year": _compliance_chart(
            overview.compliance,
            month=False,
            title=_("Compliance per promise, %(period)s") % {"period": period.year_label},
        ),
        "by_centre": _by_group_chart(
            overview.compliance_by_centre,
            title=_("Compliance by centre, %(period)s") % {"period": period.year_label},
        ),
        "levels": charts.bar_chart(
            [(row.label, (row.year,)) for row in overview.levels],
            series=[charts.Series(_("Tickets solved"), charts.BLUE)],
            title=_("Tickets solved per service level, %(period)s") % {"period": period.year_label},
        ),
    }


@require_GET
@reports_reader
def overview(request: HttpRequest) -> HttpResponse:
    """Leadership reads the state of every promise here; nothing on the page changes anything."""
    form, data = _overview(request)
    query = request.GET.urlencode()
    return render(
        request,
        "reports/overview.html",
        {
            "nav": "overview",
            "form": form,
            "overview": data,
            "period": data.period,
            "at_risk": _clock_rows(data.at_risk),
            "breached_open": _clock_rows(data.breached_open),
            "charts": _charts(data),
            "export_url": reverse("reports:overview_export") + (f"?{query}" if query else ""),
            "generated_at": _local(data.now),
        },
    )


@require_GET
@reports_reader
def overview_export(request: HttpRequest) -> HttpResponse:
    """The same figures as the page, as an Excel workbook in the reader's language."""
    _form, data = _overview(request)
    response = HttpResponse(overview_workbook(data), content_type=XLSX)
    filename = f"aftersales-overview-{data.period.month_label}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
