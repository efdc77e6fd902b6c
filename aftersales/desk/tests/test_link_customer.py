"""The ticket page's "Link to customer" form, for tickets mail intake opened for unknown senders."""

from __future__ import annotations

import pytest
from django.utils import timezone

from aftersales.intake.models import UNIDENTIFIED_CUSTOMER_CODE, InboundMessage
from aftersales.intake.services import ingest_message
from aftersales.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

UNKNOWN_SENDER_MAIL = (
    b"From: Someone New <new.person@unknown-bank.example>\r\n"
    b"To: support@vendor.example\r\n"
    b"Subject: =?utf-8?b?5Yqg5a+G5py65peg5rOV5ZCv5Yqo?=\r\n"
    b"Message-ID: <link-test-1@unknown-bank.example>\r\n"
    b"Date: Mon, 02 Mar 2026 09:00:00 +0800\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"The HSM in our data centre does not start since this morning.\r\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def unknown_senders_ticket(cast) -> Ticket:
    message = ingest_message(raw=UNKNOWN_SENDER_MAIL, source_name="test", now=timezone.now())
    assert message.outcome == InboundMessage.Outcome.NEW_TICKET
    return message.ticket


def url(ticket: Ticket, action: str = "") -> str:
    return f"/desk/tickets/{ticket.number}/" + (f"do/{action}/" if action else "")


def post_link(client, ticket: Ticket, **fields: str):
    payload = {"link_customer-version": ticket.version}
    payload.update({f"link_customer-{name}": value for name, value in fields.items()})
    return client.post(url(ticket, "link_customer"), payload)


def offered(client, ticket: Ticket) -> list[str]:
    return [form.name for form in client.get(url(ticket)).context["forms"]]


@pytest.mark.smoke
def test_posting_the_form_links_the_ticket_to_the_customer_its_reporter_and_unit(
    client, cast, unknown_senders_ticket
):
    ticket = unknown_senders_ticket
    client.force_login(cast.specialist)
    assert "link_customer" in offered(client, ticket)

    response = post_link(
        client, ticket, customer="BANK-A", reporter="zhang@bank-a.example", unit="sjj-cq-0001"
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.customer, ticket.reporter, ticket.unit) == (cast.first, cast.caller, cast.unit)
    assert ticket.centre == cast.chongqing
    assert ticket.events.filter(kind=TicketEvent.Kind.FIELD, field="customer", actor=cast.specialist).exists()
    assert "link_customer" not in offered(client, ticket)


def test_a_linked_ticket_leaves_the_mail_page_whose_rows_link_to_the_ticket(
    client, cast, unknown_senders_ticket
):
    ticket = unknown_senders_ticket
    client.force_login(cast.specialist)
    assert f'href="/desk/tickets/{ticket.number}/"' in client.get("/desk/mail/").content.decode()

    post_link(client, ticket, customer="重庆农村商业银行")

    assert list(client.get("/desk/mail/").context["to_link"]) == []


def test_an_unknown_customer_or_contact_is_a_form_error_and_nothing_changes(
    client, cast, unknown_senders_ticket
):
    ticket = unknown_senders_ticket
    version = ticket.version
    client.force_login(cast.specialist)

    no_customer = post_link(client, ticket, customer="no-such-bank")
    no_contact = post_link(client, ticket, customer="bank-a", reporter="nobody@bank-a.example")

    assert "No customer matches" in no_customer.content.decode()
    assert "No contact of" in no_contact.content.decode()
    ticket.refresh_from_db()
    assert (ticket.customer.code, ticket.version) == (UNIDENTIFIED_CUSTOMER_CODE, version)


def test_a_unit_of_another_customer_is_refused_with_the_services_reason(client, cast, unknown_senders_ticket):
    client.force_login(cast.specialist)

    response = post_link(client, unknown_senders_ticket, customer="bank-b", unit=cast.unit.serial)

    assert f"Unit {cast.unit.serial} does not belong to" in response.content.decode()
    unknown_senders_ticket.refresh_from_db()
    assert unknown_senders_ticket.customer.code == UNIDENTIFIED_CUSTOMER_CODE


def test_the_form_is_not_offered_on_a_ticket_of_a_known_customer_and_posting_it_changes_nothing(
    client, cast, open_fault
):
    ticket = open_fault()
    client.force_login(cast.specialist)

    assert "link_customer" not in offered(client, ticket)
    post_link(client, ticket, customer="bank-b")

    ticket.refresh_from_db()
    assert ticket.customer == cast.first


def test_a_role_that_does_not_take_reports_is_not_offered_the_form_and_is_refused(
    client, cast, unknown_senders_ticket
):
    client.force_login(cast.rnd)

    assert "link_customer" not in offered(client, unknown_senders_ticket)
    response = post_link(client, unknown_senders_ticket, customer="bank-a")

    assert response.status_code == 403
    unknown_senders_ticket.refresh_from_db()
    assert unknown_senders_ticket.customer.code == UNIDENTIFIED_CUSTOMER_CODE
