"""The inspection report PDF (巡检报告) of one visit, in Chinese or English.

Photos are embedded as ``data:`` URLs (the PDF renderer fetches nothing else), reduced to a
thumbnail so a checklist full of phone photos stays a small document.
"""

from __future__ import annotations

import base64
import io

from django.utils import timezone

from aftersales.core.business_time import local_zone
from aftersales.core.pdf import render_pdf
from aftersales.inspections.models import ChecklistItem, ChecklistResult
from aftersales.inspections.queries import checklist_of, checklist_results
from aftersales.visits.models import Visit

THUMBNAIL_PIXELS = 600


def photo_data_url(result: ChecklistResult) -> str:
    """A reduced JPEG of the result's photo as a ``data:`` URL, or "" when it cannot be read."""
    from PIL import Image

    if not result.photo:
        return ""
    try:
        with result.photo.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
            image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
    except (OSError, ValueError):
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def report_context(visit: Visit) -> dict:
    results = checklist_results(visit)
    sections = []
    for value, label in ChecklistItem.Section.choices:
        rows = [
            {"result": result, "photo": photo_data_url(result)}
            for result in results
            if result.section == value
        ]
        if rows:
            sections.append({"label": label, "rows": rows})
    checklist = checklist_of(visit)
    occurrence = getattr(visit, "plan_occurrence", None)
    done_at = (checklist.completed_at if checklist else None) or visit.completed_at
    return {
        "visit": visit,
        "plan": occurrence.plan if occurrence else None,
        "checklist": checklist,
        "units": list(visit.units.select_related("product_model")),
        "engineers": [slot.engineer for slot in visit.crew.select_related("engineer")],
        "sections": sections,
        "tickets": [result.ticket for result in results if result.ticket_id],
        "done_at": timezone.localtime(done_at, local_zone()) if done_at else None,
        "planned_start": timezone.localtime(visit.planned_start, local_zone()),
    }


def inspection_report_pdf(visit: Visit, *, language: str) -> bytes:
    """The report PDF of ``visit`` in ``language`` (``zh-hans`` or ``en``)."""
    return render_pdf("inspections/pdf/report.html", report_context(visit), language=language)
