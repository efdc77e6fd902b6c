"""The search index: one document per ticket, its words cut for full-text search."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.tickets.models import Ticket

# SQLite keeps the words in this FTS5 table (unicode61 tokenizer); triggers on the documents
# table keep it in step (see migration 0001). PostgreSQL uses ``SearchDocument.vector``.
FTS_TABLE = "search_document_fts"


class SearchDocument(models.Model):
    """What a ticket says, in words a staff member can search for.

    ``text`` is the ticket's own wording (for result snippets); ``segmented``
    is the same with its number, customer, unit and contact numbers, cut into
    words by jieba and space-joined. On PostgreSQL ``vector`` holds
    ``to_tsvector('simple', segmented)`` under a GIN index; on SQLite an FTS5
    table mirrors ``segmented``. ``ticket_updated_at`` and ``last_event_id``
    record which state of the ticket the document was built from, so a
    catch-up can tell a stale document without rebuilding it.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="search_document", verbose_name=_("ticket")
    )
    text = models.TextField(_("text"))
    segmented = models.TextField(_("words"))
    vector = SearchVectorField(null=True, editable=False)
    ticket_updated_at = models.DateTimeField(_("ticket changed at"))
    last_event_id = models.BigIntegerField(_("latest event"), default=0, db_index=True)
    indexed_at = models.DateTimeField(_("indexed at"), db_index=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        indexes = [
            # PostgreSQL only: the migration skips it elsewhere (SQLite searches its FTS5 table).
            GinIndex(fields=["vector"], name="search_document_vector"),
        ]

    def __str__(self) -> str:
        return str(self.ticket_id)
