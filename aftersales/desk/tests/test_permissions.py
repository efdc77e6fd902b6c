"""Who may use the console and which tickets each role sees and acts on."""

from __future__ import annotations

import pytest

from aftersales.desk.forms import AcceptForm, ReplyForm
from aftersales.tickets.models import Status, Ticket
from aftersales.tickets.tests.factories import TicketFactory
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(cast):
    """A new ticket of the first customer at Chongqing, and one of the second customer at Chengdu."""
    return {
        "chongqing": TicketFactory(unit=cast.unit, centre=cast.chongqing),
        "chengdu": TicketFactory(unit=UnitFactory(customer=cast.second), centre=cast.chengdu),
    }


def desk_pages(ticket: Ticket) -> list[str]:
    return [
        "/desk/",
        "/desk/?view=mine",
        "/desk/queue/rows/",
        "/desk/queue/export.xlsx",
        f"/desk/tickets/{ticket.number}/",
        f"/desk/tickets/{ticket.number}/acceptance-form/",
        "/desk/intake/phone/?number=13800001234",
        f"/desk/intake/phone/done/{ticket.number}/",
        "/desk/inbox/",
    ]


@pytest.mark.smoke
def test_a_customer_user_gets_403_on_every_desk_page(client, cast, tickets):
    client.force_login(cast.customer1)

    statuses = {url: client.get(url).status_code for url in desk_pages(tickets["chongqing"])}
    posted = client.post(f"/desk/tickets/{tickets['chongqing'].number}/do/reply/", {"reply-body": "x"})

    assert set(statuses.values()) == {403}, statuses
    assert posted.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, tickets):
    response = client.get(f"/desk/tickets/{tickets['chongqing'].number}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/desk/login/?next=")


def test_signing_in_leads_to_the_queue(client, cast):
    response = client.post("/desk/login/", {"username": "specialist", "password": "demo"}, follow=True)

    assert response.redirect_chain[-1][0] == "/desk/"
    assert response.status_code == 200


def test_a_lead_sees_their_centres_tickets_and_not_another_centres(client, cast, tickets):
    client.force_login(cast.lead)

    own = client.get(f"/desk/tickets/{tickets['chongqing'].number}/")
    other = client.get(f"/desk/tickets/{tickets['chengdu'].number}/")
    queue = [row["number"] for row in client.get("/desk/").context["rows"]]

    assert own.status_code == 200
    assert other.status_code == 404
    assert queue == [tickets["chongqing"].number]


def test_a_ticket_assigned_to_an_engineer_of_another_centre_is_visible_to_them(client, cast, tickets):
    ticket = tickets["chengdu"]
    ticket.assignee = cast.engineer
    ticket.save(update_fields=["assignee"])
    client.force_login(cast.engineer)

    assert client.get(f"/desk/tickets/{ticket.number}/").status_code == 200


def test_an_account_manager_sees_their_customers_tickets_only(client, cast, tickets):
    client.force_login(cast.account)

    own = client.get(f"/desk/tickets/{tickets['chongqing'].number}/")
    other = client.get(f"/desk/tickets/{tickets['chengdu'].number}/")
    queue = [row["number"] for row in client.get("/desk/").context["rows"]]

    assert own.status_code == 200
    assert other.status_code == 404
    assert queue == [tickets["chongqing"].number]


def test_an_account_manager_sees_the_tickets_of_their_customers_branches(client, cast):
    from aftersales.customers.tests.factories import CustomerFactory

    branch = CustomerFactory(parent=cast.first)
    ticket = TicketFactory(unit=UnitFactory(customer=branch), centre=cast.chengdu)
    client.force_login(cast.account)

    assert client.get(f"/desk/tickets/{ticket.number}/").status_code == 200


def test_leadership_sees_every_ticket_but_gets_no_action_form_and_a_post_is_403(client, cast, tickets):
    ticket = tickets["chengdu"]
    client.force_login(cast.leader)

    page = client.get(f"/desk/tickets/{ticket.number}/")
    posted = client.post(f"/desk/tickets/{ticket.number}/do/accept/", {"accept-version": ticket.version})

    assert page.status_code == 200
    assert page.context["forms"] == []
    assert b'<form method="post" action="/desk/tickets/' not in page.content
    assert posted.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_each_role_is_offered_exactly_the_forms_its_capabilities_allow(client, cast, tickets):
    ticket = tickets["chongqing"]

    def offered(user):
        client.force_login(user)
        return {type(form) for form in client.get(f"/desk/tickets/{ticket.number}/").context["forms"]}

    engineer = offered(cast.engineer)
    specialist = offered(cast.specialist)
    manager = offered(cast.manager)

    assert AcceptForm in engineer and ReplyForm in engineer
    assert AcceptForm not in specialist and ReplyForm in specialist
    assert {form.name for form in manager} >= {"accept", "assign", "change_severity", "override_entitlement"}
    assert "override_entitlement" not in {form.name for form in engineer}
    assert "follow_up" not in {form.name for form in specialist}  # only once resolved


def test_posting_a_form_the_role_lacks_is_403_and_one_not_possible_now_is_refused(client, cast, tickets):
    ticket = tickets["chongqing"]
    client.force_login(cast.specialist)

    forbidden = client.post(f"/desk/tickets/{ticket.number}/do/accept/", {"accept-version": ticket.version})
    not_now = client.post(
        f"/desk/tickets/{ticket.number}/do/follow_up/",
        {"follow_up-version": ticket.version, "follow_up-outcome": "fixed", "follow_up-satisfaction": "5"},
        HTTP_HX_REQUEST="true",
    )

    assert forbidden.status_code == 403
    assert not_now.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.version == 1


def test_phone_intake_is_for_those_who_take_reports(client, cast):
    client.force_login(cast.engineer)
    assert client.get("/desk/intake/phone/").status_code == 403
    client.force_login(cast.account)
    assert client.get("/desk/intake/phone/").status_code == 200


def test_a_ticket_number_that_does_not_exist_is_404(client, cast):
    client.force_login(cast.specialist)

    assert client.get("/desk/tickets/SR-1999-000001/").status_code == 404
    assert client.get("/desk/tickets/SR-1999-000001/acceptance-form/").status_code == 404


@pytest.mark.parametrize(
    "role", ["specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin"]
)
def test_every_staff_role_works_in_the_console(client, cast, tickets, role):
    client.force_login(getattr(cast, role))
    sees_everything = role in ("specialist", "rnd", "manager", "leader", "admin")

    queue = client.get("/desk/")
    chengdu = client.get(f"/desk/tickets/{tickets['chengdu'].number}/")

    assert queue.status_code == 200
    assert chengdu.status_code == (200 if sees_everything else 404)
    shown = {row["number"] for row in queue.context["rows"]}
    assert (tickets["chengdu"].number in shown) is sees_everything


def test_an_htmx_post_the_role_lacks_is_403_with_the_ticket_and_the_reason(client, cast, tickets):
    ticket = tickets["chongqing"]
    client.force_login(cast.leader)

    response = client.post(
        f"/desk/tickets/{ticket.number}/do/reply/",
        {"reply-version": ticket.version, "reply-body": "x"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 403
    assert 'id="ticket"' in response.content.decode()
    assert response.context["alert"]
