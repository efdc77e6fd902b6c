from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "aftersales.tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # commitments never imports tickets: the escalation sweep reaches the ticket timeline
        # and the queue's due fields through these hooks.
        from aftersales.commitments import subjects
        from aftersales.tickets import services

        subjects.register(
            services.SUBJECT_TYPE,
            on_notices=services.record_clock_notices,
            on_clocks_changed=services.refresh_tickets_due,
        )
