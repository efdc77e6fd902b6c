"""``aftersales report year-end``: one PDF per customer, file names printed, errors with exit code 2."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftersales.reports.management.commands.report import Command
from aftersales.reports.models import YearEndReport
from aftersales.reports.tests.yearend_fixture import build_year

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_pdf_per_customer_with_activity_and_their_names_printed(tmp_path):
    build_year()
    folder = tmp_path / "out"

    out, _err = run("year-end", "--year", "2026", "--output-dir", str(folder))

    names = sorted(Path(line).name for line in out.splitlines())
    assert names == [
        "year-end-bank-2026-zh-hans.pdf",
        "year-end-bank-wz-2026-zh-hans.pdf",
        "year-end-insurer-2026-zh-hans.pdf",
    ]
    assert all((folder / name).read_bytes().startswith(b"%PDF") for name in names)
    assert not YearEndReport.objects.exists()  # the command writes files; the archive is untouched


def test_one_customer_in_english(tmp_path):
    build_year()

    out, _err = run(
        "year-end", "--year", "2026", "--output-dir", str(tmp_path), "--customer", "bank", "--language", "en"
    )

    assert out.strip() == str(tmp_path / "year-end-bank-2026-en.pdf")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer", "nobody"], "unknown customer"),
        (["--year", "1999"], "--year must be between"),
        (["--year", "2999"], "--year must be between"),
    ],
)
def test_errors_are_command_errors_with_exit_code_2(tmp_path, args, message):
    base = {"--year": "2026", "--output-dir": str(tmp_path)}
    extra = dict(zip(args[::2], args[1::2], strict=True))
    argv = [item for pair in {**base, **extra}.items() for item in pair]

    with pytest.raises(CommandError, match=message) as raised:
        run("year-end", *argv)
    assert raised.value.returncode == 2


def test_an_unwritable_folder_is_refused(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    with pytest.raises(CommandError, match="cannot write") as raised:
        run("year-end", "--year", "2026", "--output-dir", str(blocker / "sub"))
    assert raised.value.returncode == 2


def test_the_process_exits_with_code_2_and_says_why_on_stderr(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(
            [
                "aftersales",
                "report",
                "year-end",
                "--year",
                "2026",
                "--output-dir",
                str(tmp_path),
                "--customer",
                "nobody",
            ]
        )

    assert exited.value.code == 2
    assert "unknown customer 'nobody'" in capsys.readouterr().err


def test_the_automatic_run_by_hand_archives_the_years_reports():
    build_year()

    out, _err = run("year-end-run", "--year", "2026")

    assert len(out.splitlines()) == 4
    assert YearEndReport.objects.filter(is_automatic=True).count() == 4
    out_again, _err = run("year-end-run", "--year", "2026")
    assert YearEndReport.objects.count() == 4 and len(out_again.splitlines()) == 4
