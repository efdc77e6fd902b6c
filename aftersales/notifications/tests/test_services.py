"""Queueing and delivering the outbox: desk rows, back-off, leases, retries, the hand-over on commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from aftersales.accounts.tests.factories import UserFactory
from aftersales.notifications import channels
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import (
    backoff,
    deliver_due_messages,
    queue_notice,
    retry_messages,
)
from aftersales.notifications.tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def test_back_off_doubles_from_one_minute_up_to_an_hour():
    assert [backoff(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]


def test_a_console_inbox_notice_is_stored_as_delivered_and_never_sent_anywhere(receiver):
    engineer = UserFactory(username="engineer")

    notice = queue_notice(
        kind="ticket_assigned",
        recipient=engineer,
        channel=OutboxMessage.Channel.DESK,
        subject="[SR-2026-000001] 指派给您",
        body="请处理。",
        now=T0,
    )

    assert (notice.status, notice.sent_at) == (OutboxMessage.Status.SENT, T0)
    assert notice.address == ""
    result = deliver_due_messages(now=T0)
    assert result.handled == 0
    assert mail.outbox == []
    assert receiver.requests == []


def test_a_pending_console_inbox_row_is_marked_delivered_without_sending(receiver):
    row = OutboxMessageFactory(channel=OutboxMessage.Channel.DESK, address="engineer@vendor.example")

    result = deliver_due_messages(now=T0)

    row.refresh_from_db()
    assert (row.status, row.sent_at, row.attempts) == (OutboxMessage.Status.SENT, T0, 0)
    assert result.sent == 1
    assert mail.outbox == []
    assert receiver.requests == []


def test_delivering_twice_sends_each_message_once():
    rows = OutboxMessageFactory.create_batch(25)

    first = deliver_due_messages(now=T0)
    second = deliver_due_messages(now=T0)

    assert (first.sent, second.handled) == (25, 0)
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(r.message_id for r in rows)
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 25


def test_a_message_waits_for_its_next_attempt_time():
    OutboxMessageFactory(next_attempt_at=T0 + timedelta(minutes=2))

    assert deliver_due_messages(now=T0 + timedelta(minutes=1)).handled == 0
    assert deliver_due_messages(now=T0 + timedelta(minutes=2)).sent == 1


def test_a_worker_that_dies_while_sending_leaves_the_message_to_a_later_pass(monkeypatch):
    row = OutboxMessageFactory()

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(channels.Courier, "send", die)
        with pytest.raises(SystemExit):
            deliver_due_messages(now=T0)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert deliver_due_messages(now=T0 + timedelta(minutes=1)).handled == 0  # still leased
    assert deliver_due_messages(now=T0 + timedelta(minutes=5)).sent == 1
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [row.message_id]


def test_a_message_whose_every_attempt_killed_the_worker_is_given_up(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 3}
    row = OutboxMessageFactory(attempts=3, next_attempt_at=T0)

    result = deliver_due_messages(now=T0)

    row.refresh_from_db()
    assert (result.failed, row.status) == (1, OutboxMessage.Status.FAILED)
    assert "worker stopped" in row.last_error
    assert mail.outbox == []


def test_an_unexpected_error_in_one_message_is_recorded_and_the_next_is_still_sent(monkeypatch):
    broken, good = OutboxMessageFactory(body="boom"), OutboxMessageFactory()
    build = channels.build_email

    def fragile(message, **kwargs):
        if message.body == "boom":
            raise ValueError("template exploded")
        return build(message, **kwargs)

    monkeypatch.setattr(channels, "build_email", fragile)

    result = deliver_due_messages(now=T0)

    assert (result.sent, result.retrying) == (1, 1)
    broken.refresh_from_db()
    assert broken.last_error == "ValueError: template exploded"
    assert broken.next_attempt_at == T0 + timedelta(minutes=1)
    assert [m.to for m in mail.outbox] == [[good.address]]


def test_staff_retry_sends_a_failed_message_again_with_fresh_attempts():
    failed = OutboxMessageFactory(status=OutboxMessage.Status.FAILED, attempts=10, last_error="SMTP: refused")
    sent = OutboxMessageFactory(status=OutboxMessage.Status.SENT, sent_at=T0)

    assert retry_messages(message_ids=[failed.pk, sent.pk]) == 1

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (
        OutboxMessage.Status.PENDING,
        0,
        None,
    )
    deliver_due_messages(now=T0)
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT
    assert [m.to for m in mail.outbox] == [[failed.address]]  # the sent one is not resent


def test_a_notice_is_handed_to_the_worker_as_soon_as_its_transaction_commits(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(username="manager", email="manager@vendor.example")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = queue_notice(kind="clock_breach", recipient=user, subject="违约", body="已超时。")

    assert len(callbacks) == 1
    notice.refresh_from_db()
    assert notice.status == OutboxMessage.Status.SENT  # Huey runs tasks inline in tests
    assert [m.to for m in mail.outbox] == [["manager@vendor.example"]]


def test_a_repeated_notice_is_neither_queued_nor_handed_over_twice(django_capture_on_commit_callbacks):
    user = UserFactory(username="lead")
    with django_capture_on_commit_callbacks() as callbacks:
        first = queue_notice(kind="clock_warning", recipient=user, subject="a", body="b", dedupe_key="k")
        again = queue_notice(kind="clock_warning", recipient=user, subject="a", body="b", dedupe_key="k")

    assert first.pk == again.pk
    assert len(callbacks) == 1
