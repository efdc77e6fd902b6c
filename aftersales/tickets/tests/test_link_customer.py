"""Linking a ticket opened for an unknown sender to its real customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.accounts.tests.factories import ServiceCentreFactory
from aftersales.commitments.models import Clock
from aftersales.core.errors import Conflict, InvalidInput, NotPermitted
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.tickets import services
from aftersales.tickets.models import Channel, Entitlement, Kind, Ticket, TicketEvent
from aftersales.tickets.tests.factories import REPORTED_AT
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

LINKED_AT = REPORTED_AT + timedelta(minutes=40)


@pytest.fixture
def head_office_centre(db):
    """Where a ticket with no known site goes: the centre that serves uncovered sites."""
    return ServiceCentreFactory(code="aa-hq", city="北京", serves_uncovered_sites=True)


@pytest.fixture
def unknown_senders_ticket(db, centre, head_office_centre):
    """A ticket mail intake opened on its placeholder customer for a sender no contact matched."""
    placeholder = CustomerFactory(code="unidentified-sender", name="未识别客户 / Unidentified sender")
    return services.open_ticket(
        by=None,
        kind=Kind.CONSULTATION,
        channel=Channel.EMAIL,
        customer=placeholder,
        title="加密机无法启动",
        description="机房的加密机今早无法启动。",
        reporter_name="Someone New",
        reporter_email="new.person@unknown-bank.example",
        reported_at=REPORTED_AT,
        now=REPORTED_AT + timedelta(minutes=1),
    )


def _clocks(ticket: Ticket) -> list[Clock]:
    return list(Clock.objects.filter(subject_type=services.SUBJECT_TYPE, subject_id=ticket.pk))


def test_linking_puts_the_ticket_on_the_customer_and_keeps_its_number_and_report_time(
    cast, customers, reporter, unknown_senders_ticket
):
    ticket = unknown_senders_ticket
    number = ticket.number

    services.link_ticket_to_customer(
        ticket=ticket, customer=customers.first, by=cast.specialist, reporter=reporter, at=LINKED_AT
    )

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.customer, ticket.reporter) == (customers.first, reporter)
    assert (ticket.number, ticket.reported_at) == (number, REPORTED_AT)
    assert ticket.reporter_email == "new.person@unknown-bank.example"


def test_linking_says_on_the_timeline_who_linked_the_ticket_to_which_customer(
    cast, customers, unknown_senders_ticket
):
    services.link_ticket_to_customer(
        ticket=unknown_senders_ticket, customer=customers.first, by=cast.specialist, at=LINKED_AT
    )

    event = unknown_senders_ticket.events.get(kind=TicketEvent.Kind.FIELD, field="customer")
    assert (event.actor, event.at, event.is_public) == (cast.specialist, LINKED_AT, False)
    assert event.body == f"{cast.specialist} linked the ticket to the customer {customers.first}."
    assert (event.old_value, event.new_value) == ("未识别客户 / Unidentified sender", str(customers.first))
    assert event.data["new_id"] == customers.first.pk


def test_linking_with_a_unit_routes_the_ticket_to_the_centre_covering_its_site(
    cast, centre, head_office_centre, customers, unit, unknown_senders_ticket
):
    assert (unknown_senders_ticket.centre, unknown_senders_ticket.is_site_covered) == (
        head_office_centre,
        False,
    )

    ticket = services.link_ticket_to_customer(
        ticket=unknown_senders_ticket, customer=customers.first, by=cast.specialist, unit=unit, at=LINKED_AT
    )

    ticket.refresh_from_db()
    assert (ticket.unit, ticket.site, ticket.centre, ticket.is_site_covered) == (
        unit,
        unit.site,
        centre,
        True,
    )
    assert ticket.entitlement == Entitlement.IN_WARRANTY
    assert ticket.events.filter(kind=TicketEvent.Kind.FIELD, field="centre").exists()


def test_the_clocks_keep_their_start_and_escalate_to_the_new_centre_and_customer(
    cast, centre, customers, unit, unknown_senders_ticket
):
    before = {clock.pk: clock.started_at for clock in _clocks(unknown_senders_ticket)}
    assert before

    services.link_ticket_to_customer(
        ticket=unknown_senders_ticket, customer=customers.first, by=cast.specialist, unit=unit, at=LINKED_AT
    )

    after = _clocks(unknown_senders_ticket)
    assert {clock.pk: clock.started_at for clock in after} == before
    assert set(before.values()) == {REPORTED_AT}
    assert {(clock.centre_id, clock.customer_id) for clock in after} == {(centre.pk, customers.first.pk)}


@pytest.mark.parametrize("wrong", ["reporter", "unit"])
def test_a_reporter_or_unit_of_another_customer_is_refused_and_nothing_changes(
    cast, customers, unknown_senders_ticket, wrong
):
    ticket = unknown_senders_ticket
    before = (ticket.version, ticket.customer_id, ticket.centre_id, ticket.events.count())
    others = {
        "reporter": ContactFactory(customer=customers.second, name="李工"),
        "unit": UnitFactory(customer=customers.second, serial="SN-OTHER-1"),
    }

    with pytest.raises(InvalidInput, match=r"(not a contact|does not belong) "):
        services.link_ticket_to_customer(
            ticket=ticket,
            customer=customers.first,
            by=cast.specialist,
            at=LINKED_AT,
            **{wrong: others[wrong]},
        )

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.version, ticket.customer_id, ticket.centre_id, ticket.events.count()) == before


def test_a_link_built_on_a_stale_version_is_refused(cast, customers, unknown_senders_ticket):
    ticket = unknown_senders_ticket
    stale = ticket.version
    services.add_internal_note(ticket=ticket, by=cast.specialist, body="Asked the sender who they are.")

    with pytest.raises(Conflict):
        services.link_ticket_to_customer(
            ticket=ticket, customer=customers.first, by=cast.specialist, expected_version=stale, at=LINKED_AT
        )

    assert Ticket.objects.get(pk=ticket.pk).customer.code == "unidentified-sender"


@pytest.mark.parametrize("role", ["engineer", "leader"])
def test_a_role_that_does_not_take_reports_may_not_link_a_ticket(
    cast, customers, unknown_senders_ticket, role
):
    with pytest.raises(NotPermitted):
        services.link_ticket_to_customer(
            ticket=unknown_senders_ticket, customer=customers.first, by=getattr(cast, role), at=LINKED_AT
        )

    assert Ticket.objects.get(pk=unknown_senders_ticket.pk).customer.code == "unidentified-sender"


def test_linking_a_ticket_to_the_customer_it_is_already_on_is_refused(
    cast, customers, unknown_senders_ticket
):
    services.link_ticket_to_customer(
        ticket=unknown_senders_ticket, customer=customers.first, by=cast.specialist, at=LINKED_AT
    )

    with pytest.raises(InvalidInput, match="already linked"):
        services.link_ticket_to_customer(
            ticket=unknown_senders_ticket, customer=customers.first, by=cast.specialist, at=LINKED_AT
        )
