"""Keeping the index current: rebuilding a ticket's document and catching up on missed changes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aftersales.search.models import SearchDocument
from aftersales.search.queries import search_tickets
from aftersales.search.services import index_ticket, rebuild_search_index, reindex_changed_tickets
from aftersales.search.tasks import reindex_ticket
from aftersales.tickets.models import TicketEvent
from aftersales.tickets.tests.factories import HandlingReportFactory, TicketEventFactory, TicketFactory


def _numbers(user, query):
    return [hit.ticket.number for hit in search_tickets(user, query).hits]


def test_a_reply_becomes_findable_when_its_ticket_is_reindexed(cast):
    ticket = TicketFactory(title="密码机告警")
    index_ticket(ticket_id=ticket.pk)
    TicketEventFactory(ticket=ticket, kind=TicketEvent.Kind.REPLY, is_public=True, body="已寄出备用风扇模块")

    assert _numbers(cast.specialist, "风扇") == []
    reindex_ticket(ticket.pk)
    assert _numbers(cast.specialist, "风扇") == [ticket.number]


def test_internal_notes_and_handling_reports_are_findable(cast):
    ticket = TicketFactory(title="密码机告警")
    TicketEventFactory(ticket=ticket, kind=TicketEvent.Kind.NOTE, body="疑似电源老化")
    HandlingReportFactory(ticket=ticket, diagnosis="背板接触不良", actions_taken="重新插拔")
    index_ticket(ticket_id=ticket.pk)

    assert _numbers(cast.specialist, "电源") == [ticket.number]
    assert _numbers(cast.specialist, "背板") == [ticket.number]


def test_the_catch_up_rebuilds_only_the_documents_behind_their_tickets(cast):
    now = timezone.now()
    replied, untouched = TicketFactory(title="密码机告警"), TicketFactory(title="签名服务器告警")
    never_indexed = TicketFactory(title="风扇噪音")
    for ticket in (replied, untouched):
        index_ticket(ticket_id=ticket.pk, now=now - timedelta(hours=1))
    TicketEventFactory(ticket=replied, body="更换风扇后恢复")

    assert reindex_changed_tickets(since=now) == 2
    assert set(_numbers(cast.specialist, "风扇")) == {replied.number, never_indexed.number}
    assert reindex_changed_tickets(since=now) == 0
    assert SearchDocument.objects.get(ticket=untouched).indexed_at == now - timedelta(hours=1)


def test_the_catch_up_finds_a_ticket_saved_again_after_its_document_was_built(cast):
    ticket = TicketFactory(title="密码机告警")
    index_ticket(ticket_id=ticket.pk)
    ticket.title = "主板故障"
    ticket.save(update_fields=["title", "updated_at"])

    assert reindex_changed_tickets(since=timezone.now() - timedelta(minutes=5)) == 1
    assert _numbers(cast.specialist, "主板") == [ticket.number]


def test_rebuilding_the_whole_index_builds_one_document_per_ticket(cast):
    tickets = TicketFactory.create_batch(3, title="主板故障")
    index_ticket(ticket_id=tickets[0].pk)

    assert rebuild_search_index(batch_size=2) == 3
    assert SearchDocument.objects.count() == 3
    assert len(_numbers(cast.specialist, "主板")) == 3


def test_a_deleted_tickets_document_goes_with_it(cast):
    ticket = TicketFactory(title="主板故障")
    index_ticket(ticket_id=ticket.pk)
    ticket.delete()

    assert SearchDocument.objects.count() == 0
    assert _numbers(cast.specialist, "主板") == []
    assert index_ticket(ticket_id=ticket.pk) is None
