"""``aftersales notifications deliver`` and the admin's retry action."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db


def test_deliver_by_hand_sends_the_due_messages_and_says_so():
    OutboxMessageFactory.create_batch(2)
    OutboxMessageFactory(channel=OutboxMessage.Channel.SMS, address="13800001234")  # no gateway here
    out = StringIO()

    with translation.override("en"):
        call_command("notifications", "deliver", stdout=out)

    assert out.getvalue().strip() == "notifications: 2 sent, 0 to retry, 1 failed, 0 pages"
    assert len(mail.outbox) == 2


def test_staff_see_failures_in_the_admin_and_send_them_again(client):
    admin = UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    failed = OutboxMessageFactory(status=OutboxMessage.Status.FAILED, attempts=10, last_error="SMTP: 550")
    client.force_login(admin)
    changelist = reverse("admin:notifications_outboxmessage_changelist")

    page = client.get(changelist, {"status__exact": "failed"})
    assert page.status_code == 200
    assert "SMTP: 550" in page.text
    response = client.post(changelist, {"action": "retry", "_selected_action": [failed.pk]}, follow=True)

    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboxMessage.Status.PENDING, 0)
