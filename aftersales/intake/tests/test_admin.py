"""The mailbox admin: the password is never shown back, and a blank one keeps the old."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftersales.accounts.tests.factories import UserFactory
from aftersales.intake.admin import MailboxForm
from aftersales.intake.models import Mailbox
from aftersales.intake.services import ingest_message
from aftersales.intake.tests.conftest import NOW, eml

pytestmark = pytest.mark.django_db

FIELDS = {"name": "support", "host": "imap.example", "port": 993, "use_tls": True, "username": "support"}


def test_a_new_mailbox_needs_a_password():
    form = MailboxForm(data={**FIELDS, "folder": "INBOX", "password": ""})

    assert not form.is_valid() and "password" in form.errors


def test_a_blank_password_keeps_the_stored_one_and_is_never_rendered():
    mailbox = Mailbox.objects.create(**FIELDS, password="s3cret")

    form = MailboxForm(data={**FIELDS, "folder": "Support", "password": ""}, instance=mailbox)

    assert "s3cret" not in str(form["password"])
    assert form.is_valid(), form.errors
    form.save()
    mailbox.refresh_from_db()
    assert (mailbox.password, mailbox.folder) == ("s3cret", "Support")


def test_the_intake_log_is_shown_read_only_in_the_admin(client, bank):
    message = ingest_message(raw=eml("big5.eml"), now=NOW)
    client.force_login(UserFactory(username="root", role="admin", is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:intake_inboundmessage_changelist"))
    page = client.get(reverse("admin:intake_inboundmessage_change", args=[message.pk]))
    mailboxes = client.get(reverse("admin:intake_mailbox_add"))

    assert (listing.status_code, page.status_code, mailboxes.status_code) == (200, 200, 200)
    assert "伺服器無法啟動" in listing.content.decode()
    assert 'name="_save"' not in page.content.decode()
