"""A real SMTP exchange with an aiosmtpd server on loopback: headers, threading, encoding, retries."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.accounts.tests.factories import UserFactory
from aftersales.notifications.channels import header_text
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import deliver_due_messages, queue_notice
from aftersales.notifications.tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)
NUMBER = "SR-2026-000123"


def _acknowledgement(**overrides) -> OutboxMessage:
    fields = {
        "kind": "ticket_acknowledgement",
        "address": "zhang@bank-a.example",
        "language": "zh-hans",
        "subject": f"[{NUMBER}] 我们已收到您的报修：核心交换机告警",
        "body": f"您的报修已受理，编号 {NUMBER}。\n工程师将尽快与您联系。\n\n江南科友 Aftersales\n",
        "reference": NUMBER,
        "dedupe_key": "ticket:1:ack",
        **overrides,
    }
    return queue_notice(**fields)


def _reply(ack: OutboxMessage, **overrides) -> OutboxMessage:
    fields = {
        "kind": "ticket_reply",
        "address": ack.address,
        "language": "zh-hans",
        "subject": f"Re: [{NUMBER}] 核心交换机告警",
        "body": "请重启设备后再观察一小时。\n\n-- \n李工\n",
        "reference": NUMBER,
        "in_reply_to": ack.message_id,
        **overrides,
    }
    return queue_notice(**fields)


@pytest.mark.smoke
def test_an_acknowledgement_goes_over_smtp_with_its_own_message_id_and_the_number_in_the_subject(smtp):
    ack = _acknowledgement()

    result = deliver_due_messages(now=T0)

    assert result.sent == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["zhang@bank-a.example"]
    mail = received.message
    assert mail["Message-ID"] == ack.message_id
    assert f"[{NUMBER}]" in mail["Subject"]
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["Content-Language"] == "zh-Hans"
    assert mail["From"].addresses[0].addr_spec == "support@vendor.example"
    assert mail["In-Reply-To"] is None
    row = OutboxMessage.objects.get(pk=ack.pk)
    assert row.status == OutboxMessage.Status.SENT
    assert row.sent_at == T0
    assert row.attempts == 1


def test_a_reply_and_the_resolution_thread_onto_the_acknowledgement(smtp):
    ack = _acknowledgement()
    deliver_due_messages(now=T0)
    reply = _reply(ack)
    deliver_due_messages(now=T0 + timedelta(hours=1))
    resolved = queue_notice(
        kind="ticket_resolved",
        address=ack.address,
        language="zh-hans",
        subject=f"[{NUMBER}] 已解决，请确认",
        body="问题已解决。",
        reference=NUMBER,
        in_reply_to=ack.message_id,
    )
    deliver_due_messages(now=T0 + timedelta(hours=2))

    first, second, third = (received.message for received in smtp.received)
    assert first["Message-ID"] == ack.message_id
    assert second["Message-ID"] == reply.message_id
    assert second["In-Reply-To"] == ack.message_id
    assert second["References"].split() == [ack.message_id]
    assert second["Auto-Submitted"] is None  # an engineer wrote it: not an automatic message
    assert third["Message-ID"] == resolved.message_id
    assert third["In-Reply-To"] == ack.message_id
    assert third["References"].split() == [ack.message_id, reply.message_id]
    assert third["Auto-Submitted"] == "auto-generated"


def test_a_thread_references_only_mail_sent_to_the_same_address(smtp):
    ack = _acknowledgement()
    OutboxMessageFactory(address="someone.else@bank-a.example", reference=NUMBER)
    reply = _reply(ack)

    deliver_due_messages(now=T0)

    to_customer = [r.message for r in smtp.received if r.rcpt_tos == [ack.address]]
    assert [m["Message-ID"] for m in to_customer] == [ack.message_id, reply.message_id]
    assert to_customer[1]["References"].split() == [ack.message_id]


def test_chinese_subject_and_body_are_encoded_for_transport_and_decode_back(smtp):
    ack = _acknowledgement()

    deliver_due_messages(now=T0)

    [received] = smtp.received
    header_block = received.raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()  # encoded words, not raw UTF-8, in the headers
    mail = received.message
    assert mail["Subject"] == ack.subject
    text = mail.get_body(("plain",)).get_content()
    assert "您的报修已受理，编号 SR-2026-000123。" in text
    assert f"[{NUMBER}]" in text  # the footer asks to keep the number in replies
    html = mail.get_body(("html",)).get_content()
    assert 'lang="zh-Hans"' in html
    assert "工程师将尽快与您联系。" in html


def test_an_english_recipient_gets_english_headers_and_html(smtp):
    user = UserFactory(username="ops", email="ops@vendor.example", language="en")
    queue_notice(
        kind="clock_warning",
        recipient=user,
        subject=f"[{NUMBER}] At risk: Response due 2026-03-02 10:30",
        body="The promise is not yet met.",
        reference=NUMBER,
    )

    deliver_due_messages(now=T0)

    mail = smtp.received[0].message
    assert mail["Content-Language"] == "en"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert 'lang="en"' in mail.get_body(("html",)).get_content()


def test_a_subject_with_line_breaks_cannot_inject_headers_or_recipients(smtp):
    # Written straight into the table (as an import or an admin could), not through queue_notice.
    row = OutboxMessageFactory(
        subject="报修\r\nBcc: victim@evil.example\r\nX-Injected: yes",
        body="正文",
    )

    deliver_due_messages(now=T0)

    [received] = smtp.received
    assert received.rcpt_tos == [row.address]
    mail = received.message
    assert mail["Bcc"] is None
    assert mail["X-Injected"] is None
    assert mail["Subject"] == f"[{NUMBER}] 报修 Bcc: victim@evil.example X-Injected: yes"


def test_header_values_lose_every_control_character():
    assert header_text("a\r\nb\x00c\td\u2028e  f") == "a b c d e f"


def test_a_subject_without_the_number_gets_it(smtp):
    OutboxMessageFactory(subject="已解决，请确认")

    deliver_due_messages(now=T0)

    assert smtp.received[0].message["Subject"] == f"[{NUMBER}] 已解决，请确认"


def test_a_server_answering_451_gets_the_message_later_after_backing_off(smtp):
    ack = _acknowledgement()
    smtp.refuse = True

    first = deliver_due_messages(now=T0)

    assert first.retrying == 1
    row = OutboxMessage.objects.get(pk=ack.pk)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        OutboxMessage.Status.PENDING,
        1,
        T0 + timedelta(minutes=1),
    )
    assert "451" in row.last_error
    assert deliver_due_messages(now=T0 + timedelta(seconds=30)).handled == 0  # not due yet

    deliver_due_messages(now=T0 + timedelta(minutes=1))
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, T0 + timedelta(minutes=3))

    smtp.refuse = False
    deliver_due_messages(now=T0 + timedelta(minutes=3))

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert row.last_error == ""
    assert smtp.refusals == 2
    assert [r.message["Message-ID"] for r in smtp.received] == [ack.message_id]


def test_a_stopped_mail_server_means_a_retry_not_a_loss(smtp):
    ack = _acknowledgement()
    smtp.controller.stop()

    result = deliver_due_messages(now=T0)

    assert result.retrying == 1
    row = OutboxMessage.objects.get(pk=ack.pk)
    assert row.status == OutboxMessage.Status.PENDING
    assert row.next_attempt_at == T0 + timedelta(minutes=1)
    assert row.last_error.startswith("SMTP: ")


def test_after_the_maximum_attempts_the_message_is_failed_and_no_longer_tried(smtp, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 3}
    ack = _acknowledgement()
    smtp.refuse = True
    at = T0
    for _ in range(3):
        deliver_due_messages(now=at)
        at += timedelta(hours=1)

    row = OutboxMessage.objects.get(pk=ack.pk)
    assert row.status == OutboxMessage.Status.FAILED
    assert row.attempts == 3
    assert row.next_attempt_at is None
    assert "451" in row.last_error
    deliver_due_messages(now=at + timedelta(days=1))
    assert smtp.refusals == 3


def test_an_invalid_address_fails_at_once_and_does_not_hold_up_the_next_message(smtp):
    broken = OutboxMessageFactory(address="not an address, other@evil.example")
    good = OutboxMessageFactory()

    result = deliver_due_messages(now=T0)

    assert (result.sent, result.failed) == (1, 1)
    broken.refresh_from_db()
    assert broken.status == OutboxMessage.Status.FAILED
    assert broken.attempts == 1
    assert "not a valid e-mail address" in broken.last_error
    assert [r.rcpt_tos for r in smtp.received] == [[good.address]]
