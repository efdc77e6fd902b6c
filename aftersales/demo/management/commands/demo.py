"""``aftersales demo``: load the demo vendor, its customers and tickets; print the logins.

``--if-empty`` (what ``make run`` uses) loads nothing when the database already
has users. ``--tickets N`` adds N synthetic tickets in bulk (loading the demo
first if the database is empty), for load tests and benchmarks.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.demo.organisation import DEMO_LOGINS, DEMO_PASSWORD
from aftersales.demo.progress import ProgressBar
from aftersales.demo.scenario import DEFAULT_SEED, build_demo, has_users
from aftersales.demo.synthetic_tickets import add_synthetic_tickets


class Command(BaseCommand):
    help = "Load the demo data (a vendor, 20 customers, ~200 units, ~300 tickets) and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the logins) when the database already has users.",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=0,
            metavar="N",
            help="Also add N synthetic tickets with bulk inserts (e.g. 1000000 for load tests).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Seed of the random choices; the same seed gives the same demo (default {DEFAULT_SEED}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["tickets"]
        if count < 0:
            raise CommandError(_("--tickets must be zero or more."))
        now = timezone.now()
        if has_users():
            if not count and not options["if_empty"]:
                raise CommandError(
                    _(
                        "The database already has users: the demo loads only into an empty database. "
                        "Use --if-empty to skip quietly, or --tickets N to add synthetic tickets."
                    )
                )
            if not count:
                self.stdout.write(_("The database already has users: no demo data loaded."))
                self._print_logins()
                return
        else:
            self.stdout.write(_("Loading the demo data (seed %(seed)s)…") % {"seed": options["seed"]})
            self.stdout.flush()
            summary = build_demo(seed=options["seed"], now=now)
            self.stdout.write(
                _(
                    "Loaded %(centres)s service centres, %(customers)s customers, %(units)s units "
                    "and %(tickets)s tickets."
                )
                % summary.__dict__
            )
            for line in summary.areas:
                self.stdout.write(f"  {line}")
        if count:
            # The raw stream: Django's wrapper would end each redraw with a newline and colour
            # the bar as an error.
            progress = ProgressBar(count, label=_("tickets"), stream=self.stderr._out)
            try:
                written = add_synthetic_tickets(count=count, seed=options["seed"], now=now, progress=progress)
            except DomainError as error:
                raise CommandError(error.message) from error
            progress.finish()
            self.stdout.write(
                _(
                    "Added %(count)s synthetic tickets. The worker's search catch-up indexes them; "
                    "`aftersales search reindex --all` does it at once."
                )
                % {"count": f"{written:,}"}
            )
        self._print_logins()

    def _print_logins(self) -> None:
        width = max(len(login.username) for login in DEMO_LOGINS) + 2
        self.stdout.write("")
        self.stdout.write(_("Aftersales: %(url)s") % {"url": _site_url()})
        self.stdout.write(_("Demo logins (password: %(password)s)") % {"password": DEMO_PASSWORD})
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<{width}}{login.name} — {login.description}")
        self.stdout.write("")


def _site_url() -> str:
    """The address ``make run`` serves on: ``AFTERSALES_SITE_URL``, else the local ``PORT``."""
    if os.environ.get("AFTERSALES_SITE_URL"):
        return settings.AFTERSALES["SITE_URL"]
    return f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/"
