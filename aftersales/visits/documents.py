"""The service report as a PDF (服务报告), on the vendor's letterhead with the embedded CJK font."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from aftersales.core.business_time import local_zone
from aftersales.core.pdf import render_pdf
from aftersales.visits import queries
from aftersales.visits.models import ReportPart, UnitSwap, Visit
from aftersales.visits.services import SIGNATURE_PATTERN

LANGUAGES = ("zh-hans", "en")


def _local(moment) -> str:
    return timezone.localtime(moment, local_zone()).strftime("%Y-%m-%d %H:%M") if moment else ""


def pdf_language(requested: str | None) -> str:
    """The language asked for, when it is one the report is printed in; else the vendor's default."""
    return (
        requested
        if requested in LANGUAGES
        else settings.LANGUAGE_CODE
        if settings.LANGUAGE_CODE in LANGUAGES
        else "zh-hans"
    )


def _image(data: str) -> str:
    """A signature only as the ``data:`` URL it was stored as: the PDF never fetches anything."""
    return data if data and SIGNATURE_PATTERN.fullmatch(data) else ""


def service_report_pdf(visit: Visit, *, language: str) -> bytes:
    """The visit's service report in ``language`` (Chinese or English)."""
    report = queries.report_of(visit)
    crew = []
    for slot in visit.crew.select_related("engineer"):
        crew.append(
            {
                "engineer": slot.engineer,
                "is_rnd": slot.is_rnd,
                "arrived_at": _local(slot.arrived_at),
                "left_at": _local(slot.left_at),
                "note": slot.arrival_note,
                "confirmed": slot.is_arrival_confirmed,
                "confirmed_by": slot.confirmed_by,
                "confirmation": slot.get_confirmation_display() if slot.confirmation else "",
                "minutes_late": queries.minutes_late(visit, slot),
            }
        )
    context = {
        "visit": visit,
        "report": report,
        "crew": crew,
        "parts": list(ReportPart.objects.filter(report=report).select_related("unit")) if report else [],
        "swaps": list(UnitSwap.objects.filter(report=report).select_related("old_unit", "new_unit"))
        if report
        else [],
        "units": list(visit.units.select_related("product_model")),
        "signature": _image(report.signature) if report else "",
        "signed_at": _local(report.signed_at) if report else "",
        "planned_start": _local(visit.planned_start),
        "completed_at": _local(visit.completed_at),
        "printed_at": _local(timezone.now()),
        "lines": queries.billable_lines(visit),
    }
    return render_pdf("visits/pdf/service_report.html", context, language=language)
