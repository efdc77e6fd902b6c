"""``aftersales sweep_clocks``: one escalation sweep by hand (the worker runs it every minute)."""

from django.core.management.base import BaseCommand

from aftersales.commitments.services import sweep


class Command(BaseCommand):
    help = "Warn before and escalate at breach every due promise, once."

    def handle(self, *args, **options) -> None:
        result = sweep()
        self.stdout.write(
            f"warnings: {result.warnings}  breaches: {result.breaches}  leadership: {result.leadership}"
        )
