"""``aftersales mail``: e-mail intake by hand or from the mail server.

* ``mail fetch``: one pass over every active mailbox (what the worker does every
  minute), then the processing of whatever is stored and pending.
* ``mail ingest FILE... | -``: raw RFC 5322 messages from files or standard
  input (an MTA pipes into it). One JSON line per message::

      {"file": "a.eml", "message_id": "<…>", "outcome": "new_ticket",
       "ticket": "SR-2026-000123", "reason": ""}

  ``outcome`` is new_ticket, appended, auto_reply, bounce, duplicate or
  quarantined; ``ticket`` is the ticket the message opened or was recorded on
  (null when none). Exit status 0 once every message is stored, whatever
  became of it; 2 for a path that cannot be read (nothing is stored then);
  75 (EX_TEMPFAIL, so the MTA retries) when the database refused to store.
* ``mail process``: process stored messages still waiting (after a crash).
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from aftersales.intake.models import InboundMessage
from aftersales.intake.services import (
    fetch_all_mailboxes,
    process_message,
    process_pending,
    store_piped_message,
)

BAD_INPUT = 2
TEMPORARY_FAILURE = 75


def result_line(file: str, message: InboundMessage) -> dict:
    """The JSON line for one message; ``ticket`` only where the message was recorded on a ticket."""
    recorded = message.status == InboundMessage.Status.PROCESSED and message.ticket is not None
    return {
        "file": file,
        "message_id": message.message_id or None,
        "outcome": message.outcome,
        "ticket": message.ticket.number if recorded else None,
        "reason": message.reason,
    }


class Command(BaseCommand):
    help = "E-mail intake: fetch the mailboxes, ingest raw messages, process what is waiting."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("fetch", help="One pass over every active mailbox, then process.")
        ingest = commands.add_parser("ingest", help="Ingest raw messages from files, or - for stdin.")
        ingest.add_argument("files", nargs="+", metavar="FILE")
        commands.add_parser("process", help="Process stored messages still waiting.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "fetch":
            self._fetch()
        elif action == "ingest":
            self._ingest(options["files"])
        else:
            done = process_pending()
            self.stdout.write(_("Processed %(count)s waiting message(s).") % {"count": len(done)})

    def _fetch(self) -> None:
        reports = fetch_all_mailboxes()
        failed = False
        for report in reports:
            if report.error:
                failed = True
                self.stderr.write(f"{report.mailbox.name}: {report.error}")
            else:
                self.stdout.write(
                    _("%(mailbox)s: %(stored)s new message(s) stored.")
                    % {"mailbox": report.mailbox.name, "stored": report.stored}
                )
        if not reports:
            self.stdout.write(_("No active mailbox is configured (admin → Mail intake → Mailboxes)."))
        if failed:
            raise CommandError(_("Some mailboxes could not be read."), returncode=1)

    def _ingest(self, files: list[str]) -> None:
        contents = []
        for name in files:
            try:
                if name == "-":
                    contents.append(("-", sys.stdin.buffer.read()))
                else:
                    with open(name, "rb") as handle:
                        contents.append((name, handle.read()))
            except OSError as error:
                raise CommandError(
                    _("Cannot read %(file)s: %(error)s") % {"file": name, "error": error.strerror or error},
                    returncode=BAD_INPUT,
                ) from None
        for name, raw in contents:
            try:
                message = store_piped_message(raw=raw, source_name=name)
            except DatabaseError as error:
                raise CommandError(
                    _("Could not store %(file)s: %(error)s") % {"file": name, "error": error},
                    returncode=TEMPORARY_FAILURE,
                ) from None
            try:
                message = process_message(message=message)
            except DatabaseError as error:
                # Stored is what the MTA needs to hear; the worker's next pass processes it.
                line = result_line(name, message) | {"outcome": None, "reason": str(error)}
            else:
                line = result_line(name, message)
            self.stdout.write(json.dumps(line, ensure_ascii=False))
