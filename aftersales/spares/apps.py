from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SparesConfig(AppConfig):
    name = "aftersales.spares"
    verbose_name = _("Spare units, parts and loans")

    def ready(self) -> None:
        # tickets never imports spares: a loan still out keeps its ticket from closing through this guard.
        from aftersales.spares.services import loans_blocking_close
        from aftersales.tickets.guards import register_close_guard

        register_close_guard("spares", loans_blocking_close)
