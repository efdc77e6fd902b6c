"""``aftersales inspections generate|remind``: the periodic inspection work, by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aftersales.inspections.services import (
    MAX_HORIZON_DAYS,
    generate_inspection_visits,
    send_inspection_reminders,
)


class Command(BaseCommand):
    help = "Generate inspection visits from the plans, or send the reminders and overdue notices."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate", help="Create the visits due up to each plan's horizon.")
        generate.add_argument("--horizon-days", type=int, default=None, help="Override every plan's horizon.")
        sub.add_parser("remind", help="Queue the reminders and overdue notices (each once).")

    def handle(self, *args, action: str, **options) -> None:
        if action == "generate":
            horizon = options.get("horizon_days")
            if horizon is not None and not 0 <= horizon <= MAX_HORIZON_DAYS:
                raise CommandError(f"--horizon-days must be between 0 and {MAX_HORIZON_DAYS}")
            visits = generate_inspection_visits(horizon_days=horizon)
            for visit in visits:
                self.stdout.write(f"{visit.number} {visit.due_on} {visit.customer.name}")
            self.stdout.write(self.style.SUCCESS(f"Generated {len(visits)} visit(s)."))
        else:
            count = send_inspection_reminders()
            self.stdout.write(self.style.SUCCESS(f"Looked at {count} visit(s) due soon or overdue."))
