from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    name = "aftersales.commitments"
    verbose_name = _("Service commitments")

    def ready(self) -> None:
        from aftersales.commitments.services import recompute_provisional_clocks
        from aftersales.core.services import register_calendar_listener

        # A newly entered official schedule moves the provisional working-day due dates.
        register_calendar_listener(recompute_provisional_clocks)
