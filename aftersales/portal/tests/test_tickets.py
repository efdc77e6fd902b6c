"""Following a ticket in the portal: the public timeline, replies with files, and the follow-up."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.portal.tests.conftest import open_fault
from aftersales.tickets import services
from aftersales.tickets.models import Channel, FollowUp, Level, Status, TicketEvent

pytestmark = pytest.mark.django_db


def resolve(cast, ticket):
    """The centre works the ticket and resolves it with its handling report."""
    services.accept_ticket(ticket=ticket, by=cast.engineer)
    services.start_work(ticket=ticket, by=cast.engineer)
    return services.resolve_ticket(
        ticket=ticket,
        by=cast.engineer,
        diagnosis="加密卡固件异常",
        actions_taken="远程升级加密卡固件至 2.1.4，签名恢复正常",
        level_reached=Level.L2,
        root_cause="固件缺陷（内部编号 FW-77）",
    )


def test_the_timeline_shows_public_events_and_never_internal_notes(cast, portal_client):
    ticket = cast.ticket1
    services.add_internal_note(ticket=ticket, by=cast.engineer, body="内部：客户去年欠费，先别上门")
    services.reply_to_customer(ticket=ticket, by=cast.engineer, body="请发送设备日志")
    internal = SimpleUploadedFile("内部分析.txt", b"internal")
    services.attach_files(
        ticket=ticket, files=[internal], at=ticket.reported_at, by=cast.engineer, is_public=False
    )
    resolve(cast, ticket)

    page = portal_client(cast.customer1).get(reverse("portal:ticket", args=[ticket.number])).content.decode()

    assert "请发送设备日志" in page and "日志见附件 1" in page and "log1.txt" in page
    assert "先别上门" not in page
    assert "内部分析.txt" not in page
    assert "FW-77" not in page  # the root cause is for the vendor's quality work, not the customer
    assert "Internal note" not in page


def test_the_ticket_list_costs_the_same_few_queries_for_many_tickets(cast, portal_client):
    client = portal_client(cast.customer1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("portal:tickets"))
    for _ in range(10):
        open_fault(by=cast.specialist, customer=cast.first, unit=cast.unit1, reporter=cast.contact1)

    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("portal:tickets"))

    assert response.status_code == 200
    assert len(many) == len(few)


def test_a_reply_with_files_lands_on_the_ticket_as_the_customers_message(cast, portal_client):
    ticket = cast.ticket1
    client = portal_client(cast.customer1)

    response = client.post(
        reverse("portal:reply", args=[ticket.number]),
        {
            "reply-body": "已按要求重启，日志见附件",
            "reply-attachments": [SimpleUploadedFile("重启日志.txt", b"reboot ok")],
        },
    )

    assert response.status_code == 302
    event = ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).latest("id")
    assert (event.body, event.actor, event.is_public, event.data["channel"]) == (
        "已按要求重启，日志见附件",
        cast.customer1,
        True,
        Channel.WEB,
    )
    attachment = event.attachments.get()
    assert attachment.original_name == "重启日志.txt"
    download = client.get(reverse("portal:attachment", args=[ticket.number, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"reboot ok"
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")


def test_an_empty_reply_is_refused(cast, portal_client):
    response = portal_client(cast.customer1).post(
        reverse("portal:reply", args=[cast.ticket1.number]), {"reply-body": " "}
    )

    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()


def test_a_file_staff_kept_internal_cannot_be_downloaded(cast, portal_client):
    internal = services.attach_files(
        ticket=cast.ticket1,
        files=[SimpleUploadedFile("内部分析.txt", b"internal")],
        at=cast.ticket1.reported_at,
        by=cast.engineer,
        is_public=False,
    )[0]

    response = portal_client(cast.customer1).get(
        reverse("portal:attachment", args=[cast.ticket1.number, internal.pk])
    )

    assert response.status_code == 404


@pytest.mark.smoke
def test_confirming_fixed_in_the_portal_closes_the_ticket_with_the_rating(cast, portal_client):
    ticket = resolve(cast, cast.ticket1)
    client = portal_client(cast.customer1)
    page = client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert 'id="follow-up"' in page and "远程升级加密卡固件" in page

    response = client.post(
        reverse("portal:follow_up", args=[ticket.number]),
        {
            "followup-version": ticket.version,
            "followup-outcome": "fixed",
            "followup-satisfaction": "4",
            "followup-comment": "响应及时",
        },
    )

    ticket.refresh_from_db()
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert response.status_code == 302
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    assert (
        follow_up.is_fixed,
        follow_up.satisfaction,
        follow_up.comment,
        follow_up.recorded_by,
        follow_up.channel,
    ) == (
        True,
        4,
        "响应及时",
        cast.customer1,
        Channel.WEB,
    )
    closed_page = client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert "rated 4 of 5" in closed_page and 'id="follow-up"' not in closed_page


def test_not_fixed_sends_the_ticket_back_to_work(cast, portal_client):
    ticket = resolve(cast, cast.ticket1)

    response = portal_client(cast.customer1).post(
        reverse("portal:follow_up", args=[ticket.number]),
        {
            "followup-version": ticket.version,
            "followup-outcome": "not_fixed",
            "followup-comment": "仍然无法签名",
        },
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.resolved_at) == (Status.IN_PROGRESS, None)
    assert FollowUp.objects.get(ticket=ticket).is_fixed is False


def test_confirming_needs_a_rating_and_not_fixed_needs_what_still_fails(cast, portal_client):
    ticket = resolve(cast, cast.ticket1)
    client = portal_client(cast.customer1)
    url = reverse("portal:follow_up", args=[ticket.number])

    no_rating = client.post(url, {"followup-version": ticket.version, "followup-outcome": "fixed"})
    no_reason = client.post(url, {"followup-version": ticket.version, "followup-outcome": "not_fixed"})

    ticket.refresh_from_db()
    assert no_rating.status_code == no_reason.status_code == 400
    assert "rate our service from 1 to 5" in no_rating.content.decode()
    assert "what still does not work" in no_reason.content.decode()
    assert ticket.status == Status.RESOLVED


def test_a_confirmation_built_before_a_change_is_refused(cast, portal_client):
    ticket = resolve(cast, cast.ticket1)
    stale = ticket.version
    services.add_internal_note(ticket=ticket, by=cast.engineer, body="回访前核对")

    response = portal_client(cast.customer1).post(
        reverse("portal:follow_up", args=[ticket.number]),
        {"followup-version": stale, "followup-outcome": "fixed", "followup-satisfaction": "5"},
    )

    ticket.refresh_from_db()
    assert response.status_code == 400
    assert "reload and try again" in response.content.decode()
    assert ticket.status == Status.RESOLVED


def test_a_ticket_not_yet_resolved_offers_no_confirmation_and_refuses_one(cast, portal_client):
    ticket = cast.ticket1
    client = portal_client(cast.customer1)

    page = client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    response = client.post(
        reverse("portal:follow_up", args=[ticket.number]),
        {"followup-version": ticket.version, "followup-outcome": "fixed", "followup-satisfaction": "5"},
    )

    ticket.refresh_from_db()
    assert 'id="follow-up"' not in page
    assert response.status_code == 400
    assert ticket.status != Status.CLOSED


def test_a_reply_that_came_by_mail_is_shown_as_the_customers_not_the_vendors(cast, portal_client):
    services.add_customer_message(ticket=cast.ticket1, body="补充：备机也出现同样告警", channel=Channel.EMAIL)

    page = (
        portal_client(cast.customer1)
        .get(reverse("portal:ticket", args=[cast.ticket1.number]))
        .content.decode()
    )

    assert f"E-mail from {cast.ticket1.reporter_name}" in page
    assert "补充：备机也出现同样告警" in page
