"""Finding tickets: by number, serial or phone directly, and by their words through the index."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from aftersales.customers.models import Contact, normalise_phone
from aftersales.search.models import FTS_TABLE, SearchDocument
from aftersales.search.segmentation import query_terms
from aftersales.tickets.models import Ticket
from aftersales.tickets.queries import tickets_visible_to

if TYPE_CHECKING:
    from aftersales.accounts.models import User

MAX_QUERY_CHARS = 200
# SR-2026-000123: a prefix, the year, the sequence (see core.numbering).
_TICKET_NUMBER = re.compile(r"^[A-Z]{1,8}-\d{4}-\d{1,12}$")
# The sequence part alone, as people read it out: "000123", "123".
_SEQUENCE = re.compile(r"^\d{1,12}$")
SEQUENCE_DIGITS = 6
_SERIAL = re.compile(r"^(?=.*\d)[0-9A-Za-z][0-9A-Za-z._/-]{2,63}$")
# What a phone number is typed with: digits, +, separators, an extension word.
_PHONE = re.compile(r"^[\d\s+\-—().（）]+(?:(?:转|分机|ext\.?|x|#)\s*\d+)?$", re.IGNORECASE)
MIN_PHONE_DIGITS = 7
# Prefix matching for Latin words and numbers (a serial's beginning) from this length on;
# shorter prefixes match too much of the index to be worth their cost.
MIN_PREFIX_CHARS = 3


@dataclass(frozen=True)
class SearchHit:
    """One ticket found; ``is_direct`` when the query named it (number, serial, phone)."""

    ticket: Ticket
    is_direct: bool
    text: str


@dataclass(frozen=True)
class SearchResults:
    query: str
    terms: list[str] = field(default_factory=list)
    hits: list[SearchHit] = field(default_factory=list)


@dataclass(frozen=True)
class _Word:
    """A word the document must contain, or one of ``alternatives`` instead."""

    text: str
    prefix: bool
    alternatives: tuple[str, ...] = ()


def _clean(query: str) -> str:
    return " ".join((query or "").split())[:MAX_QUERY_CHARS]


def exact_ticket_number(user: User, query: str) -> str | None:
    """The number of the ticket ``query`` names exactly, if ``user`` may see it."""
    text = _clean(query).upper()
    if not _TICKET_NUMBER.match(text):
        return None
    return tickets_visible_to(user).filter(number=text).values_list("number", flat=True).first()


def _phone(text: str) -> str:
    """The normalised number when the query is a phone number, else ''."""
    if not _PHONE.match(text):
        return ""
    number = normalise_phone(text)
    return number if len(number) >= MIN_PHONE_DIGITS else ""


def _words(text: str, phone: str) -> list[_Word]:
    if phone:
        return [_Word(phone, prefix=False)]
    if _TICKET_NUMBER.match(text.upper()):
        # Its prefix and year are in every ticket's words; the sequence alone is what is rare.
        return [_Word(text.rsplit("-", 1)[1], prefix=False)]
    if _SEQUENCE.match(text) and len(text) < SEQUENCE_DIGITS:
        # "123" is also the sequence of SR-2026-000123, which the index holds as 000123.
        return [
            _Word(text, prefix=len(text) >= MIN_PREFIX_CHARS, alternatives=(text.zfill(SEQUENCE_DIGITS),))
        ]
    return [
        _Word(term, prefix=term.isascii() and len(term) >= MIN_PREFIX_CHARS) for term in query_terms(text)
    ]


def _direct_ids(visible: QuerySet[Ticket], text: str, phone: str, limit: int) -> list[int]:
    """Tickets the query names: by number, by the serial of their unit, by a contact's phone."""
    found: list[int] = []
    newest_first = visible.order_by("-reported_at").values_list("pk", flat=True)
    if _TICKET_NUMBER.match(text.upper()):
        found += newest_first.filter(number=text.upper())[:1]
    if _SERIAL.match(text):
        found += newest_first.filter(unit__serial__in={text, text.upper()})[:limit]
    if phone:
        contacts = Contact.objects.filter(Q(phone_normalised=phone) | Q(mobile_normalised=phone)).values("pk")
        found += newest_first.filter(Q(reporter__in=contacts) | Q(onsite_contact__in=contacts))[:limit]
    return list(dict.fromkeys(found))[:limit]


def _visibility(visible: QuerySet[Ticket], ticket_id_sql: str) -> tuple[str, list] | None:
    """The visibility rule as an SQL ``EXISTS`` on one matched ticket; None when the user sees all.

    Checked per matched document (a primary-key lookup each) rather than as
    ``IN (every visible ticket)``: a centre may see half of all tickets, and
    building that set costs more than checking the matches. Raises
    ``EmptyResultSet`` when the user sees no ticket at all.
    """
    if not visible.query.has_filters():
        return None
    matched = RawSQL(ticket_id_sql, (), output_field=BigIntegerField())
    sql, params = visible.order_by().filter(pk=matched).values("pk").query.sql_with_params()
    return f"EXISTS ({sql})", list(params)


def _fts5_match(words: list[_Word]) -> str:
    """An FTS5 query: every word, each as a quoted phrase (the words hold only letters and digits)."""
    clauses = []
    for word in words:
        options = [f'"{word.text}"' + ("*" if word.prefix else "")]
        options += [f'"{alternative}"' for alternative in word.alternatives]
        clauses.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return " AND ".join(clauses)


def _tsquery(words: list[_Word]) -> str:
    """A PostgreSQL tsquery (raw syntax) with the same meaning as ``_fts5_match``."""
    clauses = []
    for word in words:
        options = [f"'{word.text}'" + (":*" if word.prefix else "")]
        options += [f"'{alternative}'" for alternative in word.alternatives]
        clauses.append(options[0] if len(options) == 1 else "(" + " | ".join(options) + ")")
    return " & ".join(clauses)


def _ranked_ids(visible: QuerySet[Ticket], words: list[_Word], limit: int) -> list[int]:
    """The best-matching visible tickets' ids, best first (BM25 on SQLite, ts_rank on PostgreSQL)."""
    if connection.vendor == "postgresql":
        query = SearchQuery(_tsquery(words), config="simple", search_type="raw")
        documents = SearchDocument.objects.filter(vector=query)
        if visible.query.has_filters():
            documents = documents.filter(Exists(visible.order_by().filter(pk=OuterRef("ticket_id"))))
        return list(
            documents.annotate(rank=SearchRank(F("vector"), query))
            .order_by("-rank", "-ticket_id")
            .values_list("ticket_id", flat=True)[:limit]
        )
    try:
        visibility = _visibility(visible, "d.ticket_id")
    except EmptyResultSet:
        return []
    documents_table = SearchDocument._meta.db_table
    sql = (
        f"SELECT d.ticket_id FROM {FTS_TABLE} JOIN {documents_table} d ON d.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH %s"
    )
    params: list = [_fts5_match(words)]
    if visibility is not None:
        sql += f" AND {visibility[0]}"
        params += visibility[1]
    sql += f" ORDER BY {FTS_TABLE}.rank LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _is_named_by_sequence(ticket: Ticket, text: str) -> bool:
    return bool(_SEQUENCE.match(text)) and ticket.number.endswith("-" + text.zfill(SEQUENCE_DIGITS))


def search_tickets(user: User, query: str, *, limit: int = 50) -> SearchResults:
    """The tickets ``user`` may see that match ``query``, best first, at most ``limit``.

    Tickets the query names directly (their number, their unit's serial, a
    contact's phone number, or a number's sequence part like ``000123``) come
    first; then tickets whose words contain every word of the query, Chinese
    two-character words included, by relevance.
    """
    text = _clean(query)
    if not text:
        return SearchResults(query=text)
    phone = _phone(text)
    words = _words(text, phone)
    visible = tickets_visible_to(user)
    direct = _direct_ids(visible, text, phone, limit)
    ranked = _ranked_ids(visible, words, limit + len(direct)) if words else []
    ids = list(dict.fromkeys(direct + ranked))[:limit]
    tickets = {
        ticket.pk: ticket
        for ticket in Ticket.objects.filter(pk__in=ids)
        .select_related("customer", "search_document")
        .only("number", "title", "status", "reported_at", "customer__name", "search_document__text")
    }
    hits = []
    for pk in ids:
        ticket = tickets.get(pk)
        if ticket is None:
            continue
        document = getattr(ticket, "search_document", None)
        hits.append(
            SearchHit(
                ticket=ticket,
                is_direct=pk in direct or _is_named_by_sequence(ticket, text),
                text=document.text if document is not None else "",
            )
        )
    hits.sort(key=lambda hit: not hit.is_direct)  # stable: keeps the rank within each group
    return SearchResults(query=text, terms=[w.text for w in words if not phone], hits=hits)
