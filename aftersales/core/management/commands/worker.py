"""``aftersales worker``: the Huey task consumer alone, for deployments.

Run as many as the load needs, on as many machines as needed, all on the same
Redis (``REDIS_URL``): the periodic tasks (the SLA sweep every minute, mail
intake, deliveries) are idempotent, so several consumers never double a
notice. On the embedded SQLite set-up run exactly one (``serve --with-worker``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Run the task consumer (Huey) that executes background and periodic tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            help="Worker threads of this consumer (default: $HUEY_WORKERS or 2).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.HUEY.get("immediate"):
            # Immediate mode runs tasks inline in the web process and never runs periodic
            # ones; a consumer beside it would wait on an empty in-memory queue forever.
            raise CommandError(_("HUEY_IMMEDIATE is on: there is no queue to consume. Unset it."))
        consumer_options: dict[str, Any] = {}
        if options["workers"] is not None:
            if options["workers"] < 1:
                raise CommandError(_("--workers must be at least 1."))
            consumer_options["workers"] = options["workers"]
        self.stdout.write(_("Aftersales: task consumer starting on %(storage)s") % {"storage": _storage()})
        self.stdout.flush()
        # run_huey gives the "huey" logger a handler of its own; stop it also reaching the root
        # handler of LOGGING, which would print every line twice.
        logging.getLogger("huey").propagate = False
        call_command("run_huey", **consumer_options)


def _storage() -> str:
    """Where the queue lives, without the password a Redis URL may carry."""
    if "url" in settings.HUEY:
        return "Redis"
    return settings.HUEY.get("filename", "SQLite")
