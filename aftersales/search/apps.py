from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "aftersales.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from aftersales.tickets.models import TicketEvent

        # The index is derived data, not domain flow: every ticket change writes a timeline
        # event, so a saved event schedules the ticket's reindex once the change commits.
        # The tickets app never imports search; the every-minute catch-up covers anything
        # written in bulk (which sends no signal).
        post_save.connect(_reindex_after_commit, sender=TicketEvent, dispatch_uid="search-reindex")


def _reindex_after_commit(sender, instance, created: bool, **kwargs) -> None:
    from django.db import transaction

    from aftersales.search.tasks import reindex_ticket

    if created:
        ticket_id = instance.ticket_id
        transaction.on_commit(lambda: reindex_ticket(ticket_id), robust=True)
