from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "aftersales.repairs"
    verbose_name = _("Return-to-factory repairs")

    def ready(self) -> None:
        # commitments and fees never import repairs: the escalation sweep reaches the repair's
        # timeline and due fields, and a customer's quote decision reaches the repair, through hooks.
        from aftersales.commitments import subjects
        from aftersales.fees import hooks as quote_hooks
        from aftersales.repairs import services

        subjects.register(
            services.SUBJECT_TYPE,
            on_notices=services.record_clock_notices,
            on_clocks_changed=services.refresh_repairs_due,
        )
        quote_hooks.register(services.SUBJECT_TYPE, on_decided=services.record_quote_decision)
        # Parts fitted come out of the centre's spare-parts stock (spares sits below repairs).
        services.set_part_consumer(services.consume_centre_stock)
