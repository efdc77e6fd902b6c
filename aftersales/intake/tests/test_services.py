"""Mail intake: store first, then a new ticket, a reply, a log line, or a specialist's review."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.commitments.models import Clock
from aftersales.core.errors import InvalidTransition, NotPermitted
from aftersales.intake import services
from aftersales.intake.models import InboundMessage
from aftersales.intake.tests.conftest import NOW, RECEIVED, eml
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.models import Attachment, Channel, Kind, Severity, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

Outcome = InboundMessage.Outcome


def ingest(name: str, *, now=NOW) -> InboundMessage:
    return services.ingest_message(raw=eml(name), source_name=name, now=now)


# --- new tickets ----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_report_from_a_known_contact_opens_a_ticket_from_the_time_our_server_received_it(bank):
    message = ingest("gb2312_with_gbk_characters.eml")

    assert (message.status, message.outcome) == (InboundMessage.Status.PROCESSED, Outcome.NEW_TICKET)
    ticket = message.ticket
    assert (ticket.channel, ticket.customer, ticket.reporter) == (Channel.EMAIL, bank.customer, bank.reporter)
    assert ticket.title == "加密机故障 王堃 喆 镕"
    assert "王堃、张喆、朱镕报告" in ticket.description
    assert ticket.reported_at == RECEIVED
    response = Clock.objects.get(subject_type="ticket", subject_id=ticket.pk, milestone="response")
    assert response.started_at == RECEIVED
    ack = OutboxMessage.objects.get(kind="ticket_acknowledgement", reference=ticket.number)
    assert ack.address == "zhang@bank-a.example"


def test_a_report_naming_a_unit_of_the_customer_opens_a_general_fault_flagged_for_triage(bank):
    ticket = ingest("english_fault_with_serial.eml").ticket

    assert (ticket.kind, ticket.unit, ticket.severity) == (Kind.FAULT, bank.unit, Severity.GENERAL)
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert (note.is_public, note.data["needs_triage"]) == (False, True)
    assert "SN-CQ-0042" in note.body


def test_a_report_naming_no_unit_opens_a_consultation_flagged_for_triage(bank):
    ticket = ingest("big5.eml").ticket

    assert (ticket.kind, ticket.unit, ticket.title) == (Kind.CONSULTATION, None, "伺服器無法啟動")
    assert "consultation" in ticket.events.get(kind=TicketEvent.Kind.NOTE).body


def test_an_unknown_sender_opens_a_ticket_marked_for_linking_to_a_customer(bank):
    message = ingest("unknown_sender.eml")

    ticket = message.ticket
    assert message.needs_customer_link is True
    assert ticket.customer.code == services.UNIDENTIFIED_CUSTOMER_CODE
    assert (ticket.reporter, ticket.reporter_email, ticket.reporter_name) == (
        None,
        "new.person@unknown-bank.example",
        "Someone New",
    )
    assert ticket.events.get(kind=TicketEvent.Kind.NOTE).data["needs_customer_link"] is True
    assert OutboxMessage.objects.filter(kind="ticket_acknowledgement", address=ticket.reporter_email).exists()


def test_html_only_mail_puts_plain_text_on_the_ticket_and_keeps_the_sanitised_html(bank):
    message = ingest("html_only.eml")

    assert message.ticket.description.startswith("凭条打印机卡纸，无法出票。")
    assert "<script" not in message.html and "javascript:" not in message.html


def test_a_subject_with_cr_lf_is_cleaned_before_it_is_stored_or_reused(bank):
    message = ingest("crlf_in_subject.eml")

    assert message.ticket.title == "Urgent Bcc: attacker@evil.example 紧急"
    ack = OutboxMessage.objects.get(kind="ticket_acknowledgement", reference=message.ticket.number)
    assert not any(ch in ack.subject for ch in "\r\n\x00")


def test_attachments_are_stored_under_generated_names_with_the_original_for_display(bank):
    ticket = ingest("rfc2231_filenames.eml").ticket

    names = list(ticket.attachments.order_by("id").values_list("original_name", "file"))
    assert [n for n, _ in names] == ["运行日志.txt", "设备日志-堃.txt", ".._.._etc_报告.pdf"]
    for _, path in names:
        assert path.startswith("attachments/") and ".." not in path and "报告" not in path
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    assert set(ticket.attachments.values_list("event", flat=True)) == {created.pk}


def test_inline_images_forwarded_messages_and_winmail_dat_are_kept(bank):
    image = ingest("inline_image.eml").ticket.attachments.get()
    forwarded = ingest("forwarded.eml").ticket
    winmail = ingest("winmail.eml").ticket.attachments.get()

    assert image.content_type == "image/png" and image.file.name.endswith(".png")
    assert forwarded.attachments.get().content_type == "message/rfc822"
    assert "解放碑网点三台终端离线。" in forwarded.description
    assert (winmail.original_name, winmail.content_type) == ("winmail.dat", "application/ms-tnef")


def test_an_oversize_attachment_is_refused_with_a_staff_note_while_the_message_is_taken_in(bank, settings):
    settings.AFTERSALES_MAX_ATTACHMENT_MB = 0.01  # about 10 KB; the core dump is 20 KB

    message = ingest("oversize_attachment.eml")

    assert message.outcome == Outcome.NEW_TICKET
    dump = Attachment.objects.get(original_name="core.dump")
    assert (dump.refused, dump.file.name, dump.size) == (True, "", 20480)
    assert Attachment.objects.get(original_name="small.log").refused is False
    notes = message.ticket.events.filter(kind=TicketEvent.Kind.NOTE, is_public=False)
    assert any("core.dump" in note.body for note in notes)


def test_acknowledgements_to_one_sender_are_rate_limited(bank, settings):
    settings.AFTERSALES_MAIL_ACKS_PER_HOUR = 2
    raws = [eml("no_message_id.eml").replace(b"without", f"{i} without".encode()) for i in range(3)]

    messages = [
        services.ingest_message(raw=raw, now=NOW + timedelta(minutes=i)) for i, raw in enumerate(raws)
    ]

    assert [m.outcome for m in messages] == [Outcome.NEW_TICKET] * 3
    assert [m.acknowledged for m in messages] == [True, True, False]
    assert "suppressed" in messages[2].reason
    assert (
        OutboxMessage.objects.filter(kind="ticket_acknowledgement", address="li.ming@bank-a.example").count()
        == 2
    )
    later = services.ingest_message(raw=raws[0].replace(b"0 without", b"late"), now=NOW + timedelta(hours=2))
    assert later.acknowledged is True


# --- replies --------------------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_reply_to_our_acknowledgement_is_appended_to_its_ticket(bank):
    message = ingest("reply_in_reply_to.eml")

    assert (message.outcome, message.ticket) == (Outcome.APPENDED, bank.ticket)
    reply = bank.ticket.events.get(kind=TicketEvent.Kind.CUSTOMER_REPLY)
    assert (reply.body, reply.is_public, reply.at) == ("日志已上传，请查收。", True, RECEIVED)
    assert reply.data["message_id"] == "<reply-1@bank-a.example>"
    assert Ticket.objects.count() == 1


def test_a_reply_to_a_message_we_received_is_appended_to_the_ticket_it_opened(bank):
    opened = ingest("big5.eml").ticket
    answer = (
        eml("reply_subject_reporter.eml")
        .replace(
            b"Subject: Re: [SR-2026-000123] We received your report",
            b"Subject: Re: more\nReferences: <big5@bank-a.example>",
        )
        .replace(b"zhang@bank-a.example", b"chen@bank-a.example")
    )

    message = services.ingest_message(raw=answer, now=NOW)

    assert (message.outcome, message.ticket) == (Outcome.APPENDED, opened)


def test_a_reply_to_a_waiting_ticket_puts_it_back_to_work(bank):
    Ticket.objects.filter(pk=bank.ticket.pk).update(status=Status.WAITING)

    ingest("reply_subject_reporter.eml")

    bank.ticket.refresh_from_db()
    assert bank.ticket.status == Status.IN_PROGRESS


def test_a_reply_to_a_closed_ticket_within_the_window_reopens_it(bank):
    Ticket.objects.filter(pk=bank.ticket.pk).update(
        status=Status.CLOSED, closed_at=RECEIVED - timedelta(days=3)
    )

    ingest("reply_subject_reporter.eml")

    bank.ticket.refresh_from_db()
    assert (bank.ticket.status, bank.ticket.closed_at) == (Status.IN_PROGRESS, None)


def test_a_reply_by_subject_number_from_a_contact_of_a_branch_is_appended(bank):
    raw = eml("reply_subject_reporter.eml").replace(b"zhang@bank-a.example", b"li.ming@bank-a.example")

    message = services.ingest_message(raw=raw, now=NOW)

    assert (message.outcome, message.ticket) == (Outcome.APPENDED, bank.ticket)


def test_a_reply_by_subject_number_from_a_stranger_is_held_for_review(bank):
    message = ingest("reply_subject_stranger.eml")

    assert (message.status, message.outcome) == (InboundMessage.Status.NEEDS_REVIEW, Outcome.QUARANTINED)
    assert message.ticket == bank.ticket
    assert "mallory@other.example" in message.reason and "SR-2026-000123" in message.reason
    assert not bank.ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).exists()
    assert Ticket.objects.count() == 1


def test_a_held_message_is_appended_when_processed_again_after_the_sender_became_a_contact(bank):
    message = ingest("reply_subject_stranger.eml")
    bank.reporter.__class__.objects.create(
        customer=bank.customer, name="Mallory", email="mallory@other.example"
    )

    again = services.reprocess_message(message=message, by=bank.specialist, now=NOW)

    assert (again.status, again.outcome, again.ticket) == (
        InboundMessage.Status.PROCESSED,
        Outcome.APPENDED,
        bank.ticket,
    )
    assert again.attempts == 2


def test_only_staff_who_take_reports_process_a_message_again(bank):
    message = ingest("reply_subject_stranger.eml")

    with pytest.raises(NotPermitted):
        services.reprocess_message(message=message, by=bank.engineer, now=NOW)
    processed = ingest("big5.eml")
    with pytest.raises(InvalidTransition):
        services.reprocess_message(message=processed, by=bank.specialist, now=NOW)


# --- loops, bounces, duplicates --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "auto_reply_auto_submitted.eml",
        "auto_reply_x_autoreply.eml",
        "auto_reply_x_autorespond.eml",
        "auto_reply_x_auto_response_suppress.eml",
        "auto_reply_precedence_bulk.eml",
        "auto_reply_precedence_junk.eml",
        "auto_reply_precedence_list.eml",
        "auto_reply_precedence_auto_reply.eml",
    ],
)
def test_an_automatic_reply_never_opens_a_ticket_nor_is_answered_but_is_noted_on_its_ticket(bank, name):
    outbox_before = OutboxMessage.objects.count()

    message = ingest(name)

    assert (message.outcome, message.ticket) == (Outcome.AUTO_REPLY, bank.ticket)
    assert Ticket.objects.count() == 1
    assert OutboxMessage.objects.count() == outbox_before
    note = bank.ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert note.is_public is False and "Automatic reply" in note.body
    assert not bank.ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).exists()


def test_an_automatic_reply_to_nothing_we_know_stays_in_the_intake_log_only(bank):
    raw = eml("auto_reply_x_autoreply.eml").replace(b"In-Reply-To: <ack-fixture@aftersales>\n", b"")

    message = services.ingest_message(raw=raw, now=NOW)

    assert (message.outcome, message.ticket, message.reason) == (Outcome.AUTO_REPLY, None, "x-autoreply: yes")
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["bounce_report.eml", "bounce_empty_return_path.eml", "bounce_postmaster.eml"]
)
def test_a_bounce_never_opens_a_ticket(bank, name):
    message = ingest(name)

    assert message.outcome == Outcome.BOUNCE
    assert Ticket.objects.count() == 1
    assert not OutboxMessage.objects.exclude(pk=bank.ack.pk).exists()


def test_a_delivery_report_about_our_acknowledgement_is_noted_on_its_ticket(bank):
    message = ingest("bounce_report.eml")

    assert message.ticket == bank.ticket
    assert "Delivery failure" in bank.ticket.events.get(kind=TicketEvent.Kind.NOTE).body


def test_our_own_message_coming_back_is_ignored(bank):
    message = ingest("own_message.eml")

    assert message.outcome == Outcome.DUPLICATE and "Our own message" in message.reason
    assert Ticket.objects.count() == 1
    assert not bank.ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).exists()


def test_the_same_message_delivered_twice_is_a_duplicate(bank):
    first = ingest("gbk_quoted_printable.eml")
    second = ingest("gbk_quoted_printable.eml")

    assert (second.outcome, second.duplicate_of, second.ticket) == (Outcome.DUPLICATE, first, first.ticket)
    assert Ticket.objects.count() == 2


def test_a_message_without_message_id_is_a_duplicate_when_its_bytes_are_the_same(bank):
    first = ingest("no_message_id.eml")
    second = ingest("no_message_id.eml")
    different = services.ingest_message(raw=eml("no_message_id.eml") + b"PS\n", now=NOW)

    assert (first.outcome, second.outcome, different.outcome) == (
        Outcome.NEW_TICKET,
        Outcome.DUPLICATE,
        Outcome.NEW_TICKET,
    )


def test_the_same_reply_delivered_twice_is_recorded_once(bank):
    ingest("reply_in_reply_to.eml")
    again = ingest("reply_in_reply_to.eml")

    assert again.outcome == Outcome.DUPLICATE
    assert bank.ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).count() == 1


# --- store first, quarantine, crashes -------------------------------------------------------------


def test_what_cannot_be_read_is_quarantined_with_its_raw_bytes_kept(bank):
    message = ingest("not_mail.eml")

    assert (message.status, message.outcome) == (InboundMessage.Status.QUARANTINED, Outcome.QUARANTINED)
    assert "not an e-mail message" in message.reason
    assert bytes(message.raw) == eml("not_mail.eml")
    assert len(message.sha256) == 64


def test_one_bad_message_never_blocks_the_next(bank, monkeypatch):
    real_open = services._open_ticket

    def failing_once(message, mail, now):
        if mail.message_id == "<big5@bank-a.example>":
            raise ValueError("something unexpected")
        return real_open(message, mail, now)

    monkeypatch.setattr(services, "_open_ticket", failing_once)

    bad = ingest("big5.eml")
    good = ingest("gbk_quoted_printable.eml")

    assert (bad.outcome, good.outcome) == (Outcome.QUARANTINED, Outcome.NEW_TICKET)
    assert "ValueError: something unexpected" in bad.reason
    assert Ticket.objects.filter(title="伺服器無法啟動").count() == 0


class Crash(BaseException):
    """The process dying mid-way (not an error the intake could catch and quarantine)."""


def test_a_crash_while_processing_loses_nothing_and_a_second_pass_processes_each_once(bank, monkeypatch):
    stored = [
        services.store_piped_message(raw=eml(name), source_name=name, now=NOW)
        for name in ("big5.eml", "reply_in_reply_to.eml")
    ]
    real_add = services.tickets.add_customer_message

    def crash_after_writing(**kwargs):
        real_add(**kwargs)
        raise Crash

    monkeypatch.setattr(services.tickets, "add_customer_message", crash_after_writing)
    with pytest.raises(Crash):
        services.process_pending(now=NOW)

    assert list(InboundMessage.objects.values_list("status", flat=True).order_by("pk")) == [
        InboundMessage.Status.PROCESSED,
        InboundMessage.Status.RECEIVED,
    ]
    assert not bank.ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).exists()

    monkeypatch.setattr(services.tickets, "add_customer_message", real_add)
    services.process_pending(now=NOW)
    services.process_pending(now=NOW)

    assert [m.outcome for m in InboundMessage.objects.order_by("pk")] == [
        Outcome.NEW_TICKET,
        Outcome.APPENDED,
    ]
    assert bank.ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).count() == 1
    assert Ticket.objects.count() == 2
    assert InboundMessage.objects.count() == len(stored)


def test_a_processed_message_is_not_processed_again(bank):
    message = ingest("big5.eml")

    again = services.process_message(message=message, now=NOW)

    assert again.attempts == 1
    assert Ticket.objects.count() == 2


def test_piped_mail_without_a_received_header_is_received_now(bank):
    raw = b"From: li.ming@bank-a.example\nSubject: hello\nMessage-ID: <x@y>\n\nbody\n"

    message = services.ingest_message(raw=raw, now=NOW)

    assert message.received_at == NOW
    assert message.ticket.reported_at == NOW


def test_a_message_that_keeps_stopping_the_worker_is_quarantined_and_the_next_one_goes_through(
    bank, monkeypatch
):
    poison = services.store_piped_message(raw=eml("big5.eml"), now=NOW)
    services.store_piped_message(raw=eml("gbk_quoted_printable.eml"), now=NOW)
    real_handle = services._handle

    def dies_on_the_first(message, now):
        if message.pk == poison.pk:
            raise Crash
        return real_handle(message, now)

    monkeypatch.setattr(services, "_handle", dies_on_the_first)
    for _ in range(services.MAX_INTERRUPTED_ATTEMPTS):
        with pytest.raises(Crash):
            services.process_pending(now=NOW)

    first, second = services.process_pending(now=NOW)

    assert (first.status, second.outcome) == (InboundMessage.Status.QUARANTINED, Outcome.NEW_TICKET)
    assert "interrupted 3 times" in first.reason


def test_auto_submitted_no_is_an_ordinary_message(bank):
    raw = eml("big5.eml").replace(b"MIME-Version: 1.0\n", b"MIME-Version: 1.0\nAuto-Submitted: no\n")

    assert services.ingest_message(raw=raw, now=NOW).outcome == Outcome.NEW_TICKET
