"""Changes to the China working-day calendar, and who must hear about them.

The official schedule (holidays and make-up working weekends, 调休) comes from
the ``chinesecalendar`` package for the years it knows, and from an
administrator each November when the State Council publishes next year's.
Due dates computed on a year without it were provisional: every change calls
the registered calendar listeners with the years that changed, inside the
same transaction, so apps above ``core`` (``commitments``) recompute them
without ``core`` importing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import InvalidInput
from aftersales.core.models import CalendarDay, CalendarYear

CalendarListener = Callable[[set[int]], None]

# Functions called with the set of years whose schedule changed; apps register
# theirs in ``AppConfig.ready()``.
CALENDAR_LISTENERS: list[CalendarListener] = []

# The package names holidays in English; stored names are bilingual, like the
# State Council's notice read by both Chinese and English speaking staff.
_CHINESE_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

ScheduleDay = tuple[date, bool, str]


@dataclass
class SeedResult:
    """What seeding from the package did to each year it was asked about."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    kept_by_administrator: list[int] = field(default_factory=list)


def register_calendar_listener(listener: CalendarListener) -> CalendarListener:
    """Call ``listener(years)`` whenever the schedule of ``years`` changes.

    Registering the same function twice keeps one entry, so an app's
    ``ready()`` running again does not make it recompute twice. Returns the
    function, so it can be used as a decorator.
    """
    if listener not in CALENDAR_LISTENERS:
        CALENDAR_LISTENERS.append(listener)
    return listener


def notify_calendar_changed(years: Iterable[int]) -> None:
    """Tell every listener which years changed; a listener error rolls the change back."""
    changed = set(years)
    if not changed:
        return
    for listener in list(CALENDAR_LISTENERS):
        listener(set(changed))


def package_years() -> list[int]:
    """The years for which ``chinesecalendar`` has the official schedule.

    The package raises for a year it does not know (2027 in 1.11.0), so the
    range is read from its data and confirmed by asking it.
    """
    import chinese_calendar

    listed = {day.year for day in chinese_calendar.constants.holidays}
    listed |= {day.year for day in chinese_calendar.constants.workdays}
    known = []
    for year in sorted(listed):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        known.append(year)
    return known


def package_note() -> str:
    """Which package version a seeded year came from, kept on the year for the record."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"chinesecalendar {version('chinesecalendar')}"
    except PackageNotFoundError:
        return "chinesecalendar"


def _holiday_name(english: str, *, is_make_up_day: bool) -> str:
    chinese = _CHINESE_HOLIDAY_NAMES.get(english, english)
    if is_make_up_day:
        return f"{chinese}调休 / {english} make-up working day"
    return f"{chinese} / {english}"


def package_schedule(year: int) -> list[ScheduleDay]:
    """The official exceptions of ``year`` from the package: weekday holidays and
    weekend make-up working days, as ``(date, is_working_day, name)`` by date.

    A holiday on a weekend and a working weekday are the Monday–Friday rule
    already, so they are not exceptions.
    """
    import chinese_calendar

    constants = chinese_calendar.constants
    days: list[ScheduleDay] = []
    for day, name in constants.holidays.items():
        if day.year == year and day.weekday() < 5:
            days.append((day, False, _holiday_name(str(getattr(name, "value", name)), is_make_up_day=False)))
    for day, name in constants.workdays.items():
        if day.year == year and day.weekday() >= 5:
            days.append((day, True, _holiday_name(str(getattr(name, "value", name)), is_make_up_day=True)))
    return sorted(days)


def validate_calendar_day(*, year: int, day: date, is_working_day: bool) -> None:
    """A listed day must be an exception in ``year``: a weekday off or a weekend on."""
    if day.year != year:
        raise InvalidInput(
            _("%(date)s is not in %(year)s.") % {"date": day.isoformat(), "year": year},
            code="date_outside_year",
        )
    is_weekend = day.weekday() >= 5
    if is_weekend and not is_working_day:
        raise InvalidInput(
            _("%(date)s is a weekend day, already a day off: list a weekend only as a make-up working day.")
            % {"date": day.isoformat()},
            code="weekend_holiday",
        )
    if not is_weekend and is_working_day:
        raise InvalidInput(
            _("%(date)s is a weekday, already a working day: list a weekday only as a holiday.")
            % {"date": day.isoformat()},
            code="working_weekday",
        )


def _validate_schedule(year: int, days: Iterable[ScheduleDay]) -> list[ScheduleDay]:
    if not isinstance(year, int) or not 1 <= year <= 9999:
        raise InvalidInput(_("%(year)s is not a calendar year.") % {"year": year}, code="bad_year")
    seen: set[date] = set()
    checked = []
    max_name = CalendarDay._meta.get_field("name").max_length
    for day, is_working_day, name in days:
        validate_calendar_day(year=year, day=day, is_working_day=is_working_day)
        if day in seen:
            raise InvalidInput(
                _("%(date)s is listed twice.") % {"date": day.isoformat()}, code="duplicate_date"
            )
        if len(name) > max_name:
            raise InvalidInput(
                _("The name of %(date)s is longer than %(max)s characters.")
                % {"date": day.isoformat(), "max": max_name},
                code="name_too_long",
            )
        seen.add(day)
        checked.append((day, bool(is_working_day), name))
    return sorted(checked)


def _replace_days(calendar_year: CalendarYear, days: list[ScheduleDay]) -> None:
    year = calendar_year.year
    CalendarDay.objects.filter(date__range=(date(year, 1, 1), date(year, 12, 31))).delete()
    CalendarDay.objects.filter(calendar_year=calendar_year).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(calendar_year=calendar_year, date=day, is_working_day=is_working_day, name=name)
        for day, is_working_day, name in days
    )


def publish_calendar_year(
    *, year: int, days: list[ScheduleDay], published_on: date | None = None
) -> CalendarYear:
    """Enter the State Council's schedule for ``year`` (replacing any entered before)
    and make it official, so due dates in it stop being provisional.

    ``days`` lists only the exceptions to Monday–Friday: holidays on weekdays
    and make-up working days on weekends.
    """
    checked = _validate_schedule(year, days)
    with transaction.atomic():
        calendar_year, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
        calendar_year.is_official = True
        calendar_year.source = CalendarYear.Source.ADMIN
        if published_on is not None:
            calendar_year.published_on = published_on
        calendar_year.save()
        _replace_days(calendar_year, checked)
        notify_calendar_changed({year})
    return calendar_year


def record_calendar_edit(*, calendar_year: CalendarYear, previous_year: int | None = None) -> CalendarYear:
    """An administrator changed a year or its days directly (the admin's form).

    The year is now the administrator's (seeding from the package no longer
    overwrites it), and due dates in it — and in the year it was before, if its
    number changed — are recomputed.
    """
    with transaction.atomic():
        if calendar_year.source != CalendarYear.Source.ADMIN:
            calendar_year.source = CalendarYear.Source.ADMIN
            calendar_year.save(update_fields=["source"])
        notify_calendar_changed({calendar_year.year, previous_year} - {None})
    return calendar_year


def delete_calendar_year(*, calendar_year: CalendarYear) -> int:
    """Remove a year's schedule: it falls back to Monday–Friday, provisionally."""
    year = calendar_year.year
    with transaction.atomic():
        calendar_year.delete()
        notify_calendar_changed({year})
    return year


def seed_calendar_from_package(*, years: Iterable[int] | None = None) -> SeedResult:
    """Make the package's official schedule the calendar of the years it knows.

    Idempotent: a year that already matches is left alone, and a year an
    administrator entered and made official is kept as entered (the
    administrator may have corrected it). Listeners hear of the changed years.
    """
    known = package_years()
    if years is None:
        wanted = known
    else:
        wanted = sorted(set(years))
        unknown = [year for year in wanted if year not in known]
        if unknown:
            raise InvalidInput(
                _("The chinesecalendar package has no schedule for %(years)s; it knows %(first)s–%(last)s.")
                % {
                    "years": ", ".join(str(year) for year in unknown),
                    "first": known[0] if known else "-",
                    "last": known[-1] if known else "-",
                },
                code="unknown_year",
            )
    result = SeedResult()
    with transaction.atomic():
        existing = {cy.year: cy for cy in CalendarYear.objects.select_for_update().filter(year__in=wanted)}
        entered: dict[int, set[ScheduleDay]] = {year: set() for year in wanted}
        for year, day, is_working_day, name in CalendarDay.objects.filter(
            calendar_year__year__in=wanted
        ).values_list("calendar_year__year", "date", "is_working_day", "name"):
            entered[year].add((day, is_working_day, name))
        for year in wanted:
            calendar_year = existing.get(year)
            schedule = package_schedule(year)
            if calendar_year is not None and calendar_year.is_official:
                if calendar_year.source == CalendarYear.Source.ADMIN:
                    result.kept_by_administrator.append(year)
                    continue
                if entered[year] == set(schedule):
                    result.unchanged.append(year)
                    continue
            if calendar_year is None:
                calendar_year = CalendarYear(year=year)
            calendar_year.is_official = True
            calendar_year.source = CalendarYear.Source.PACKAGE
            calendar_year.note = package_note()
            calendar_year.save()
            _replace_days(calendar_year, schedule)
            result.changed.append(year)
        notify_calendar_changed(result.changed)
    return result
