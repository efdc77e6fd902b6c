"""Seeding the official schedule, publishing next year's, and telling the listeners."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from aftersales.core import services
from aftersales.core.business_time import CHINA_WORKING_DAYS, WorkingDayCalendar, due_after
from aftersales.core.errors import InvalidInput
from aftersales.core.models import CalendarDay, CalendarYear
from aftersales.core.services import (
    package_years,
    publish_calendar_year,
    register_calendar_listener,
    seed_calendar_from_package,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A made-up 2027 schedule in the State Council's shape (weekday holidays, weekend make-up days).
SCHEDULE_2027 = [
    (date(2027, 1, 1), False, "元旦 / New Year's Day"),
    (date(2027, 1, 11), False, "测试假日 / Test holiday"),
    (date(2027, 1, 16), True, "测试调休 / Test make-up working day"),
]


@pytest.fixture
def heard():
    """The sets of years a test listener was told about, in order."""
    calls: list[set[int]] = []
    listener = register_calendar_listener(calls.append)
    yield calls
    services.CALENDAR_LISTENERS.remove(listener)


@pytest.fixture
def official_calendar():
    seed_calendar_from_package()


def due_from_late_december() -> tuple[datetime, bool]:
    due = due_after(
        datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI),
        calendar=CHINA_WORKING_DAYS,
        working_days=20,
        working_calendar=WorkingDayCalendar.load(),
    )
    return due.at, due.is_provisional


@pytest.mark.smoke
def test_the_migration_seeds_every_year_the_package_knows():
    years = list(
        CalendarYear.objects.filter(is_official=True, source="package").values_list("year", flat=True)
    )
    assert years == package_years()
    make_up_days = CalendarDay.objects.filter(date__year=2026, is_working_day=True).values_list(
        "date", flat=True
    )
    assert list(make_up_days) == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    national_day = CalendarDay.objects.get(date=date(2026, 10, 1))
    assert national_day.is_working_day is False
    assert national_day.name == "国庆节 / National Day"


def test_the_package_schedule_lists_only_exceptions_to_monday_to_friday():
    for day, is_working_day, _name in services.package_schedule(2026):
        assert is_working_day is (day.weekday() >= 5)
    days = {day for day, _working, _name in services.package_schedule(2026)}
    assert date(2026, 10, 3) not in days  # a Saturday holiday is a day off anyway


def test_seeding_again_changes_nothing_and_tells_no_one(official_calendar, heard):
    result = seed_calendar_from_package()
    assert result.changed == []
    assert result.unchanged == package_years()
    assert heard == []


def test_seeding_restores_a_year_that_differs_from_the_package(official_calendar, heard):
    CalendarDay.objects.filter(date=date(2026, 10, 10)).delete()
    result = seed_calendar_from_package(years=[2026, 2025])
    assert result.changed == [2026]
    assert result.unchanged == [2025]
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).is_working_day is True
    assert heard == [{2026}]


def test_seeding_keeps_a_year_an_administrator_entered(official_calendar, heard):
    publish_calendar_year(year=2025, days=[(date(2025, 1, 1), False, "元旦 / New Year's Day")])
    heard.clear()
    result = seed_calendar_from_package(years=[2025])
    assert result.kept_by_administrator == [2025]
    assert CalendarDay.objects.filter(date__year=2025).count() == 1
    assert heard == []


def test_seeding_a_year_the_package_does_not_know_is_refused(heard):
    with pytest.raises(InvalidInput, match="2027"):
        seed_calendar_from_package(years=[2026, 2027])
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert heard == []


def test_publishing_next_year_makes_its_due_dates_official_and_tells_the_listeners(official_calendar, heard):
    provisional_at, is_provisional = due_from_late_december()
    assert is_provisional is True
    assert provisional_at.date() == date(2027, 1, 15)  # Monday–Friday, 2027-01-01 counted as working

    calendar_year = publish_calendar_year(year=2027, days=SCHEDULE_2027, published_on=date(2026, 11, 20))

    assert calendar_year.is_official is True
    assert calendar_year.source == CalendarYear.Source.ADMIN
    assert calendar_year.published_on == date(2026, 11, 20)
    official_at, is_provisional = due_from_late_december()
    assert is_provisional is False
    # 2027-01-01 and 01-11 are now off, Saturday 01-16 is on: one day later than before.
    assert official_at.date() == date(2027, 1, 18)
    assert heard == [{2027}]


def test_publishing_a_year_again_replaces_its_days(official_calendar):
    publish_calendar_year(year=2027, days=SCHEDULE_2027)
    publish_calendar_year(year=2027, days=SCHEDULE_2027[:1])
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [
        date(2027, 1, 1)
    ]


@pytest.mark.parametrize(
    ("day", "is_working_day", "message"),
    [
        (date(2027, 1, 2), False, "weekend"),  # a Saturday listed as a holiday
        (date(2027, 1, 4), True, "weekday"),  # a Monday listed as a working day
        (date(2028, 1, 3), False, "not in 2027"),
    ],
)
def test_publishing_a_day_that_is_no_exception_is_refused(heard, day, is_working_day, message):
    with pytest.raises(InvalidInput, match=message):
        publish_calendar_year(year=2027, days=[*SCHEDULE_2027, (day, is_working_day, "x")])
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert heard == []


def test_publishing_the_same_day_twice_is_refused():
    with pytest.raises(InvalidInput, match="twice"):
        publish_calendar_year(year=2027, days=[SCHEDULE_2027[0], SCHEDULE_2027[0]])
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_a_failing_listener_undoes_the_publication():
    def refuse(years: set[int]) -> None:
        raise RuntimeError("recomputation failed")

    register_calendar_listener(refuse)
    try:
        with pytest.raises(RuntimeError):
            publish_calendar_year(year=2027, days=SCHEDULE_2027)
    finally:
        services.CALENDAR_LISTENERS.remove(refuse)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_registering_a_listener_twice_calls_it_once(heard):
    register_calendar_listener(heard.append)
    publish_calendar_year(year=2027, days=SCHEDULE_2027)
    assert heard == [{2027}]


def test_deleting_a_year_tells_the_listeners(heard):
    calendar_year = publish_calendar_year(year=2027, days=SCHEDULE_2027)
    heard.clear()
    assert services.delete_calendar_year(calendar_year=calendar_year) == 2027
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert heard == [{2027}]


def test_an_administrators_edit_makes_the_year_theirs_and_tells_the_listeners(official_calendar, heard):
    calendar_year = CalendarYear.objects.get(year=2026)
    calendar_year.year = 2030  # renumbered: both years may hold due dates
    calendar_year.save()
    services.record_calendar_edit(calendar_year=calendar_year, previous_year=2026)
    calendar_year.refresh_from_db()
    assert calendar_year.source == CalendarYear.Source.ADMIN
    assert heard == [{2026, 2030}]
