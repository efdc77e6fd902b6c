"""``aftersales search reindex [--all]``: catch up the search index, or rebuild all of it."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.search.services import rebuild_search_index, reindex_changed_tickets

# By hand, look further back than the worker's every-minute catch-up does.
MANUAL_CATCH_UP_WINDOW = timedelta(days=1)


class Command(BaseCommand):
    help = _(
        "Search index upkeep. 'reindex' rebuilds the documents that are behind their tickets "
        "(what the worker does every minute); 'reindex --all' rebuilds every ticket's document."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{reindex}")
        reindex = subcommands.add_parser("reindex", help=_("Bring the search index up to date."))
        reindex.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help=_("Rebuild every ticket's document (a new installation, a restored backup)."),
        )

    def handle(self, *args, **options) -> None:
        if options["everything"]:
            built = rebuild_search_index(progress=self._progress if options["verbosity"] > 1 else None)
            self.stdout.write(_("search: %(count)s documents built") % {"count": built})
            return
        rebuilt = reindex_changed_tickets(since=timezone.now() - MANUAL_CATCH_UP_WINDOW)
        self.stdout.write(_("search: %(count)s stale documents rebuilt") % {"count": rebuilt})

    def _progress(self, built: int) -> None:
        self.stdout.write(_("search: %(count)s documents built so far") % {"count": built})
        self.stdout.flush()
