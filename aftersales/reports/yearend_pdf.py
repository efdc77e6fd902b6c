"""The year-end report as a PDF: the figures of ``reports.yearend`` on the letterhead, with charts."""

from __future__ import annotations

from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.commitments.models import Outcome
from aftersales.core.pdf import render_pdf
from aftersales.reports import charts
from aftersales.reports.yearend import YearEndFigures

TEMPLATE = "reports/yearend/pdf/report.html"


def _charts(figures: YearEndFigures) -> dict:
    headline = figures.headline
    outcomes = [
        charts.Series(str(Outcome.KEPT.label), charts.GREEN),
        charts.Series(str(Outcome.LATE_WITH_NOTICE.label), charts.AMBER),
        charts.Series(str(Outcome.BROKEN.label), charts.RED),
    ]
    return {
        "promises": charts.bar_chart(
            [(row.label, (row.kept, row.late_with_notice, row.broken)) for row in headline.by_milestone],
            series=outcomes,
            title=_("Promises kept and missed, per promise"),
        ),
        "satisfaction": charts.bar_chart(
            [
                (_("%(score)s of 5") % {"score": score}, (count,))
                for score, count in zip(range(5, 0, -1), reversed(headline.satisfaction_counts), strict=True)
            ],
            series=[charts.Series(_("Follow-ups"), charts.BLUE)],
            title=_("Satisfaction scores"),
        ),
        "units": charts.bar_chart(
            [
                (_("In warranty"), (headline.units_in_warranty,)),
                (_("Under contract"), (headline.units_under_contract,)),
                (_("Chargeable"), (headline.units_chargeable,)),
            ],
            series=[charts.Series(_("Units"), charts.BLUE)],
            title=_("Units in service at the end of the period"),
        ),
    }


def render_year_end_pdf(figures: YearEndFigures, *, language: str, generated_at: datetime) -> bytes:
    """The report in ``language`` (``zh-hans`` or ``en``); the figures should carry that language too."""
    with translation.override(language):
        context = {
            "figures": figures,
            "headline": figures.headline,
            "charts": _charts(figures),
            "generated_at": generated_at,
        }
    return render_pdf(TEMPLATE, context, language=language)
