"""All business-time arithmetic: local dates, wall-clock and China working-day deadlines.

Nothing else in Aftersales adds timedeltas to deadlines. Two calendars:

* ``wall_clock`` — 24×7: a target of N minutes is N minutes of real time.
* ``china_working_days`` — public holidays off, make-up working weekends (调休)
  on, from the official schedule in ``CalendarYear``/``CalendarDay``. A year
  without an official schedule falls back to Monday–Friday and any due time
  that depends on it is *provisional*.

Convention: "N working days after T" ends at 23:59:59 local time on the N-th
working day after T's local date, T's own date not counted. Pausable clocks
count *working seconds*: every second of a working day counts, no second of a
day off does, so a paused clock resumes with exactly the working time it had.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

WALL_CLOCK = "wall_clock"
CHINA_WORKING_DAYS = "china_working_days"
CALENDARS = (WALL_CLOCK, CHINA_WORKING_DAYS)

DAY_SECONDS = 24 * 3600
MAX_WORKING_DAYS = 3660  # ten years of working days: past this a target is a typo


def local_zone() -> ZoneInfo:
    """The vendor's business time zone (``AFTERSALES_TIME_ZONE``, default Asia/Shanghai)."""
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: datetime) -> date:
    """The calendar date of an aware moment in the business time zone."""
    return timezone.localtime(moment, local_zone()).date()


def start_of_local_day(day: date) -> datetime:
    """00:00:00 local on ``day`` as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def end_of_local_day(day: date) -> datetime:
    """23:59:59 local on ``day``: the end of a working-day deadline."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=local_zone())


@dataclass(frozen=True)
class Due:
    """A computed deadline and whether it rests on an unofficial (fallback) year."""

    at: datetime
    is_provisional: bool = False


class WorkingDayCalendar:
    """The China working-day calendar loaded once for a computation.

    Construct it with the exceptions and official years, or with
    ``WorkingDayCalendar.load()`` to read them from the database (two small
    queries; the table holds a few dozen rows a year).
    """

    def __init__(self, exceptions: dict[date, bool], official_years: Iterable[int]) -> None:
        self._exceptions = dict(exceptions)
        self._official_years = frozenset(official_years)

    @classmethod
    def load(cls) -> WorkingDayCalendar:
        """Read the official schedule: one query for the years, one for their exceptions.

        Days entered for a year not yet marked official are left out: only an
        official schedule counts, until then the year is Monday–Friday.
        """
        from aftersales.core.models import CalendarDay, CalendarYear

        official = list(CalendarYear.objects.filter(is_official=True).values_list("year", flat=True))
        exceptions = dict(
            CalendarDay.objects.filter(calendar_year__is_official=True).values_list("date", "is_working_day")
        )
        return cls(exceptions, official)

    def is_official_year(self, year: int) -> bool:
        return year in self._official_years

    def is_working_day(self, day: date) -> bool:
        """Official schedule first; otherwise Monday–Friday."""
        if day.year in self._official_years and day in self._exceptions:
            return self._exceptions[day]
        return day.weekday() < 5

    def unofficial_years(self, first: date, last: date) -> list[int]:
        """The years from ``first`` to ``last`` that still lack an official schedule."""
        return [year for year in range(first.year, last.year + 1) if not self.is_official_year(year)]

    def is_provisional_span(self, first: date, last: date) -> bool:
        """True when any year from ``first`` to ``last`` has no official schedule."""
        return bool(self.unofficial_years(first, last))

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
        if days < 0 or days > MAX_WORKING_DAYS:
            raise ValueError(f"working days must be between 0 and {MAX_WORKING_DAYS}")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Seconds of working days between two moments (0 when ``end`` is not later)."""
        if end <= start:
            return 0
        total = 0
        day = local_date(start)
        last = local_date(end)
        while day <= last:
            if self.is_working_day(day):
                day_start = start_of_local_day(day)
                day_end = start_of_local_day(day + timedelta(days=1))
                overlap_start = max(start, day_start)
                overlap_end = min(end, day_end)
                if overlap_end > overlap_start:
                    total += int((overlap_end - overlap_start).total_seconds())
            day += timedelta(days=1)
        return total

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The earliest moment at which ``seconds`` of working time have passed since ``start``.

        Zero seconds is ``start`` itself, even on a day off: a clock with no time
        left is due now, not when the next working day begins.
        """
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if seconds == 0:
            return start
        moment = timezone.localtime(start, local_zone())
        remaining = seconds
        for _guard in range(MAX_WORKING_DAYS * 2):
            day = moment.date()
            day_end = start_of_local_day(day + timedelta(days=1))
            if self.is_working_day(day):
                available = int((day_end - moment).total_seconds())
                if remaining <= available:
                    return moment + timedelta(seconds=remaining)
                remaining -= available
            moment = day_end
        raise ValueError("working time too long to place on the calendar")


def due_after(
    start: datetime,
    *,
    calendar: str,
    minutes: int = 0,
    working_days: int = 0,
    working_calendar: WorkingDayCalendar | None = None,
) -> Due:
    """The deadline for a target measured from ``start`` in the given calendar.

    ``wall_clock`` uses ``minutes``; ``china_working_days`` uses ``working_days``
    (ending 23:59:59 local on the N-th working day, start date not counted) plus
    any ``minutes`` as working time beyond that.
    """
    if calendar == WALL_CLOCK:
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        return Due(at=start + timedelta(minutes=minutes))
    if calendar != CHINA_WORKING_DAYS:
        raise ValueError(f"unknown calendar {calendar!r}")
    cal = working_calendar or WorkingDayCalendar.load()
    start_day = local_date(start)
    end_day = cal.add_working_days(start_day, working_days)
    at = end_of_local_day(end_day) if working_days else start
    if minutes:
        at = cal.add_working_seconds(at, minutes * 60)
        end_day = local_date(at)
    return Due(at=at, is_provisional=cal.is_provisional_span(start_day, end_day))


def elapsed(
    start: datetime, end: datetime, *, calendar: str, working_calendar: WorkingDayCalendar | None = None
) -> int:
    """Seconds of business time between two moments in the given calendar."""
    if calendar == WALL_CLOCK:
        return max(0, int((end - start).total_seconds()))
    cal = working_calendar or WorkingDayCalendar.load()
    return cal.working_seconds_between(start, end)


def extend(
    moment: datetime,
    seconds: int,
    *,
    calendar: str,
    working_calendar: WorkingDayCalendar | None = None,
) -> Due:
    """``moment`` moved on by ``seconds`` of business time (used when a pause ends)."""
    if calendar == WALL_CLOCK:
        return Due(at=moment + timedelta(seconds=seconds))
    cal = working_calendar or WorkingDayCalendar.load()
    at = cal.add_working_seconds(moment, seconds)
    return Due(at=at, is_provisional=cal.is_provisional_span(local_date(moment), local_date(at)))


def add_minutes(start: datetime, minutes: int) -> datetime:
    """Wall-clock arithmetic for warnings and escalation delays (24×7)."""
    return start + timedelta(minutes=minutes)


def last_day_of_months_term(start: date, months: int) -> date:
    """The last day covered by a term of ``months`` calendar months that starts on ``start``.

    The start day is the first covered day, so the term ends the day before the
    same day-of-month ``months`` later: 2026-01-20 + 36 months → 2029-01-19.
    When that month has no such day the term runs to the end of the month, as
    the Civil Code (民法典 第二百零三条) counts periods: 2026-01-31 + 1 month →
    2026-02-28, and 2024-02-29 + 12 months → 2025-02-28.
    """
    if months < 0:
        raise ValueError("months must not be negative")
    year, month_index = divmod(start.month - 1 + months, 12)
    year += start.year
    month = month_index + 1
    days_in_month = monthrange(year, month)[1]
    if start.day > days_in_month:
        return date(year, month, days_in_month)
    return date(year, month, start.day) - timedelta(days=1)
