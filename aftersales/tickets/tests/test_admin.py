"""The ticket admin shows tickets read-only; ticket settings are one editable row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftersales.accounts.tests.factories import UserFactory
from aftersales.tickets.models import TicketEvent, TicketSettings
from aftersales.tickets.tests.factories import TicketEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_a_ticket_is_shown_read_only_with_its_timeline_and_cannot_be_deleted(superuser_client):
    event = TicketEventFactory(body="已联系客户获取日志")
    ticket = event.ticket

    page = superuser_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    delete = superuser_client.post(reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"})
    listing = superuser_client.get(reverse("admin:tickets_ticket_changelist"))

    assert page.status_code == 200
    assert "已联系客户获取日志" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert delete.status_code == 403
    assert listing.status_code == 200
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_ticket_settings_are_edited_in_the_admin_and_never_deleted(superuser_client):
    url = reverse("admin:tickets_ticketsettings_change", args=[TicketSettings.SINGLETON_ID])

    response = superuser_client.post(
        url,
        {
            "auto_close_after_days": "10",
            "reopen_window_days": "60",
            "onsite_description_min_length": "30",
            "complaint_owner": "",
        },
    )

    assert response.status_code == 302
    settings_row = TicketSettings.objects.get()
    assert (settings_row.auto_close_after_days, settings_row.reopen_window_days) == (10, 60)
    assert superuser_client.get(reverse("admin:tickets_ticketsettings_add")).status_code == 403
    assert superuser_client.get(reverse("admin:tickets_ticketsettings_delete", args=[1])).status_code == 403
