"""A customer's message on a ticket (mail, portal) and the files sent with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.core.errors import InvalidInput, NotPermitted
from aftersales.tickets import services
from aftersales.tickets.models import Attachment, Channel, Status, TicketEvent
from aftersales.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _statuses(ticket):
    return list(ticket.events.filter(kind=TicketEvent.Kind.STATUS).values_list("data__move", flat=True))


@pytest.mark.smoke
def test_a_message_on_a_waiting_ticket_puts_it_back_to_work(unit):
    ticket = TicketFactory(unit=unit, status=Status.WAITING)

    event = services.add_customer_message(ticket=ticket, body="日志已上传", channel=Channel.EMAIL, at=T0)

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert (event.kind, event.is_public, event.body) == (TicketEvent.Kind.CUSTOMER_REPLY, True, "日志已上传")
    assert _statuses(ticket) == ["customer_replied"]


def test_a_message_on_a_resolved_ticket_reopens_it(unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED)

    services.add_customer_message(ticket=ticket, body="问题又出现了", channel=Channel.EMAIL, at=T0)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (Status.IN_PROGRESS, None)
    assert _statuses(ticket) == ["customer_reopened"]


def test_a_message_on_a_closed_ticket_within_the_window_reopens_it(unit):
    ticket = TicketFactory(unit=unit, status=Status.CLOSED, closed_at=T0, auto_closed=True)

    services.add_customer_message(
        ticket=ticket, body="again", channel=Channel.WEB, at=T0 + timedelta(days=29)
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at, ticket.auto_closed) == (Status.IN_PROGRESS, None, False)


def test_a_message_on_a_ticket_closed_past_the_window_is_kept_for_a_specialist(unit):
    ticket = TicketFactory(unit=unit, status=Status.CLOSED, closed_at=T0)

    services.add_customer_message(
        ticket=ticket, body="again", channel=Channel.EMAIL, at=T0 + timedelta(days=31)
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert (note.is_public, note.data["needs_review"]) == (False, True)
    assert ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).count() == 1


def test_a_message_on_a_cancelled_ticket_is_recorded_without_moving_it(unit):
    ticket = TicketFactory(unit=unit, status=Status.CANCELLED)

    services.add_customer_message(ticket=ticket, body="还在吗", channel=Channel.EMAIL, at=T0)

    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert ticket.events.filter(kind=TicketEvent.Kind.NOTE).exists()


def test_a_message_on_an_open_ticket_is_just_recorded(unit):
    ticket = TicketFactory(unit=unit, status=Status.IN_PROGRESS)

    services.add_customer_message(ticket=ticket, body="补充信息", channel=Channel.EMAIL, at=T0)

    assert _statuses(ticket) == []
    assert ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).count() == 1


def test_the_same_message_id_is_recorded_once(unit):
    ticket = TicketFactory(unit=unit, status=Status.IN_PROGRESS)

    first = services.add_customer_message(
        ticket=ticket, body="x", channel=Channel.EMAIL, at=T0, message_id="<a@example>"
    )
    second = services.add_customer_message(
        ticket=ticket, body="x", channel=Channel.EMAIL, at=T0, message_id="<a@example>"
    )

    assert first.pk == second.pk
    assert ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).count() == 1


def test_an_empty_message_is_refused(unit):
    ticket = TicketFactory(unit=unit, status=Status.IN_PROGRESS)

    with pytest.raises(InvalidInput, match="empty"):
        services.add_customer_message(ticket=ticket, body="  ", channel=Channel.WEB, at=T0)


def test_another_organisations_user_may_not_write_on_the_ticket(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.IN_PROGRESS)

    with pytest.raises(NotPermitted):
        services.add_customer_message(ticket=ticket, body="x", channel=Channel.WEB, at=T0, by=cast.customer2)


def test_a_customer_user_reopens_their_resolved_ticket_from_the_portal(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED)

    event = services.add_customer_message(
        ticket=ticket,
        body="not fixed",
        channel=Channel.WEB,
        at=T0,
        by=cast.customer1,
        attachments=[SimpleUploadedFile("日志.TXT", b"log line", content_type="text/plain")],
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    (attachment,) = event.attachments.all()
    assert (attachment.original_name, attachment.uploaded_by, attachment.size) == (
        "日志.TXT",
        cast.customer1,
        8,
    )
    assert attachment.file.read() == b"log line"


def test_an_attachment_is_stored_under_a_generated_name_whatever_it_was_called(unit):
    ticket = TicketFactory(unit=unit)

    (attachment,) = services.attach_files(
        ticket=ticket,
        files=[services.IncomingFile("../../aftersales/settings.py", "text/x-python", b"print(1)")],
        at=T0,
    )

    assert attachment.file.name.startswith("attachments/")
    assert attachment.file.name.endswith(".py")
    assert ".." not in attachment.file.name and "settings" not in attachment.file.name
    assert attachment.original_name == ".._.._aftersales_settings.py"
    assert len(attachment.sha256) == 64


def test_an_oversize_attachment_is_refused_with_a_note_while_the_rest_is_kept(settings, unit):
    settings.AFTERSALES_MAX_ATTACHMENT_MB = 0.001  # about 1 KB
    ticket = TicketFactory(unit=unit)

    big, small = services.attach_files(
        ticket=ticket,
        files=[
            services.IncomingFile("dump.bin", "application/octet-stream", b"x" * 5000),
            services.IncomingFile("a.txt", "text/plain", b"ok"),
        ],
        at=T0,
    )

    assert (big.refused, big.file.name, big.size) == (True, "", 5000)
    assert "limit" in big.refusal_reason
    assert (small.refused, Attachment.objects.filter(ticket=ticket, refused=False).count()) == (False, 1)
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert "dump.bin" in note.body and note.is_public is False
