"""``aftersales calendar``: due dates, the China working-day schedule, and seeding it.

``due`` prints the answer on its first line so scripts can read it:

* ``--working-days N``: the date ``YYYY-MM-DD`` of the deadline (23:59:59 local on
  the N-th working day after the start's local date, that date not counted);
* ``--hours N`` / ``--minutes N``: the local date and time ``YYYY-MM-DD HH:MM:SS``
  of a 24×7 wall-clock deadline;

then the exact moment in ISO 8601 with its offset, then ``provisional`` when the
deadline rests on a year without an official schedule (the reason on stderr).
Bad input prints a message on stderr and exits with status 2.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from aftersales.core import business_time, services
from aftersales.core.errors import DomainError
from aftersales.core.models import CalendarYear

BAD_INPUT = 2
_MAX_WALL_CLOCK_MINUTES = 10 * 366 * 24 * 60  # ten years: past this a target is a typo


def _bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def _parse_start(text: str | None) -> datetime:
    """The start moment; a bare date means local midnight (what wall-clock hours count from)."""
    if text is None:
        return timezone.now()
    try:
        return business_time.start_of_local_day(date.fromisoformat(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bad_input(
            _("--from %(value)r is not a date (2026-09-18) or a date and time (2026-09-18T14:30).")
            % {"value": text}
        ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=business_time.local_zone())
    return moment


def _parse_count(option: str, text: str | None, *, maximum: int) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0 or value > maximum:
        raise _bad_input(
            _("%(option)s must be a whole number from 0 to %(maximum)s, not %(value)r.")
            % {"option": option, "maximum": maximum, "value": text}
        )
    return value


def _parse_year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        year = 0
    if not 1 <= year <= 9999:
        raise _bad_input(_("%(value)r is not a year.") % {"value": text})
    return year


class Command(BaseCommand):
    # A calculator and a seeder: the whole-project checks only slow it down.
    requires_system_checks: list[str] = []

    @property
    def help(self) -> str:  # type: ignore[override]
        """Translated when asked, in the language active then (not at import)."""
        return _(
            "China working-day calendar. 'due' computes a deadline: --working-days N prints the date "
            "(YYYY-MM-DD) of the N-th working day after the start's date, the deadline being 23:59:59 "
            "that day; --hours/--minutes print the local date and time (YYYY-MM-DD HH:MM:SS) of a 24×7 "
            "deadline. 'show' lists a year's holidays and make-up working days; 'seed' loads the "
            "official schedules the chinesecalendar package knows."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{due,show,seed}")

        due = subcommands.add_parser(
            "due",
            help=_("Compute a deadline."),
            description=_(
                "First line: with --working-days, the deadline's date YYYY-MM-DD (it ends 23:59:59 "
                "local time that day; the start's own date is not counted); with --hours/--minutes, "
                "the local date and time YYYY-MM-DD HH:MM:SS. Second line: the exact moment in ISO "
                "8601. Third line 'provisional' when a year on the way has no official schedule yet."
            ),
        )
        due.add_argument(
            "--from",
            dest="start",
            metavar="DATE_OR_DATETIME",
            help=_(
                "Start: a date (2026-09-18, meaning local midnight) or an ISO date and time "
                "(2026-09-18T14:30; without an offset it is Asia/Shanghai time). Default: now."
            ),
        )
        due.add_argument("--working-days", metavar="N", help=_("China working days to add."))
        due.add_argument("--hours", metavar="N", help=_("Wall-clock hours to add (24×7)."))
        due.add_argument("--minutes", metavar="N", help=_("Wall-clock minutes to add (24×7)."))

        show = subcommands.add_parser("show", help=_("List a year's holidays and make-up working days."))
        show.add_argument("--year", help=_("The year to show; without it, a summary of every year."))

        seed = subcommands.add_parser(
            "seed", help=_("Load the official schedules from the chinesecalendar package (idempotent).")
        )
        seed.add_argument(
            "--year",
            action="append",
            dest="years",
            help=_("Only this year (repeatable); default: every year the package knows."),
        )

    def handle(self, *args, **options) -> None:
        handler = {"due": self._due, "show": self._show, "seed": self._seed}[options["subcommand"]]
        try:
            handler(options)
        except DatabaseError as exc:
            # A database that was never migrated (or is unreachable) is a set-up mistake, not a crash.
            raise CommandError(
                _("The calendar database is not ready (%(error)s): run `aftersales migrate` first.")
                % {"error": exc},
                returncode=2,
            ) from exc

    def _due(self, options: dict) -> None:
        working_days = _parse_count(
            "--working-days", options["working_days"], maximum=business_time.MAX_WORKING_DAYS
        )
        hours = _parse_count("--hours", options["hours"], maximum=_MAX_WALL_CLOCK_MINUTES // 60)
        minutes = _parse_count("--minutes", options["minutes"], maximum=_MAX_WALL_CLOCK_MINUTES)
        is_wall_clock = hours is not None or minutes is not None
        if (working_days is None) == (not is_wall_clock):
            raise _bad_input(_("Give either --working-days, or --hours and/or --minutes."))
        start = _parse_start(options["start"])
        try:
            if is_wall_clock:
                total = (hours or 0) * 60 + (minutes or 0)
                if total > _MAX_WALL_CLOCK_MINUTES:
                    raise ValueError(total)
                due = business_time.due_after(start, calendar=business_time.WALL_CLOCK, minutes=total)
            else:
                calendar = business_time.WorkingDayCalendar.load()
                due = business_time.due_after(
                    start,
                    calendar=business_time.CHINA_WORKING_DAYS,
                    working_days=working_days,
                    working_calendar=calendar,
                )
        except (ValueError, OverflowError):
            raise _bad_input(_("The deadline falls outside the supported dates.")) from None
        local = timezone.localtime(due.at, business_time.local_zone())
        if is_wall_clock:
            self.stdout.write(local.strftime("%Y-%m-%d %H:%M:%S"))
        else:
            self.stdout.write(local.date().isoformat())
        self.stdout.write(local.isoformat())
        if due.is_provisional:
            years = calendar.unofficial_years(business_time.local_date(start), local.date())
            self.stdout.write("provisional")
            self.stderr.write(
                _(
                    "Provisional: no official schedule has been entered for %(years)s, counted "
                    "Monday–Friday; the date will be recomputed when it is."
                )
                % {"years": ", ".join(str(year) for year in years)}
            )

    def _show(self, options: dict) -> None:
        if options["year"] is None:
            self._show_summary()
            return
        year = _parse_year(options["year"])
        calendar_year = CalendarYear.objects.filter(year=year).first()
        if calendar_year is None:
            raise _bad_input(
                _(
                    "No schedule has been entered for %(year)s: its working days are Monday–Friday "
                    "and due dates in it are provisional. Enter it in the admin, or run "
                    "'aftersales calendar seed' if the chinesecalendar package knows it."
                )
                % {"year": year}
            )
        if calendar_year.is_official:
            status = _("%(year)s: official schedule (%(source)s).") % {
                "year": year,
                "source": calendar_year.get_source_display(),
            }
        else:
            status = _(
                "%(year)s: not official yet — working days are Monday–Friday and due dates in it are "
                "provisional; the days below are not used until the year is marked official."
            ) % {"year": year}
        self.stdout.write(status)
        days = list(calendar_year.days.order_by("date"))
        sections = [
            (_("Holidays (weekdays off):"), [day for day in days if not day.is_working_day]),
            (_("Make-up working days (weekends on):"), [day for day in days if day.is_working_day]),
        ]
        for title, listed in sections:
            self.stdout.write(title)
            for day in listed:
                weekday = formats.date_format(day.date, "D")
                self.stdout.write(f"  {day.date.isoformat()} {weekday}  {day.name}")
            if not listed:
                self.stdout.write("  " + _("none"))

    def _show_summary(self) -> None:
        for calendar_year in CalendarYear.objects.order_by("year").prefetch_related("days"):
            days = list(calendar_year.days.all())
            off = sum(1 for day in days if not day.is_working_day)
            on = len(days) - off
            state = _("official") if calendar_year.is_official else _("not official (provisional)")
            self.stdout.write(
                _("%(year)s  %(state)s, %(source)s: %(off)s holidays, %(on)s make-up working days")
                % {
                    "year": calendar_year.year,
                    "state": state,
                    "source": calendar_year.get_source_display(),
                    "off": off,
                    "on": on,
                }
            )

    def _seed(self, options: dict) -> None:
        years = [_parse_year(text) for text in options["years"]] if options["years"] else None
        try:
            result = services.seed_calendar_from_package(years=years)
        except DomainError as error:
            raise _bad_input(error.message) from None
        for year in result.changed:
            self.stdout.write(_("%(year)s: seeded from the package") % {"year": year})
        for year in result.kept_by_administrator:
            self.stdout.write(_("%(year)s: kept as entered by an administrator") % {"year": year})
        self.stdout.write(
            _("%(changed)s years seeded, %(unchanged)s already up to date, %(kept)s kept.")
            % {
                "changed": len(result.changed),
                "unchanged": len(result.unchanged),
                "kept": len(result.kept_by_administrator),
            }
        )
