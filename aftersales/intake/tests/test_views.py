"""The console's mail page: held and quarantined messages, the raw download, "process again"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.customers.models import Contact
from aftersales.intake import services
from aftersales.intake.models import InboundMessage
from aftersales.intake.tests.conftest import NOW, eml

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(bank):
    return services.ingest_message(raw=eml("reply_subject_stranger.eml"), now=NOW)


@pytest.fixture
def quarantined(bank):
    return services.ingest_message(raw=eml("not_mail.eml"), now=NOW)


def test_the_page_lists_held_and_quarantined_messages_with_their_reasons(client, bank, held, quarantined):
    services.ingest_message(raw=eml("unknown_sender.eml"), now=NOW)
    client.force_login(bank.specialist)

    response = client.get(reverse("intake:review"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "mallory@other.example" in page and "does not take part" in page
    assert "not an e-mail message" in page
    assert reverse("intake:raw", args=[quarantined.pk]) in page
    assert reverse("intake:process", args=[held.pk]) in page
    assert "new.person@unknown-bank.example" in page  # a ticket to link to its customer
    assert f'href="/desk/tickets/{bank.ticket.number}/"' in page


def test_the_page_needs_few_queries_however_many_messages(client, bank, django_assert_max_num_queries):
    for index in range(15):
        services.ingest_message(raw=eml("not_mail.eml") + str(index).encode(), now=NOW)
    client.force_login(bank.specialist)

    with django_assert_max_num_queries(10):
        client.get(reverse("intake:review"))


def test_the_raw_message_is_downloaded_never_rendered(client, bank, quarantined):
    client.force_login(bank.specialist)

    response = client.get(reverse("intake:raw", args=[quarantined.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{quarantined.pk}.eml"'
    assert response.content == eml("not_mail.eml")


def test_process_again_appends_a_held_reply_once_the_sender_is_a_contact(client, bank, held):
    Contact.objects.create(customer=bank.customer, name="Mallory", email="mallory@other.example")
    client.force_login(bank.specialist)

    response = client.post(reverse("intake:process", args=[held.pk]), follow=True)

    held.refresh_from_db()
    assert (held.status, held.outcome) == (InboundMessage.Status.PROCESSED, InboundMessage.Outcome.APPENDED)
    assert "processed again" in response.content.decode()


def test_process_again_is_a_post(client, bank, held):
    client.force_login(bank.specialist)

    assert client.get(reverse("intake:process", args=[held.pk])).status_code == 405


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.LEADER, Role.CUSTOMER])
def test_people_who_do_not_take_reports_cannot_see_or_download_mail(client, bank, quarantined, role):
    client.force_login(UserFactory(username=f"someone-{role}", role=role))

    assert client.get(reverse("intake:review")).status_code == 403
    assert client.get(reverse("intake:raw", args=[quarantined.pk])).status_code == 403
    assert client.post(reverse("intake:process", args=[quarantined.pk])).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client, bank, quarantined):
    response = client.get(reverse("intake:raw", args=[quarantined.pk]))

    assert response.status_code == 302 and "/login/" in response["Location"]
