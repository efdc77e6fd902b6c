"""China working-day arithmetic on the official 2026 schedule, and its properties.

Most tests build the calendar straight from the chinesecalendar package (no
database); the tests of ``WorkingDayCalendar.load()`` read the seeded tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.core import business_time
from aftersales.core.business_time import (
    CHINA_WORKING_DAYS,
    WALL_CLOCK,
    WorkingDayCalendar,
    add_minutes,
    due_after,
    elapsed,
    end_of_local_day,
    extend,
    local_date,
    start_of_local_day,
)
from aftersales.core.models import CalendarYear
from aftersales.core.services import package_schedule, package_years, seed_calendar_from_package

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAKE_UP_WORKING_DAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


@cache
def official_calendar() -> WorkingDayCalendar:
    """The package's official schedule for every year it knows (2004–2026 in 1.11.0)."""
    exceptions = {}
    for year in package_years():
        exceptions.update({day: is_working_day for day, is_working_day, _name in package_schedule(year)})
    return WorkingDayCalendar(exceptions, package_years())


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- known 2026 dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 2, 10), date(2026, 3, 16)),  # across the Spring Festival and its make-up Saturdays
        (date(2026, 9, 25), date(2026, 10, 29)),  # from a Mid-autumn holiday across National Day
        (date(2026, 9, 18), date(2026, 10, 22)),  # counts 09-20 and 10-10, skips 10-01..10-07
    ],
)
def test_twenty_working_days_after_a_2026_date_follow_the_official_schedule(start, expected):
    assert official_calendar().add_working_days(start, 20) == expected


def test_the_2026_make_up_weekend_days_are_working_days():
    calendar = official_calendar()
    for day in MAKE_UP_WORKING_DAYS_2026:
        assert day.weekday() >= 5
        assert calendar.is_working_day(day) is True


def test_the_spring_festival_2026_is_nine_days_off_and_work_resumes_on_the_24th():
    calendar = official_calendar()
    festival = [date(2026, 2, 15) + timedelta(days=offset) for offset in range(9)]
    assert [calendar.is_working_day(day) for day in festival] == [False] * 9
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # make-up Saturday
    assert calendar.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_national_day_2026_is_seven_days_off_and_the_make_up_saturday_counts():
    calendar = official_calendar()
    golden_week = [date(2026, 10, 1) + timedelta(days=offset) for offset in range(7)]
    assert not any(calendar.is_working_day(day) for day in golden_week)
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 11)) == 3


def test_a_working_day_deadline_ends_at_235959_local_on_the_nth_working_day():
    due = due_after(
        local(2026, 9, 18, 10, 30),
        calendar=CHINA_WORKING_DAYS,
        working_days=20,
        working_calendar=official_calendar(),
    )
    assert due.at == local(2026, 10, 22, 23, 59, 59)
    assert due.is_provisional is False


def test_the_start_date_is_the_local_date_not_the_utc_one():
    # 2026-09-17 17:30 UTC is already 2026-09-18 01:30 in Shanghai.
    start = datetime(2026, 9, 17, 17, 30, tzinfo=UTC)
    assert local_date(start) == date(2026, 9, 18)
    due = due_after(start, calendar=CHINA_WORKING_DAYS, working_days=20, working_calendar=official_calendar())
    assert due.at == local(2026, 10, 22, 23, 59, 59)


def test_a_wall_clock_deadline_is_real_time_and_never_provisional():
    due = due_after(local(2026, 9, 30, 22, 0), calendar=WALL_CLOCK, minutes=240)
    assert due.at == local(2026, 10, 1, 2, 0)
    assert due.is_provisional is False
    assert add_minutes(local(2026, 9, 30, 22, 0), 30) == local(2026, 9, 30, 22, 30)


def test_an_unknown_calendar_is_refused():
    with pytest.raises(ValueError, match="unknown calendar"):
        due_after(local(2026, 1, 5), calendar="lunar", minutes=1)


def test_a_negative_number_of_working_days_is_refused():
    with pytest.raises(ValueError):
        official_calendar().add_working_days(date(2026, 1, 5), -1)


def test_local_day_bounds_are_in_the_business_time_zone():
    assert start_of_local_day(date(2026, 10, 1)) == local(2026, 10, 1, 0, 0)
    assert end_of_local_day(date(2026, 10, 1)) == datetime.combine(
        date(2026, 10, 1), time(23, 59, 59), tzinfo=SHANGHAI
    )


def test_working_seconds_skip_the_national_day_holidays():
    calendar = official_calendar()
    start = local(2026, 9, 30, 12, 0)
    end = local(2026, 10, 8, 12, 0)
    assert calendar.working_seconds_between(start, end) == 24 * 3600
    assert elapsed(start, end, calendar=CHINA_WORKING_DAYS, working_calendar=calendar) == 24 * 3600
    assert elapsed(start, end, calendar=WALL_CLOCK) == 8 * 24 * 3600


def test_a_paused_clock_resumes_with_the_working_time_it_had_left():
    calendar = official_calendar()
    # Eight working hours left when the pause ends on the eve of National Day, at 20:00.
    due = extend(local(2026, 9, 30, 20, 0), 8 * 3600, calendar=CHINA_WORKING_DAYS, working_calendar=calendar)
    assert due.at == local(2026, 10, 8, 4, 0)
    assert due.is_provisional is False


def test_no_working_time_left_is_due_at_once_even_on_a_holiday():
    holiday_noon = local(2026, 10, 3, 12, 0)
    assert official_calendar().add_working_seconds(holiday_noon, 0) == holiday_noon


# --- provisional years ------------------------------------------------------------------------


def test_a_year_without_an_official_schedule_falls_back_to_monday_to_friday():
    calendar = official_calendar()
    assert calendar.is_official_year(2027) is False
    assert calendar.is_working_day(date(2027, 1, 1)) is True  # a Friday; the real schedule will say
    assert calendar.is_working_day(date(2027, 1, 2)) is False


def test_a_deadline_reaching_into_an_unofficial_year_is_provisional():
    calendar = official_calendar()
    due = due_after(
        local(2026, 12, 20, 9, 0), calendar=CHINA_WORKING_DAYS, working_days=20, working_calendar=calendar
    )
    # Monday–Friday from 2026-12-21: 9 working days in 2026, the 11 others in January 2027.
    assert due.at == local(2027, 1, 15, 23, 59, 59)
    assert due.is_provisional is True
    assert calendar.unofficial_years(date(2026, 12, 20), date(2027, 1, 15)) == [2027]


def test_a_deadline_inside_an_official_year_is_not_provisional():
    due = due_after(
        local(2026, 11, 2, 9, 0),
        calendar=CHINA_WORKING_DAYS,
        working_days=20,
        working_calendar=official_calendar(),
    )
    assert due.at.date() == date(2026, 11, 30)  # November 2026 has no holiday
    assert due.is_provisional is False


# --- loading the calendar from the database ---------------------------------------------------


@pytest.mark.django_db
def test_loading_the_calendar_takes_two_queries(django_assert_num_queries):
    seed_calendar_from_package()
    with django_assert_num_queries(2):
        calendar = WorkingDayCalendar.load()
    assert calendar.add_working_days(date(2026, 9, 18), 20) == date(2026, 10, 22)
    assert calendar.is_official_year(2026) is True


@pytest.mark.django_db
def test_days_of_a_year_not_yet_official_are_not_used():
    year = CalendarYear.objects.create(year=2027, is_official=False)
    year.days.create(date=date(2027, 1, 1), is_working_day=False, name="元旦 / New Year's Day")
    calendar = WorkingDayCalendar.load()
    assert calendar.is_working_day(date(2027, 1, 1)) is True


@pytest.mark.django_db
def test_due_after_reads_the_calendar_when_none_is_given():
    seed_calendar_from_package()
    due = due_after(local(2026, 2, 10, 9, 0), calendar=CHINA_WORKING_DAYS, working_days=20)
    assert due.at == local(2026, 3, 16, 23, 59, 59)


# --- properties -------------------------------------------------------------------------------

start_dates = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))
working_day_counts = st.integers(min_value=0, max_value=400)
moments = st.datetimes(
    min_value=datetime(2004, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(SHANGHAI)
)


@given(start=start_dates, days=st.integers(min_value=1, max_value=400))
def test_the_nth_working_day_is_always_a_working_day(start, days):
    calendar = official_calendar()
    assert calendar.is_working_day(calendar.add_working_days(start, days)) is True


@given(start=start_dates, first=working_day_counts, second=working_day_counts)
def test_adding_a_then_b_working_days_equals_adding_a_plus_b(start, first, second):
    calendar = official_calendar()
    assert calendar.add_working_days(calendar.add_working_days(start, first), second) == (
        calendar.add_working_days(start, first + second)
    )


@given(start=start_dates, days=working_day_counts)
def test_counting_working_days_undoes_adding_them(start, days):
    calendar = official_calendar()
    assert calendar.working_days_between(start, calendar.add_working_days(start, days)) == days


@given(start=moments, seconds=st.integers(min_value=0, max_value=40 * 24 * 3600))
def test_measuring_working_seconds_undoes_adding_them(start, seconds):
    calendar = official_calendar()
    end = calendar.add_working_seconds(start, seconds)
    assert end >= start
    assert calendar.working_seconds_between(start, end) == seconds


@given(start=moments, days=working_day_counts, minutes=st.integers(min_value=0, max_value=3 * 24 * 60))
def test_a_due_time_is_never_before_its_start(start, days, minutes):
    due = due_after(
        start,
        calendar=CHINA_WORKING_DAYS,
        working_days=days,
        minutes=minutes,
        working_calendar=official_calendar(),
    )
    assert due.at >= start


@given(start=moments, fewer=working_day_counts, extra=st.integers(min_value=0, max_value=50))
def test_more_working_days_never_give_an_earlier_due_time(start, fewer, extra):
    calendar = official_calendar()
    sooner = due_after(start, calendar=CHINA_WORKING_DAYS, working_days=fewer, working_calendar=calendar)
    later = due_after(
        start, calendar=CHINA_WORKING_DAYS, working_days=fewer + extra, working_calendar=calendar
    )
    assert later.at >= sooner.at


@given(start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30)), days=st.integers(1, 100))
def test_a_deadline_within_the_package_years_is_official(start, days):
    calendar = official_calendar()
    due = due_after(
        start_of_local_day(start), calendar=CHINA_WORKING_DAYS, working_days=days, working_calendar=calendar
    )
    assert due.is_provisional is False
    assert due.at == end_of_local_day(calendar.add_working_days(start, days))


def test_the_official_years_are_the_package_years_2004_to_at_least_2026():
    years = package_years()
    assert years[0] == 2004
    assert 2026 in years
    assert years == list(range(years[0], years[-1] + 1))
    assert business_time.MAX_WORKING_DAYS >= 20
