"""Generating visits from plans: real 2026 China dates, idempotency, reminders and overdue notices."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.core.business_time import WorkingDayCalendar, local_date
from aftersales.inspections import services
from aftersales.inspections.models import Frequency, PlanOccurrence, VisitChecklist
from aftersales.inspections.queries import inspection_board, overdue_visits
from aftersales.inspections.tests.conftest import local
from aftersales.notifications.models import OutboxMessage
from aftersales.visits.models import Visit, VisitKind

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def due_days(visits):
    return sorted(visit.due_on for visit in visits)


def test_the_seeded_2026_calendar_is_the_official_one(db):
    calendar = WorkingDayCalendar.load()
    assert calendar.is_official_year(2026)
    assert calendar.is_working_day(date(2026, 9, 20))  # make-up Sunday
    assert calendar.is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert not calendar.is_working_day(date(2026, 2, 17))  # Spring Festival


def test_weekly_visits_move_off_national_day_but_keep_make_up_working_days(make_plan):
    plan = make_plan(frequency=Frequency.EVERY_N_WEEKS, every_weeks=1, starts_on=date(2026, 9, 20))

    visits = services.generate_inspection_visits(now=local(2026, 9, 15, 8), horizon_days=30)

    # 09-20 is a make-up Sunday (kept); 09-27 a plain Sunday (→ Monday); 10-04 falls in the
    # National Day holiday (→ its first working day after); 10-11 a plain Sunday (→ Monday).
    calendar = WorkingDayCalendar.load()
    after_holiday = services.next_working_day(date(2026, 10, 4), calendar)
    assert after_holiday > date(2026, 10, 7)
    assert due_days(visits) == [date(2026, 9, 20), date(2026, 9, 28), after_holiday, date(2026, 10, 12)]
    assert list(plan.occurrences.order_by("occurs_on").values_list("occurs_on", flat=True)) == [
        date(2026, 9, 20),
        date(2026, 9, 27),
        date(2026, 10, 4),
        date(2026, 10, 11),
    ]
    first = min(visits, key=lambda v: v.due_on)
    assert first.kind == VisitKind.INSPECTION
    assert local_date(first.planned_start) == date(2026, 9, 20)
    assert list(first.units.all()) == [plan.units.get()]
    assert first.crew.get().engineer == plan.engineer
    assert first.events.filter(kind="generated").exists()


def test_a_make_up_saturday_keeps_its_occurrence_and_spring_festival_moves_it(make_plan):
    make_plan(frequency=Frequency.EVERY_N_WEEKS, every_weeks=1, starts_on=date(2026, 10, 10))
    make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 1, 17))

    visits = services.generate_inspection_visits(now=local(2026, 1, 20, 8), horizon_days=40)
    october = services.generate_inspection_visits(now=local(2026, 10, 5, 8), horizon_days=6)

    # 01-17 is a Saturday (→ Monday 01-19); 02-17 is in the Spring Festival holiday → 02-24.
    assert due_days(visits) == [date(2026, 1, 19), date(2026, 2, 24)]
    assert due_days(october) == [date(2026, 10, 10)]


def test_a_monthly_plan_on_the_31st_falls_on_the_last_day_of_shorter_months(make_plan):
    plan = make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 3, 31))

    days = [
        nominal
        for nominal, _due in services.occurrence_schedule(
            plan, first=date(2026, 3, 1), last=date(2026, 7, 31)
        )
    ]

    assert days == [
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
    ]


def test_quarterly_half_yearly_and_yearly_count_from_the_start(make_plan):
    quarterly = make_plan(frequency=Frequency.QUARTERLY, starts_on=date(2026, 1, 5))
    yearly = make_plan(frequency=Frequency.YEARLY, starts_on=date(2026, 1, 5))

    quarters = services.occurrence_schedule(quarterly, first=date(2026, 1, 1), last=date(2026, 12, 31))
    years = services.occurrence_schedule(yearly, first=date(2026, 1, 1), last=date(2027, 12, 31))

    assert [n for n, _ in quarters] == [
        date(2026, 1, 5),
        date(2026, 4, 5),
        date(2026, 7, 5),
        date(2026, 10, 5),
    ]
    # 04-05 is a Sunday (and 清明 holiday time), 07-05 a Sunday, 10-05 in National Day.
    assert all(due > nominal for nominal, due in quarters[1:])
    assert [n for n, _ in years] == [date(2026, 1, 5), date(2027, 1, 5)]


def test_generating_twice_creates_nothing_twice(make_plan):
    make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 12, 10))
    now = local(2026, 12, 7, 8)

    first = services.generate_inspection_visits(now=now, horizon_days=70)
    second = services.generate_inspection_visits(now=now, horizon_days=70)

    assert len(first) == 3 and second == []
    assert Visit.objects.count() == 3 == PlanOccurrence.objects.count() == VisitChecklist.objects.count()


def test_a_racing_worker_that_finds_the_occurrence_taken_creates_no_visit(make_plan, monkeypatch):
    plan = make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 12, 10))
    now = local(2026, 12, 7, 8)
    services.generate_inspection_visits(now=now, horizon_days=10)
    # The other worker read the table before this one wrote: it misses the taken key.
    monkeypatch.setattr(
        PlanOccurrence.objects, "filter", lambda *a, **k: PlanOccurrence.objects.none(), raising=False
    )

    again = services.generate_inspection_visits(now=now, horizon_days=10, plans=[plan])

    assert again == []
    assert Visit.objects.count() == 1


def test_one_visit_per_site_and_a_remote_plan_makes_periodic_contacts(cast, make_plan):
    from aftersales.customers.tests.factories import SiteFactory
    from aftersales.units.tests.factories import UnitFactory

    branch_site = SiteFactory(customer=cast.first, city="重庆", name="江北支行")
    branch_unit = UnitFactory(customer=cast.first, site=branch_site)
    make_plan(sites=[cast.site, branch_site], units=[cast.unit, branch_unit], starts_on=date(2026, 12, 8))
    make_plan(is_remote_contact=True, starts_on=date(2026, 12, 9), sites=[])

    visits = services.generate_inspection_visits(now=local(2026, 12, 7, 8), horizon_days=20)

    inspections = [v for v in visits if v.kind == VisitKind.INSPECTION]
    contacts = [v for v in visits if v.kind == VisitKind.PERIODIC_CONTACT]
    assert {(v.site, tuple(v.units.all())) for v in inspections} == {
        (cast.site, (cast.unit,)),
        (branch_site, (branch_unit,)),
    }
    assert len(contacts) == 1 and contacts[0].site is None


def test_an_inactive_or_ended_plan_generates_nothing(make_plan):
    make_plan(is_active=False, starts_on=date(2026, 12, 8))
    make_plan(starts_on=date(2026, 1, 8), ends_on=date(2026, 11, 30), frequency=Frequency.MONTHLY)

    assert services.generate_inspection_visits(now=local(2026, 12, 7, 8), horizon_days=60) == []


def test_a_visit_not_done_by_its_date_is_overdue_on_the_board(cast, make_plan):
    make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 12, 1))
    services.generate_inspection_visits(now=local(2026, 11, 30, 8), horizon_days=40)

    on_the_day = local(2026, 12, 1, 20)
    day_after = local(2026, 12, 2, 0, 5)

    assert not overdue_visits(today=local_date(on_the_day)).exists()
    overdue = list(overdue_visits(today=local_date(day_after)))
    assert [v.due_on for v in overdue] == [date(2026, 12, 1)]
    rows, counts = inspection_board(state="overdue", now=day_after)
    assert [row.state for row in rows] == ["overdue"] and counts["overdue"] == 1
    assert counts["upcoming"] + counts["due"] == 1


def test_reminders_go_days_before_and_on_the_day_once_to_engineer_and_account_manager(cast, make_plan):
    make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 12, 10), reminder_days=3)
    services.generate_inspection_visits(now=local(2026, 12, 1, 8), horizon_days=20)

    services.send_inspection_reminders(now=local(2026, 12, 6, 9))
    assert not OutboxMessage.objects.exists()
    services.send_inspection_reminders(now=local(2026, 12, 7, 9))
    services.send_inspection_reminders(now=local(2026, 12, 8, 9))
    ahead = OutboxMessage.objects.filter(kind="inspection_ahead")
    assert sorted(m.recipient.username for m in ahead) == ["account", "engineer"]
    assert "2026-12-10" in ahead.first().subject

    services.send_inspection_reminders(now=local(2026, 12, 10, 8))
    services.send_inspection_reminders(now=local(2026, 12, 11, 8))
    services.send_inspection_reminders(now=local(2026, 12, 12, 8))

    assert OutboxMessage.objects.filter(kind="inspection_today").count() == 2
    assert OutboxMessage.objects.filter(kind="inspection_overdue").count() == 2
    assert OutboxMessage.objects.count() == 6


def test_without_an_engineer_the_centre_lead_is_reminded(cast, make_plan):
    make_plan(engineer=None, starts_on=date(2026, 12, 10))
    services.generate_inspection_visits(now=local(2026, 12, 1, 8), horizon_days=20)

    services.send_inspection_reminders(now=local(2026, 12, 8, 9))

    assert sorted(m.recipient.username for m in OutboxMessage.objects.all()) == ["account", "lead"]


def test_a_plan_needs_an_owner_and_its_sites_of_the_customer(cast):
    values = {
        "name": "季度巡检",
        "customer": cast.first,
        "frequency": Frequency.QUARTERLY,
        "starts_on": date(2026, 12, 10),
        "template": cast.template,
    }
    from aftersales.core.errors import InvalidInput, NotPermitted

    with pytest.raises(NotPermitted):
        services.save_inspection_plan(by=cast.engineer, values={**values, "engineer": cast.engineer})
    with pytest.raises(InvalidInput, match="responsible engineer or service centre"):
        services.save_inspection_plan(by=cast.lead, values=values)
    with pytest.raises(InvalidInput, match="another customer"):
        services.save_inspection_plan(
            by=cast.lead, values={**values, "centre": cast.centre}, sites=[cast.other_site]
        )
    with pytest.raises(InvalidInput, match="every how many weeks"):
        services.save_inspection_plan(
            by=cast.lead, values={**values, "centre": cast.centre, "frequency": Frequency.EVERY_N_WEEKS}
        )

    plan = services.save_inspection_plan(
        by=cast.lead, values={**values, "engineer": cast.engineer}, sites=[cast.site], units=[cast.unit]
    )
    assert list(plan.sites.all()) == [cast.site] and plan.reminder_days == 3
