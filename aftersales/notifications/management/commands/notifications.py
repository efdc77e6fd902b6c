"""``aftersales notifications deliver``: one delivery pass by hand (the worker runs one every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from aftersales.notifications.services import deliver_due_messages


class Command(BaseCommand):
    help = _(
        "Outbox upkeep. 'deliver' sends every due e-mail, robot and SMS message once "
        "(what the worker does every minute), retrying failures with back-off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{deliver}")
        subcommands.add_parser("deliver", help=_("Send the due messages of the outbox once."))

    def handle(self, *args, **options) -> None:
        result = deliver_due_messages()
        self.stdout.write(
            _("notifications: %(sent)s sent, %(retrying)s to retry, %(failed)s failed, %(paged)s pages")
            % {
                "sent": result.sent,
                "retrying": result.retrying,
                "failed": result.failed,
                "paged": result.paged,
            }
        )
