"""The leadership overview as an Excel workbook: one sheet per table of the page.

Headers and sheet names are in the reader's language (the one active when the
workbook is built), so a Chinese reader forwards a Chinese workbook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from aftersales.core.business_time import local_zone
from aftersales.reports.queries import ClockLine, ComplianceRow, Overview

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _local(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: write the business-time wall clock."""
    if moment is None:
        return None
    return timezone.localtime(moment, local_zone()).replace(tzinfo=None)


def _sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    sheet = workbook.create_sheet(_SHEET_TITLE_FORBIDDEN.sub(" ", title)[:31])
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [max(len(str(header)), 8) for header in headers]
    for row in rows:
        sheet.append(list(row))
        for index, value in enumerate(row):
            widths[index] = min(max(widths[index], len(str(value or "")) + 2), 60)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"


def _clock_rows(lines: list[ClockLine]) -> list[tuple]:
    return [
        (line.reference, line.milestone_label, _local(line.due_at), line.centre, line.customer)
        for line in lines
    ]


def _compliance_headers(overview: Overview, group: str | None) -> list[str]:
    month, year = overview.period.month_label, overview.period.year_label
    headers = [group] if group else []
    headers.append(_("Promise"))
    for label in (month, year):
        headers += [
            _("%(period)s kept") % {"period": label},
            _("%(period)s late with notice") % {"period": label},
            _("%(period)s broken") % {"period": label},
            _("%(period)s kept %%") % {"period": label},
        ]
    return headers


def _compliance_rows(rows: list[ComplianceRow], *, with_group: bool) -> list[list]:
    table = []
    for row in rows:
        line = [row.group] if with_group else []
        line.append(row.milestone_label)
        for tally in (row.month, row.year):
            line += [tally.kept, tally.late_with_notice, tally.broken, tally.kept_percent]
        table.append(line)
    return table


def overview_workbook(overview: Overview) -> bytes:
    """The overview's tables as an ``.xlsx`` file (bytes), one sheet per table."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    period = overview.period

    _sheet(
        workbook,
        _("Open tickets"),
        [_("Severity"), *[label for _status, label in overview.open_statuses], _("Total")],
        [(row.severity_label, *row.by_status, row.total) for row in overview.open_tickets],
    )
    clock_headers = [_("Reference"), _("Promise"), _("Due"), _("Centre"), _("Customer")]
    _sheet(workbook, _("At risk now"), clock_headers, _clock_rows(overview.at_risk))
    _sheet(workbook, _("Breached, still open"), clock_headers, _clock_rows(overview.breached_open))
    _sheet(
        workbook,
        _("Breaches %(period)s") % {"period": period.month_label},
        [_("Promise"), _("Breaches")],
        overview.breaches_this_month,
    )
    _sheet(
        workbook,
        _("Compliance"),
        _compliance_headers(overview, None),
        _compliance_rows(overview.compliance, with_group=False),
    )
    _sheet(
        workbook,
        _("Compliance by centre"),
        _compliance_headers(overview, _("Centre")),
        _compliance_rows(overview.compliance_by_centre, with_group=True),
    )
    _sheet(
        workbook,
        _("Compliance by customer"),
        _compliance_headers(overview, _("Customer")),
        _compliance_rows(overview.compliance_by_customer, with_group=True),
    )
    _sheet(
        workbook,
        _("Solved by level"),
        [
            _("Level"),
            period.month_label,
            _("%(period)s %%") % {"period": period.month_label},
            period.year_label,
            _("%(period)s %%") % {"period": period.year_label},
        ],
        [(row.label, row.month, row.month_percent, row.year, row.year_percent) for row in overview.levels],
    )
    satisfaction = overview.satisfaction
    _sheet(
        workbook,
        _("Satisfaction"),
        [_("Period"), _("Average (1–5)"), _("Follow-ups rated")],
        [
            (period.month_label, satisfaction.month_average, satisfaction.month_count),
            (period.year_label, satisfaction.year_average, satisfaction.year_count),
        ],
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
