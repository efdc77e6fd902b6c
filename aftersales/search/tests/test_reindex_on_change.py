"""A change to a ticket makes it findable as soon as the change commits."""

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.search.queries import search_tickets
from aftersales.tickets import services
from aftersales.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_a_reply_is_findable_right_after_it_commits(django_capture_on_commit_callbacks):
    specialist = UserFactory(username="specialist", role=Role.SPECIALIST)
    ticket = TicketFactory(status="in_progress", title="Printer jam")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_to_customer(ticket=ticket, by=specialist, body="已更换电源模块，请观察")
    assert [hit.ticket.number for hit in search_tickets(specialist, "电源").hits] == [ticket.number]
