"""``aftersales close_silent_tickets``: the auto-close sweep, by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from aftersales.tickets.services import auto_close_silent_tickets


class Command(BaseCommand):
    help = "Close resolved tickets whose customer stayed silent for the configured days."

    def handle(self, *args, **options) -> None:
        closed = auto_close_silent_tickets()
        for ticket in closed:
            self.stdout.write(ticket.number)
        self.stdout.write(self.style.SUCCESS(f"Closed {len(closed)} silent ticket(s)."))
