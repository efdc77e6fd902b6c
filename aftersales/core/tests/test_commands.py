"""``aftersales calendar due|show|seed``: the answers on stdout, bad input as exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from aftersales.core.models import CalendarDay, CalendarYear
from aftersales.core.services import seed_calendar_from_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_seeded():
    seed_calendar_from_package()
    with translation.override("en"):
        yield


def run(*args: str) -> tuple[list[str], str]:
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


@pytest.mark.smoke
def test_due_prints_the_twentieth_working_day_first():
    lines, err = run("due", "--from", "2026-09-18", "--working-days", "20")
    assert lines == ["2026-10-22", "2026-10-22T23:59:59+08:00"]
    assert err == ""


@pytest.mark.parametrize(
    ("start", "expected"),
    [("2026-02-10", "2026-03-16"), ("2026-09-25", "2026-10-29"), ("2026-09-18T23:30", "2026-10-22")],
)
def test_due_counts_china_working_days_from_the_local_date(start, expected):
    lines, _err = run("due", "--from", start, "--working-days", "20")
    assert lines[0] == expected


def test_due_takes_an_aware_start_in_its_own_offset():
    # 16:30 UTC on the 17th is 00:30 on the 18th in Shanghai.
    lines, _err = run("due", "--from", "2026-09-17T16:30:00+00:00", "--working-days", "20")
    assert lines[0] == "2026-10-22"


def test_due_marks_a_deadline_in_a_year_without_an_official_schedule_provisional():
    lines, err = run("due", "--from", "2026-12-20", "--working-days", "20")
    assert lines == ["2027-01-15", "2027-01-15T23:59:59+08:00", "provisional"]
    assert "2027" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--from", "2026-09-18", "--hours", "4"), ["2026-09-18 04:00:00", "2026-09-18T04:00:00+08:00"]),
        (
            ("--from", "2026-09-30T22:00", "--hours", "4", "--minutes", "30"),
            ["2026-10-01 02:30:00", "2026-10-01T02:30:00+08:00"],
        ),
        (
            ("--from", "2026-10-01T12:00:00Z", "--minutes", "30"),
            ["2026-10-01 20:30:00", "2026-10-01T20:30:00+08:00"],
        ),
    ],
)
def test_due_in_hours_is_wall_clock_local_time(args, expected):
    lines, err = run("due", *args)
    assert lines == expected
    assert err == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-13-01", "--working-days", "20"), "2026-13-01"),
        (("--from", "yesterday", "--hours", "4"), "yesterday"),
        (("--from", "2026-09-18", "--working-days", "-1"), "--working-days"),
        (("--from", "2026-09-18", "--working-days", "twenty"), "twenty"),
        (("--from", "2026-09-18", "--working-days", "2.5"), "2.5"),
        (("--from", "2026-09-18", "--hours", "-4"), "--hours"),
        (("--from", "2026-09-18", "--working-days", "99999"), "99999"),
        (("--from", "2026-09-18", "--working-days", "20", "--hours", "4"), "either"),
        (("--from", "2026-09-18"), "either"),
        (("--from", "9999-12-30", "--working-days", "20"), "outside"),
    ],
)
def test_due_refuses_bad_input_with_exit_status_2(args, message):
    with pytest.raises(CommandError, match=message) as raised:
        run("due", *args)
    assert raised.value.returncode == 2


def test_show_lists_the_holidays_and_make_up_days_of_an_official_year():
    lines, _err = run("show", "--year", "2026")
    text = "\n".join(lines)
    assert lines[0] == "2026: official schedule (chinesecalendar package)."
    assert "2026-10-01 Thu  国庆节 / National Day" in text
    assert "2026-10-10 Sat  国庆节调休 / National Day make-up working day" in text
    holidays_at = lines.index("Holidays (weekdays off):")
    make_up_at = lines.index("Make-up working days (weekends on):")
    assert len(lines[make_up_at + 1 :]) == 6
    assert (
        make_up_at - holidays_at - 1
        == CalendarDay.objects.filter(date__year=2026, is_working_day=False).count()
    )


def test_show_says_when_a_year_is_not_official_yet():
    CalendarYear.objects.create(year=2027, is_official=False)
    lines, _err = run("show", "--year", "2027")
    assert lines[0].startswith("2027: not official yet")


def test_show_without_a_year_summarises_every_year():
    lines, _err = run("show")
    assert len(lines) == CalendarYear.objects.count()
    assert lines[-1].startswith("2026  official")


@pytest.mark.parametrize("year", ["2031", "twenty"])
def test_show_refuses_an_unknown_year_with_exit_status_2(year):
    with pytest.raises(CommandError, match=year) as raised:
        run("show", "--year", year)
    assert raised.value.returncode == 2


def test_seed_restores_the_package_schedule_and_is_idempotent():
    CalendarDay.objects.filter(date__year=2026).delete()
    lines, _err = run("seed")
    assert lines[0] == "2026: seeded from the package"
    assert CalendarDay.objects.filter(date__year=2026, is_working_day=True).count() == 6
    lines, _err = run("seed")
    assert lines == [f"0 years seeded, {CalendarYear.objects.count()} already up to date, 0 kept."]


def test_seed_refuses_a_year_the_package_does_not_know_and_changes_nothing():
    with pytest.raises(CommandError, match="2027") as raised:
        run("seed", "--year", "2027")
    assert raised.value.returncode == 2
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_the_aftersales_command_exits_2_with_the_reason_on_stderr():
    aftersales = Path(sys.executable).parent / "aftersales"
    completed = subprocess.run(
        [str(aftersales), "calendar", "due", "--from", "2026-13-01", "--working-days", "20"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AFTERSALES_LANGUAGE": "en"},
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "2026-13-01" in completed.stderr
    assert "Traceback" not in completed.stderr
