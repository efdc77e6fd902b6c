"""``aftersales report year-end --year 2026 --output-dir DIR [--customer CODE] [--language zh-hans|en]``.

Writes one year-end report PDF per customer with activity in the year (or the one customer
asked for) and prints each file's name; the archive is not touched. ``aftersales report
year-end-run [--year 2026]`` is the automatic run by hand: archive and send the past year's
reports (idempotent). Errors go to stderr with exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from aftersales.core.business_time import local_date
from aftersales.customers.models import Customer
from aftersales.reports import services, yearend
from aftersales.reports.yearend_pdf import render_year_end_pdf

MIN_YEAR = 2000


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "Reports from the command line: the year-end report of every customer, or of one."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        write = actions.add_parser("year-end", help="Write year-end report PDFs to a folder.")
        write.add_argument("--year", type=int, required=True)
        write.add_argument("--output-dir", required=True)
        write.add_argument("--customer", default="", help="One customer's code (default: all with activity).")
        write.add_argument("--language", default=services.DEFAULT_LANGUAGE, choices=services.LANGUAGE_CODES)
        run = actions.add_parser(
            "year-end-run", help="Archive and send the past year's reports (idempotent)."
        )
        run.add_argument("--year", type=int, default=None, help="Default: last year.")

    def _year(self, year: int) -> int:
        current = local_date(timezone.now()).year
        if not MIN_YEAR <= year <= current:
            raise _fail(f"--year must be between {MIN_YEAR} and {current}, not {year}")
        return year

    def _customers(self, code: str, start, end) -> list[Customer]:
        if code:
            customer = Customer.objects.filter(code=code).first()
            if customer is None:
                raise _fail(f"unknown customer {code!r}")
            return [customer]
        return list(yearend.customers_with_activity(start, end))

    def handle(self, *args, **options) -> None:
        if options["action"] == "year-end-run":
            year = self._year(options["year"] or local_date(timezone.now()).year - 1)
            for report in services.run_year_end_reports(year=year):
                self.stdout.write(
                    f"{report.customer.code} {report.language} v{report.version} {report.file.name}"
                )
            return
        year = self._year(options["year"])
        start, end = yearend.year_bounds(year)
        language = options["language"]
        folder = Path(options["output_dir"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".aftersales-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise _fail(f"cannot write to {folder}: {error.strerror or error}") from None
        now = timezone.now()
        for customer in self._customers(options["customer"], start, end):
            with translation.override(language):
                figures = yearend.year_end_figures(customer, start=start, end=end)
            data = render_year_end_pdf(figures, language=language, generated_at=now)
            path = folder / f"year-end-{customer.code}-{year}-{language}.pdf"
            try:
                path.write_bytes(data)
            except OSError as error:
                raise _fail(f"cannot write {path}: {error.strerror or error}") from None
            self.stdout.write(str(path))
