"""Two workers at once (PostgreSQL): a stored message is processed once, a double delivery once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from aftersales.intake import services
from aftersales.intake.models import InboundMessage
from aftersales.intake.tests.conftest import NOW, eml
from aftersales.tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(work, arguments) -> None:
    barrier = threading.Barrier(len(arguments))

    def run(argument):
        try:
            barrier.wait()
            work(argument)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two workers on separate connections")


def test_two_workers_processing_the_same_stored_message_open_one_ticket(bank):
    stored = services.store_piped_message(raw=eml("big5.eml"), now=NOW)

    _at_once(lambda _: services.process_message(message=stored, now=NOW), [1, 2])

    message = InboundMessage.objects.get()
    assert message.outcome == InboundMessage.Outcome.NEW_TICKET
    # Each worker counts its attempt before taking the lock to handle it, so the count is 1 or 2
    # depending on timing; what matters is that only one of them handled the message.
    assert message.attempts in (1, 2)
    assert Ticket.objects.count() == 2  # the bank's ticket and this one


def test_a_message_delivered_twice_and_processed_at_once_opens_one_ticket(bank):
    copies = [services.store_piped_message(raw=eml("big5.eml"), now=NOW) for _ in range(2)]

    _at_once(lambda message: services.process_message(message=message, now=NOW), copies)

    outcomes = sorted(InboundMessage.objects.values_list("outcome", flat=True))
    assert outcomes == [InboundMessage.Outcome.DUPLICATE, InboundMessage.Outcome.NEW_TICKET]
    assert Ticket.objects.count() == 2
