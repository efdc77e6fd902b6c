"""Jobs: each is a ticket of its kind with clocks, its record, its steps and their acceptance."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.commitments.models import Clock
from aftersales.core.errors import InvalidInput, InvalidTransition, NotPermitted
from aftersales.jobs import queries, services
from aftersales.jobs.models import JobEvent, MigrationJob, TrainingSession
from aftersales.jobs.tests import factories
from aftersales.tickets.models import Channel, Kind
from aftersales.tickets.services import open_ticket
from aftersales.units.entitlement import warranty_ends
from aftersales.units.models import Unit
from aftersales.units.tests.factories import UnitFactory
from aftersales.visits.models import Visit

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=SHANGHAI)


def _add_unit(cast, job, serial="SJJ-2026-0001", **overrides):
    values = {
        "product_model": cast.model,
        "serial": serial,
        "shipped_on": date(2026, 2, 20),
        "licensed_features": ["sm2"],
        "software_version": "V3.2.1",
    }
    return services.add_installed_unit(job=job, by=cast.engineer, now=NOW, **{**values, **overrides})


def test_an_installation_is_a_ticket_of_its_kind_whose_response_clock_runs(cast):
    job = factories.installation(cast, now=NOW)

    assert job.ticket.kind == Kind.INSTALLATION and job.ticket.number.startswith("SR-2026-")
    clocks = Clock.objects.filter(subject_type="ticket", subject_id=job.ticket.pk)
    assert clocks.filter(milestone="response").exists()
    assert JobEvent.objects.filter(ticket=job.ticket, kind="started").count() == 1


def test_acceptance_starts_the_warranty_of_every_installed_unit(cast):
    job = factories.installation(cast, now=NOW)
    line = _add_unit(cast, job)
    existing = UnitFactory(
        customer=cast.first,
        site=cast.site1,
        product_model=cast.model,
        serial="OLD-1",
        shipped_on=date(2026, 1, 5),
    )
    _add_unit(cast, job, serial="old-1", software_version="")

    services.accept_installation(
        job=job, by=cast.engineer, accepted_by_name="李主任", accepted_on=date(2026, 3, 10), now=NOW
    )

    unit = Unit.objects.get(pk=line.unit_id)
    assert line.is_new_unit is True and unit.customer == cast.first and unit.licensed_features == ["sm2"]
    assert unit.accepted_on == date(2026, 3, 10)
    assert warranty_ends(unit).hardware == date(2029, 3, 9)
    assert warranty_ends(unit).software == date(2027, 3, 9)
    existing.refresh_from_db()
    assert existing.accepted_on == date(2026, 3, 10) and existing.shipped_on == date(2026, 2, 20)
    job = queries.get_visible_job(cast.specialist, job.ticket.number)
    assert (
        job.is_accepted and job.accepted_by_name == "李主任" and job.acceptance_recorded_by == cast.engineer
    )


def test_the_warranty_end_moves_with_the_acceptance_day(cast):
    early, late = factories.installation(cast, now=NOW), factories.installation(cast, now=NOW)
    first, second = _add_unit(cast, early, serial="A-1"), _add_unit(cast, late, serial="A-2")
    services.accept_installation(
        job=early, by=cast.engineer, accepted_by_name="李", accepted_on=date(2026, 2, 25), now=NOW
    )
    services.accept_installation(
        job=late, by=cast.engineer, accepted_by_name="李", accepted_on=date(2026, 3, 10), now=NOW
    )

    assert warranty_ends(Unit.objects.get(pk=first.unit_id)).hardware == date(2029, 2, 24)
    assert warranty_ends(Unit.objects.get(pk=second.unit_id)).hardware == date(2029, 3, 9)


def test_a_serial_of_another_customer_is_refused_and_nothing_changes(cast):
    UnitFactory(customer=cast.second, site=cast.site2, serial="THEIRS-1")
    job = factories.installation(cast, now=NOW)

    with pytest.raises(InvalidInput, match="another customer"):
        _add_unit(cast, job, serial="theirs-1")

    assert Unit.objects.get(serial="THEIRS-1").customer == cast.second and not job.lines.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"site": "site2"}, "site belongs to another customer"),
        ({"licensed_features": ["quantum"]}, "no licensable feature"),
        ({"shipped_on": date(2026, 4, 1)}, "cannot be in the future"),
        ({"serial": "  "}, "Enter the serial number"),
    ],
)
def test_an_installed_unit_with_bad_details_is_refused(cast, overrides, message):
    job = factories.installation(cast, now=NOW)
    if overrides.get("site") == "site2":
        overrides = {**overrides, "site": cast.site2}

    with pytest.raises(InvalidInput, match=message):
        _add_unit(cast, job, **overrides)

    assert not Unit.objects.exists()


def test_acceptance_before_shipment_or_in_the_future_is_refused(cast):
    job = factories.installation(cast, now=NOW)
    _add_unit(cast, job)

    with pytest.raises(InvalidInput, match="after the acceptance day"):
        services.accept_installation(
            job=job, by=cast.engineer, accepted_by_name="李", accepted_on=date(2026, 2, 1), now=NOW
        )
    with pytest.raises(InvalidInput, match="future"):
        services.accept_installation(
            job=job, by=cast.engineer, accepted_by_name="李", accepted_on=date(2026, 3, 13), now=NOW
        )

    assert Unit.objects.get().accepted_on is None
    job.refresh_from_db()
    assert job.status == "planned"


def test_an_accepted_installation_cannot_be_accepted_again(cast):
    job = factories.installation(cast, now=NOW)
    _add_unit(cast, job)
    services.accept_installation(
        job=job, by=cast.engineer, accepted_by_name="李", accepted_on=date(2026, 3, 10), now=NOW
    )

    with pytest.raises(InvalidTransition):
        services.accept_installation(
            job=job, by=cast.engineer, accepted_by_name="王", accepted_on=date(2026, 3, 11), now=NOW
        )
    with pytest.raises(InvalidTransition):
        _add_unit(cast, job, serial="LATE-1")


def test_leadership_may_not_change_jobs(cast):
    job = factories.installation(cast, now=NOW)

    with pytest.raises(NotPermitted):
        services.add_installed_unit(
            job=job,
            by=cast.leader,
            product_model=cast.model,
            serial="X",
            shipped_on=date(2026, 2, 1),
            now=NOW,
        )

    assert not Unit.objects.exists()


def test_a_job_starts_from_an_existing_ticket_of_its_kind_only_once(cast):
    ticket = open_ticket(
        by=cast.specialist,
        kind=Kind.TRAINING,
        channel=Channel.PHONE,
        customer=cast.first,
        title="培训",
        description="需要培训",
        now=NOW,
    )
    session = services.start_training(
        by=cast.specialist,
        ticket=ticket,
        topic="运维",
        trainer=cast.engineer,
        starts_at=NOW + timedelta(days=3),
        now=NOW,
    )

    assert session.ticket == ticket
    with pytest.raises(InvalidInput, match="already has its job"):
        services.start_training(
            by=cast.specialist, ticket=ticket, topic="运维", trainer=cast.engineer, starts_at=NOW, now=NOW
        )
    with pytest.raises(InvalidInput, match="not a request of this kind"):
        services.start_migration(by=cast.specialist, ticket=ticket, scope="x", now=NOW)


def test_a_job_visit_is_a_visit_of_the_jobs_kind_on_its_ticket(cast):
    job = factories.installation(cast, now=NOW)
    _add_unit(cast, job)

    visit = services.schedule_job_visit(
        job=job,
        by=cast.lead,
        planned_start=NOW + timedelta(days=1),
        purpose="上架调试",
        engineers=[cast.engineer],
        now=NOW,
    )

    visit = Visit.objects.get(pk=visit.pk)
    assert visit.kind == "installation" and visit.ticket == job.ticket and visit.site == cast.site1
    assert list(visit.units.values_list("serial", flat=True)) == ["SJJ-2026-0001"]
    with pytest.raises(NotPermitted):
        services.schedule_job_visit(job=job, by=cast.engineer, planned_start=NOW, purpose="x", now=NOW)


def test_attendees_typed_one_a_line_get_scores_and_an_average(cast):
    session = factories.training(cast, starts_at=NOW - timedelta(hours=2), now=NOW - timedelta(days=1))

    attendees = services.add_attendees(
        session=session,
        by=cast.engineer,
        text="张三, 科技部, 运维组\n\n李四，信息中心\n王五\tXX银行\t安全处\n",
        now=NOW,
    )
    services.record_feedback(
        session=session,
        by=cast.engineer,
        now=NOW,
        scores={attendees[0].pk: (5, "很好"), attendees[1].pk: (4, ""), attendees[2].pk: (None, "")},
    )
    services.record_training_held(session=session, by=cast.engineer, summary="按计划完成", now=NOW)

    session = queries.get_visible_job(cast.specialist, session.ticket.number)
    assert [(a.name, a.organisation, a.department) for a in session.attendees.all()] == [
        ("张三", "科技部", "运维组"),
        ("李四", "信息中心", ""),
        ("王五", "XX银行", "安全处"),
    ]
    assert str(queries.average_score(session)) == "4.5"
    assert session.status == TrainingSession.Status.HELD


def test_a_score_outside_one_to_five_is_refused(cast):
    session = factories.training(cast, now=NOW)
    [attendee] = services.add_attendees(session=session, by=cast.engineer, text="张三", now=NOW)

    with pytest.raises(InvalidInput, match="1 to 5"):
        services.record_feedback(session=session, by=cast.engineer, scores={attendee.pk: (6, "")}, now=NOW)

    attendee.refresh_from_db()
    assert attendee.score is None and attendee.organisation == cast.first.name


def test_a_training_is_not_held_before_it_starts(cast):
    session = factories.training(cast, starts_at=NOW + timedelta(days=1), now=NOW)

    with pytest.raises(InvalidInput, match="before it starts"):
        services.record_training_held(session=session, by=cast.engineer, now=NOW)


def test_training_material_is_kept(cast):
    session = factories.training(cast, now=NOW)

    material = services.attach_training_material(
        session=session,
        by=cast.engineer,
        upload=SimpleUploadedFile("运维手册.pdf", b"%PDF-1.4 manual"),
        now=NOW,
    )

    assert material.name == "运维手册.pdf" and material.file.read() == b"%PDF-1.4 manual"


def _agreed_migration(cast):
    job = factories.migration(cast, now=NOW)
    services.upload_migration_plan(
        job=job, by=cast.engineer, upload=SimpleUploadedFile("plan.docx", b"plan"), now=NOW
    )
    start = NOW + timedelta(days=2)
    return services.agree_change_window(
        job=job,
        by=cast.engineer,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        agreed_with="赵处长",
        now=NOW,
    )


def test_a_migration_goes_from_plan_through_window_and_steps_to_acceptance(cast):
    job = _agreed_migration(cast)
    during = job.window_starts_at + timedelta(hours=1)
    services.record_migration_step(
        job=job, by=cast.engineer, description="备份旧系统数据", done_at=during, now=during
    )
    after = job.window_ends_at + timedelta(hours=1)
    step = services.record_migration_step(
        job=job,
        by=cast.engineer,
        description="切换验证",
        done_at=after,
        now=after,
        outside_window_reason="客户要求延长业务验证",
    )
    services.record_migration_result(
        job=job, by=cast.engineer, result="succeeded", notes="业务正常", now=after
    )
    services.accept_migration(
        job=job, by=cast.engineer, accepted_by_name="赵处长", now=after + timedelta(hours=1)
    )

    job = queries.get_visible_job(cast.specialist, job.ticket.number)
    assert job.status == MigrationJob.Status.ACCEPTED and job.accepted_by_name == "赵处长"
    assert [s.description for s in job.steps.all()] == ["备份旧系统数据", "切换验证"]
    assert step.outside_window_reason == "客户要求延长业务验证"
    moves = JobEvent.objects.filter(ticket=job.ticket, kind="status").values_list("to_status", flat=True)
    assert list(moves) == ["agreed", "completed", "accepted"]


def test_a_change_window_in_the_past_or_without_a_plan_is_refused(cast):
    job = factories.migration(cast, now=NOW)

    with pytest.raises(InvalidInput, match="Upload the migration plan"):
        services.agree_change_window(
            job=job,
            by=cast.engineer,
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=2),
            agreed_with="赵",
            now=NOW,
        )
    services.upload_migration_plan(
        job=job, by=cast.engineer, upload=SimpleUploadedFile("p.pdf", b"p"), now=NOW
    )
    with pytest.raises(InvalidInput, match="start in the future"):
        services.agree_change_window(
            job=job,
            by=cast.engineer,
            starts_at=NOW - timedelta(hours=1),
            ends_at=NOW + timedelta(hours=2),
            agreed_with="赵",
            now=NOW,
        )
    job.refresh_from_db()
    assert job.status == MigrationJob.Status.PLANNING and job.window_starts_at is None


def test_a_step_outside_the_window_without_a_reason_is_refused(cast):
    job = _agreed_migration(cast)
    before = job.window_starts_at - timedelta(hours=3)

    with pytest.raises(InvalidInput, match="outside the agreed change window"):
        services.record_migration_step(
            job=job, by=cast.engineer, description="提前停机", done_at=before, now=before
        )

    assert not job.steps.exists()


def test_steps_before_the_window_is_agreed_are_refused(cast):
    job = factories.migration(cast, now=NOW)

    with pytest.raises(InvalidTransition):
        services.record_migration_step(job=job, by=cast.engineer, description="x", now=NOW)


def test_jobs_outside_a_customer_users_organisation_do_not_exist_for_them(cast):
    theirs = factories.training(cast, customer=cast.second, now=NOW)
    own = factories.training(cast, now=NOW)

    assert queries.get_visible_job(cast.customer1, own.ticket.number).pk == own.pk
    with pytest.raises(queries.Ticket.DoesNotExist):
        queries.get_visible_job(cast.customer1, theirs.ticket.number)
    assert [row.number for row in queries.job_rows(cast.customer1)] == [own.ticket.number]
