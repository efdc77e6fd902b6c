"""Who sees which tickets, and the current handling report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.tickets import queries, services
from aftersales.tickets.models import Status, Ticket
from aftersales.tickets.tests.factories import REPORTED_AT, HandlingReportFactory, TicketFactory
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(cast, centre, customers):
    """One ticket at the cast's centre for each customer, one at another centre, one of a branch."""
    chengdu = ServiceCentreFactory(code="cd", city="成都")
    branch = CustomerFactory(code="bank-a-branch", parent=customers.first)
    return {
        "first_here": TicketFactory(unit=UnitFactory(customer=customers.first), centre=centre),
        "second_here": TicketFactory(unit=UnitFactory(customer=customers.second), centre=centre),
        "second_chengdu": TicketFactory(unit=UnitFactory(customer=customers.second), centre=chengdu),
        "branch_chengdu": TicketFactory(unit=UnitFactory(customer=branch), centre=chengdu),
    }


def visible(user, tickets) -> set[str]:
    ids = set(queries.tickets_visible_to(user).values_list("pk", flat=True))
    return {name for name, ticket in tickets.items() if ticket.pk in ids}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("specialist", {"first_here", "second_here", "second_chengdu", "branch_chengdu"}),
        ("leader", {"first_here", "second_here", "second_chengdu", "branch_chengdu"}),
        ("rnd", {"first_here", "second_here", "second_chengdu", "branch_chengdu"}),
        ("engineer", {"first_here", "second_here"}),
        ("lead", {"first_here", "second_here"}),
        ("account", {"first_here", "branch_chengdu"}),
        ("customer1", {"first_here", "branch_chengdu"}),
        ("customer2", {"second_here", "second_chengdu"}),
    ],
)
def test_each_role_sees_its_own_share_of_tickets(cast, tickets, role, expected):
    assert visible(getattr(cast, role), tickets) == expected


def test_an_engineer_also_sees_a_ticket_of_another_centre_assigned_to_them(cast, tickets):
    Ticket.objects.filter(pk=tickets["second_chengdu"].pk).update(assignee=cast.engineer)

    assert "second_chengdu" in visible(cast.engineer, tickets)


def test_a_branch_user_does_not_see_the_head_offices_tickets(tickets):
    branch_user = UserFactory(username="branch-user", role=Role.CUSTOMER)
    ContactFactory(customer=tickets["branch_chengdu"].customer, user=branch_user)

    assert visible(branch_user, tickets) == {"branch_chengdu"}


def test_an_inactive_user_sees_nothing(cast, tickets):
    cast.specialist.is_active = False

    assert visible(cast.specialist, tickets) == set()


def test_a_ticket_out_of_sight_is_not_found(cast, tickets):
    with pytest.raises(Ticket.DoesNotExist):
        queries.get_visible_ticket(cast.customer2, tickets["first_here"].number)
    assert queries.get_visible_ticket(cast.customer1, tickets["first_here"].number) == tickets["first_here"]


def test_the_public_timeline_hides_internal_notes(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.IN_PROGRESS)
    services.add_internal_note(ticket=ticket, by=cast.engineer, body="内部备注", at=REPORTED_AT)
    services.reply_to_customer(ticket=ticket, by=cast.engineer, body="请重启设备", at=REPORTED_AT)

    assert [e.body for e in queries.ticket_timeline(ticket, public_only=True)] == ["请重启设备"]
    assert len(queries.ticket_timeline(ticket)) >= 2


def test_the_current_handling_report_is_the_one_written_since_the_last_reopening(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED)
    old = HandlingReportFactory(ticket=ticket, created_at=REPORTED_AT)
    assert queries.current_handling_report(ticket) == old

    services.record_follow_up(
        ticket=ticket,
        by=cast.specialist,
        is_fixed=False,
        comment="仍然报错",
        at=REPORTED_AT + timedelta(days=1),
    )
    assert queries.current_handling_report(ticket) is None

    new = HandlingReportFactory(ticket=ticket, created_at=REPORTED_AT + timedelta(days=2))
    assert queries.current_handling_report(ticket) == new
