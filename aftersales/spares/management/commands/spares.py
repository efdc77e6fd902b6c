"""``aftersales spares propose-loans`` / ``chase-overdue``: the periodic spares work, by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from aftersales.spares.services import chase_overdue_loans, propose_loans


class Command(BaseCommand):
    help = "Propose loans for severe faults not restored in time, or chase overdue loans."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["propose-loans", "chase-overdue"])

    def handle(self, *args, **options) -> None:
        if options["action"] == "propose-loans":
            proposals = propose_loans()
            for proposal in proposals:
                self.stdout.write(proposal.ticket.number)
            self.stdout.write(self.style.SUCCESS(f"Proposed {len(proposals)} loan(s)."))
        else:
            loans = chase_overdue_loans()
            for loan in loans:
                self.stdout.write(loan.number)
            self.stdout.write(self.style.SUCCESS(f"Chased {len(loans)} overdue loan(s)."))
