"""Close guards: another area keeps a ticket from closing; a manager may override with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.core.errors import InvalidTransition, NotPermitted
from aftersales.tickets import guards, services
from aftersales.tickets.models import Status, TicketEvent
from aftersales.tickets.tests.factories import REPORTED_AT, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(db):
    """A guard that objects to every ticket whose title says so."""

    def guard(ticket):
        if "held" not in ticket.title:
            return []
        return [guards.CloseBlock(guard="test", reference="X-1", message="X-1 is still open.")]

    guards.register_close_guard("test", guard)
    yield
    guards.unregister_close_guard("test")


def test_a_guard_blocks_closing_and_a_manager_overrides_with_a_reason(held, cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED, title="held ticket")
    at = REPORTED_AT + timedelta(days=1)

    with pytest.raises(InvalidTransition, match="X-1 is still open"):
        services.close_ticket(ticket=ticket, by=cast.manager, reason="confirmed by mail", at=at)
    with pytest.raises(NotPermitted):
        services.close_ticket(
            ticket=ticket, by=cast.specialist, reason="confirmed by mail", override_reason="why not", at=at
        )
    with pytest.raises(InvalidTransition):
        services.record_follow_up(ticket=ticket, by=cast.specialist, is_fixed=True, satisfaction=5, at=at)
    assert ticket.status == Status.RESOLVED

    services.close_ticket(
        ticket=ticket, by=cast.manager, reason="confirmed by mail", override_reason="unit sold to them", at=at
    )

    assert ticket.status == Status.CLOSED
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert (note.actor, note.body, note.at) == (cast.manager, "unit sold to them", at)
    assert note.data["blocks"] == [{"guard": "test", "reference": "X-1", "message": "X-1 is still open."}]


def test_an_unblocked_ticket_closes_as_before(held, cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED, title="free ticket")

    services.close_ticket(ticket=ticket, by=cast.specialist, reason="confirmed by mail")

    assert ticket.status == Status.CLOSED
    assert not ticket.events.filter(kind=TicketEvent.Kind.NOTE).exists()


def test_the_silent_sweep_skips_a_blocked_ticket(held, unit):
    blocked = TicketFactory(unit=unit, status=Status.RESOLVED, title="held ticket")
    free = TicketFactory(unit=unit, status=Status.RESOLVED, title="free ticket")

    closed = services.auto_close_silent_tickets(now=REPORTED_AT + timedelta(days=30))

    assert closed == [free]
    blocked.refresh_from_db()
    assert blocked.status == Status.RESOLVED
