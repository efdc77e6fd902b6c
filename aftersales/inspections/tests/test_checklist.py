"""The checklist of a visit: partial saves, photos, a ticket from a fault, completion."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.inspections import services
from aftersales.inspections.models import ChecklistResult, Frequency
from aftersales.inspections.queries import overdue_visits
from aftersales.inspections.tests.conftest import local
from aftersales.tickets.models import Kind, TicketEvent
from aftersales.visits.models import Visit, VisitKind

pytestmark = pytest.mark.django_db


def png(name="photo.png", size=(40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def visit(cast, make_plan):
    make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 12, 10))
    (visit,) = services.generate_inspection_visits(now=local(2026, 12, 7, 8), horizon_days=10)
    return visit


def entries(visit, **by_position):
    results = list(visit.checklist_results.order_by("position"))
    return [
        services.ResultEntry(result_id=results[int(pos)].pk, **fields) for pos, fields in by_position.items()
    ]


def test_generated_visits_carry_the_templates_items_as_unchecked_results(visit, cast):
    results = list(visit.checklist_results.order_by("position"))
    assert [r.label for r in results] == [item.label for item in cast.template.items.order_by("position")]
    assert all(r.outcome == "" for r in results)


def test_partial_progress_is_saved_and_a_photo_is_kept(visit, cast):
    checklist = visit.checklist
    services.save_checklist(
        checklist=checklist,
        by=cast.engineer,
        entries=entries(
            visit, **{"0": {"outcome": "ok", "note": "运行正常"}, "1": {"outcome": "fault", "photo": png()}}
        ),
        expected_version=checklist.version,
    )

    results = list(visit.checklist_results.order_by("position"))
    assert [r.outcome for r in results] == ["ok", "fault", "", ""]
    assert results[0].note == "运行正常" and results[1].photo.name.endswith(".png")
    assert visit.events.filter(kind="checklist_saved").count() == 1


def test_a_stale_save_is_refused_and_changes_nothing(visit, cast):
    checklist = visit.checklist
    version = checklist.version
    services.save_checklist(
        checklist=checklist, by=cast.engineer, entries=entries(visit, **{"0": {"outcome": "ok"}})
    )

    with pytest.raises(Conflict):
        services.save_checklist(
            checklist=checklist,
            by=cast.lead,
            entries=entries(visit, **{"0": {"outcome": "fault"}}),
            expected_version=version,
        )
    assert visit.checklist_results.order_by("position").first().outcome == "ok"


def test_a_file_that_is_not_an_image_or_too_big_is_refused(visit, cast, monkeypatch):
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(InvalidInput, match="not an image"):
        services.save_checklist(
            checklist=visit.checklist,
            by=cast.engineer,
            entries=entries(visit, **{"0": {"outcome": "ok", "photo": fake}}),
        )
    monkeypatch.setattr(services, "MAX_PHOTO_MB", 0)
    with pytest.raises(InvalidInput, match="limited to"):
        services.save_checklist(
            checklist=visit.checklist, by=cast.engineer, entries=entries(visit, **{"0": {"photo": png()}})
        )
    assert not visit.checklist_results.exclude(outcome="").exists()


def test_only_the_crew_and_planners_fill_in_a_checklist(visit, cast):
    with pytest.raises(NotPermitted):
        services.save_checklist(
            checklist=visit.checklist,
            by=cast.other_engineer,
            entries=entries(visit, **{"0": {"outcome": "ok"}}),
        )
    with pytest.raises(NotPermitted):
        services.save_checklist(
            checklist=visit.checklist, by=cast.specialist, entries=entries(visit, **{"0": {"outcome": "ok"}})
        )
    services.save_checklist(
        checklist=visit.checklist, by=cast.lead, entries=entries(visit, **{"0": {"outcome": "ok"}})
    )


def test_a_fault_opens_a_ticket_in_one_step_linked_both_ways(visit, cast):
    services.save_checklist(
        checklist=visit.checklist,
        by=cast.engineer,
        entries=entries(visit, **{"1": {"outcome": "fault", "note": "备份失败"}}),
    )
    result = visit.checklist_results.get(outcome="fault")

    ticket = services.open_ticket_from_result(result=result, by=cast.engineer, at=local(2026, 12, 10, 10))

    result.refresh_from_db()
    assert result.ticket == ticket and result.unit == cast.unit
    assert ticket.kind == Kind.FAULT and ticket.unit == cast.unit and ticket.customer == cast.first
    assert visit.number in ticket.description and "备份失败" in ticket.description
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert visit.number in note.body and note.data["visit"] == visit.number
    assert visit.events.filter(kind="ticket_opened", data__ticket=ticket.number).exists()
    with pytest.raises(InvalidTransition):
        services.open_ticket_from_result(result=result, by=cast.engineer)


def test_an_ok_result_opens_no_ticket(visit, cast):
    services.save_checklist(
        checklist=visit.checklist, by=cast.engineer, entries=entries(visit, **{"0": {"outcome": "ok"}})
    )
    with pytest.raises(InvalidInput):
        services.open_ticket_from_result(result=visit.checklist_results.get(outcome="ok"), by=cast.engineer)


def test_completing_needs_every_result_and_writes_the_outcome_on_the_visit(visit, cast):
    with pytest.raises(InvalidInput, match="every item"):
        services.complete_checklist(checklist=visit.checklist, by=cast.engineer)
    services.save_checklist(
        checklist=visit.checklist,
        by=cast.engineer,
        entries=entries(
            visit,
            **{
                "0": {"outcome": "ok"},
                "1": {"outcome": "attention"},
                "2": {"outcome": "ok"},
                "3": {"outcome": "ok"},
            },
        ),
    )

    services.complete_checklist(
        checklist=visit.checklist, by=cast.engineer, summary="整体良好", at=local(2026, 12, 10, 11)
    )

    event = visit.events.get(kind="checklist_completed")
    assert event.data["ok"] == 3 and event.data["attention"] == 1 and event.by == cast.engineer
    assert not overdue_visits(today=date(2026, 12, 20)).exists()
    with pytest.raises(InvalidTransition):
        services.save_checklist(
            checklist=visit.checklist, by=cast.engineer, entries=entries(visit, **{"0": {"outcome": "fault"}})
        )
    # An on-site inspection stays open for its service report and sign-off (the visits area).
    visit.refresh_from_db()
    assert visit.status == Visit.Status.PLANNED


def test_a_periodic_contact_is_recorded_complete_without_arrival_or_sign_off(cast, make_plan):
    make_plan(is_remote_contact=True, starts_on=date(2026, 12, 10), sites=[])
    (contact,) = services.generate_inspection_visits(now=local(2026, 12, 7, 8), horizon_days=10)
    assert contact.kind == VisitKind.PERIODIC_CONTACT
    services.save_checklist(
        checklist=contact.checklist,
        by=cast.engineer,
        entries=[services.ResultEntry(result_id=r.pk, outcome="ok") for r in contact.checklist_results.all()],
    )

    services.complete_checklist(checklist=contact.checklist, by=cast.engineer, at=local(2026, 12, 10, 15))

    contact.refresh_from_db()
    assert contact.status == Visit.Status.COMPLETED and contact.completed_at == local(2026, 12, 10, 15)
    assert list(contact.events.values_list("kind", flat=True)) == [
        "planned",
        "generated",
        "checklist_saved",
        "checklist_completed",
        "status",
    ]
    assert contact.events.get(kind="status").data == {"from": "planned", "to": "completed"}


def test_a_visit_without_plan_starts_its_checklist_from_a_chosen_template(cast):
    from aftersales.visits.services import schedule_visit

    visit = schedule_visit(
        customer=cast.first,
        kind=VisitKind.INSPECTION,
        planned_start=local(2026, 12, 9, 9),
        purpose="临时巡检",
        by=cast.lead,
        site=cast.site,
        units=[cast.unit],
        engineers=[cast.engineer],
    )
    with pytest.raises(InvalidInput):
        services.start_checklist(visit=visit, by=cast.engineer)

    checklist = services.start_checklist(visit=visit, by=cast.engineer, template=cast.template)

    assert checklist.template == cast.template
    assert ChecklistResult.objects.filter(visit=visit).count() == 4
    assert services.start_checklist(visit=visit, by=cast.engineer) == checklist
