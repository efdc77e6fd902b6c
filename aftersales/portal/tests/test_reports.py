"""Reporting in the portal: a fault, a question or a complaint becomes a web ticket at once."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from aftersales.commitments.models import Clock, Milestone
from aftersales.notifications.models import OutboxMessage
from aftersales.portal.tests.conftest import EMERGENCY, open_fault
from aftersales.tickets.models import Attachment, Channel, Kind, Severity, Status, Ticket, TicketEvent
from aftersales.tickets.services import SUBJECT_TYPE

pytestmark = pytest.mark.django_db

DESCRIPTION = "加密卡无法初始化，柜面交易签名全部失败，设备告警灯常亮，已重启一次无效。"


def fault_form(cast, **overrides):
    data = {
        "unit": cast.unit1.pk,
        "serial": "",
        "severity": Severity.SEVERE,
        "title": "服务器密码机无法签名",
        "description": DESCRIPTION,
        "business_impact": "全行柜面业务中断",
        "onsite_contact": cast.contact1.pk,
    }
    return {**data, **overrides}


@pytest.mark.smoke
def test_a_fault_reported_in_the_portal_is_a_web_ticket_with_its_clock_files_and_acknowledgement(
    cast, portal_client
):
    client = portal_client(cast.customer1)
    files = [
        SimpleUploadedFile("../../etc/告警截图.PNG", b"\x89PNG fake image", content_type="image/png"),
        SimpleUploadedFile("system.log", b"crypto card timeout\n" * 10, content_type="text/plain"),
    ]
    before = timezone.now()

    response = client.post(reverse("portal:report_fault"), {**fault_form(cast), "attachments": files})

    after = timezone.now()
    ticket = Ticket.objects.exclude(pk__in=[cast.ticket1.pk, cast.ticket2.pk]).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket", args=[ticket.number])
    assert (ticket.channel, ticket.kind, ticket.severity, ticket.status) == (
        Channel.WEB,
        Kind.FAULT,
        Severity.SEVERE,
        Status.NEW,
    )
    assert (ticket.customer, ticket.unit, ticket.reporter, ticket.onsite_contact) == (
        cast.first,
        cast.unit1,
        cast.contact1,
        cast.contact1,
    )
    assert before <= ticket.reported_at <= after
    response_clock = Clock.objects.get(
        subject_type=SUBJECT_TYPE, subject_id=ticket.pk, milestone=Milestone.RESPONSE
    )
    assert response_clock.started_at == ticket.reported_at
    stored = list(Attachment.objects.filter(ticket=ticket).order_by("original_name"))
    assert [a.original_name for a in stored] == ["system.log", "告警截图.PNG"]
    for attachment in stored:
        assert attachment.file.name.startswith("attachments/")
        assert "告警" not in attachment.file.name and ".." not in attachment.file.name
        assert attachment.event == ticket.events.get(kind=TicketEvent.Kind.CREATED)
    acknowledgement = OutboxMessage.objects.get(dedupe_key=f"ticket:{ticket.pk}:ack")
    assert (acknowledgement.address, acknowledgement.reference) == ("it1@bank.example", ticket.number)
    page = client.get(response["Location"]).content.decode()
    assert f"Your report is registered as {ticket.number}" in page
    assert "告警截图.PNG" in page


def test_a_unit_may_be_named_by_its_serial_typed_loosely(cast, portal_client):
    client = portal_client(cast.customer1)

    response = client.post(
        reverse("portal:report_fault"), fault_form(cast, unit="", serial=" sjj-cq-0001 ", severity="general")
    )

    assert response.status_code == 302
    assert Ticket.objects.get(channel=Channel.WEB).unit == cast.unit1


def test_another_organisations_unit_cannot_be_reported_on_by_serial_or_by_id(cast, portal_client):
    client = portal_client(cast.customer1)

    by_serial = client.post(
        reverse("portal:report_fault"), fault_form(cast, unit="", serial=cast.unit2.serial)
    )
    by_id = client.post(reverse("portal:report_fault"), fault_form(cast, unit=cast.unit2.pk))

    assert by_serial.status_code == by_id.status_code == 400
    assert (
        f"No unit of your organisation has the serial number {cast.unit2.serial}"
        in by_serial.content.decode()
    )
    assert "Select a valid choice" in by_id.content.decode()
    assert not Ticket.objects.filter(channel=Channel.WEB).exists()


def test_another_organisations_contact_cannot_be_the_onsite_contact(cast, portal_client):
    response = portal_client(cast.customer1).post(
        reverse("portal:report_fault"), fault_form(cast, onsite_contact=cast.contact2.pk)
    )

    assert response.status_code == 400
    assert not Ticket.objects.filter(channel=Channel.WEB).exists()


def test_a_fault_needs_a_detailed_description_and_a_severe_one_its_business_impact(cast, portal_client):
    response = portal_client(cast.customer1).post(
        reverse("portal:report_fault"), fault_form(cast, description="坏了", business_impact="")
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "at least 20 characters" in page
    assert "say which business is interrupted" in page
    assert not Ticket.objects.filter(channel=Channel.WEB).exists()


def test_a_file_over_the_size_limit_is_refused_with_the_report_kept_in_the_form(
    cast, portal_client, settings
):
    settings.AFTERSALES_MAX_ATTACHMENT_MB = 1
    big = SimpleUploadedFile("dump.bin", b"0" * (1024 * 1024 + 1))

    response = portal_client(cast.customer1).post(
        reverse("portal:report_fault"), {**fault_form(cast), "attachments": [big]}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Each file may be at most 1.0" in page and "dump.bin" in page
    assert DESCRIPTION in page
    assert not Ticket.objects.filter(channel=Channel.WEB).exists()


def test_the_fault_form_explains_severity_and_shows_the_emergency_contact(cast, portal_client):
    response = portal_client(cast.customer1).get(reverse("portal:report_fault"))

    page = response.content.decode()
    assert "business system is interrupted" in page
    assert "Slight impact" in page
    assert 'id="emergency-contact"' in page and EMERGENCY in page


def test_without_a_centre_contact_the_configured_default_emergency_line_is_shown(
    cast, portal_client, settings
):
    settings.AFTERSALES_EMERGENCY_CONTACT = "售后总监 400-800-0000"
    cast.centre.emergency_contact = ""
    cast.centre.save(update_fields=["emergency_contact"])
    client = portal_client(cast.customer1)

    form_page = client.get(reverse("portal:report_fault")).content.decode()
    severe = open_fault(
        by=cast.specialist,
        customer=cast.first,
        unit=cast.unit1,
        reporter=cast.contact1,
        severity=Severity.SEVERE,
    )
    ticket_page = client.get(reverse("portal:ticket", args=[severe.number])).content.decode()

    assert "售后总监 400-800-0000" in form_page
    assert "售后总监 400-800-0000" in ticket_page


def test_the_page_of_a_severe_fault_shows_the_emergency_contact_and_a_general_one_does_not(
    cast, portal_client
):
    severe = open_fault(
        by=cast.specialist,
        customer=cast.first,
        unit=cast.unit1,
        reporter=cast.contact1,
        severity=Severity.SEVERE,
    )
    client = portal_client(cast.customer1)

    severe_page = client.get(reverse("portal:ticket", args=[severe.number])).content.decode()
    general_page = client.get(reverse("portal:ticket", args=[cast.ticket1.number])).content.decode()

    assert 'id="emergency-contact"' in severe_page and EMERGENCY in severe_page
    assert 'id="emergency-contact"' not in general_page and EMERGENCY not in general_page


def test_a_report_started_from_a_unit_page_names_the_unit(cast, portal_client):
    client = portal_client(cast.customer1)

    own = client.get(reverse("portal:report_fault"), {"unit": cast.unit1.serial})
    other = client.get(reverse("portal:report_fault"), {"unit": cast.unit2.serial})

    assert own.context["form"].initial["unit"] == cast.unit1.pk
    assert "unit" not in other.context["form"].initial


def test_a_question_is_a_consultation_ticket_with_its_files(cast, portal_client):
    response = portal_client(cast.customer1).post(
        reverse("portal:report_consultation"),
        {
            "unit": "",
            "title": "如何升级到 3.3 版本？",
            "description": "请问升级前是否需要备份密钥？",
            "attachments": [SimpleUploadedFile("截图.png", b"png")],
        },
    )

    ticket = Ticket.objects.get(channel=Channel.WEB)
    assert response.status_code == 302
    assert (ticket.kind, ticket.customer, ticket.unit, ticket.severity) == (
        Kind.CONSULTATION,
        cast.first,
        None,
        "",
    )
    assert ticket.attachments.get().original_name == "截图.png"


def test_a_complaint_goes_to_the_customer_service_manager(cast, portal_client):
    client = portal_client(cast.customer1)
    form_page = client.get(reverse("portal:report_complaint"), {"about": cast.ticket1.number})
    foreign = client.get(reverse("portal:report_complaint"), {"about": cast.ticket2.number})

    response = client.post(
        reverse("portal:report_complaint"),
        {
            "title": form_page.context["form"].initial["title"],
            "description": "工程师迟到两小时，未提前告知。",
        },
    )

    ticket = Ticket.objects.get(channel=Channel.WEB)
    assert response.status_code == 302
    assert (ticket.kind, ticket.assignee, ticket.title) == (
        Kind.COMPLAINT,
        cast.manager,
        f"About {cast.ticket1.number}",
    )
    assert "title" not in foreign.context["form"].initial
