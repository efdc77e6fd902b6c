"""Phone intake: caller lookup, entitlement shown, the ticket created from the call's start, read back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.commitments.models import Clock, Milestone
from aftersales.desk.forms import format_call_start
from aftersales.tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db


def report(cast, started, **overrides) -> dict:
    data = {
        "customer": cast.first.pk,
        "call_started_at": format_call_start(started),
        "reporter": cast.caller.pk,
        "reporter_name": "",
        "reporter_phone": "+86 138-0000-1234",
        "unit": cast.unit.pk,
        "kind": "fault",
        "severity": "severe",
        "title": "密码机无法签名",
        "description": "交易签名全部失败，业务中断，已重启一次无效。",
        "business_impact": "柜面交易停止",
        "onsite_contact": "",
        "guidance": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


@pytest.mark.smoke
def test_the_caller_is_found_by_a_number_written_differently_and_chosen_with_the_unit(client, cast):
    client.force_login(cast.specialist)

    response = client.get("/desk/intake/phone/", {"number": "+86 138-0000-1234"})

    assert response.status_code == 200
    assert response.context["matches"].contacts == [cast.caller]
    form = response.context["form"]
    assert form["reporter"].value() == cast.caller.pk
    assert form["unit"].value() == cast.unit.pk  # the customer's only unit
    unit_line = response.context["units"][0]
    assert (unit_line["serial"], unit_line["verdict"]) == (cast.unit.serial, "in_warranty")
    assert "Hardware warranty until" in unit_line["reason"]


def test_the_page_remembers_when_the_call_started(client, cast):
    client.force_login(cast.specialist)
    before = timezone.now().replace(microsecond=0)

    first = client.get("/desk/intake/phone/", {"number": "13800001234"})
    started = first.context["kept"]["started"]
    later = client.get("/desk/intake/phone/", {"number": "13800001234", "started": started, "q": "SJJ"})

    assert first.context["started"] >= before
    assert later.context["form"]["call_started_at"].value() == started


def test_the_caller_can_be_found_by_serial_or_customer_name(client, cast):
    client.force_login(cast.specialist)

    by_serial = client.get("/desk/intake/phone/", {"q": cast.unit.serial.lower()})
    by_name = client.get("/desk/intake/phone/", {"q": "蜀都"})

    assert by_serial.context["customer"] == cast.first
    assert by_serial.context["form"]["unit"].value() == cast.unit.pk
    assert by_name.context["customer"] == cast.second


def test_an_account_manager_finds_only_their_customers_callers(client, cast):
    client.force_login(cast.account)

    response = client.get("/desk/intake/phone/", {"q": "蜀都"})

    assert response.context["matches"].customers == []
    assert response.context["form"] is None


def test_the_report_becomes_a_ticket_whose_response_clock_started_at_the_call(client, cast):
    client.force_login(cast.specialist)
    started = timezone.now().replace(microsecond=0) - timedelta(minutes=4)

    response = client.post("/desk/intake/phone/", report(cast, started))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/intake/phone/done/{ticket.number}/"
    assert ticket.channel == Channel.PHONE
    assert ticket.reported_at == started
    assert ticket.taken_by == cast.specialist
    clock = Clock.objects.get(subject_id=ticket.pk, milestone=Milestone.RESPONSE)
    assert clock.started_at == started
    assert clock.status == Clock.Status.RUNNING


def test_guidance_given_during_the_call_meets_the_response_promise(client, cast):
    client.force_login(cast.specialist)
    started = timezone.now().replace(microsecond=0) - timedelta(minutes=6)

    client.post(
        "/desk/intake/phone/",
        report(cast, started, guidance_given="on", guidance="指导客户切换备机，业务已恢复"),
    )

    ticket = Ticket.objects.get()
    clock = Clock.objects.get(subject_id=ticket.pk, milestone=Milestone.RESPONSE)
    assert clock.status == Clock.Status.MET
    assert clock.met_at == started
    assert ticket.first_response_at == started


def test_the_read_back_page_shows_the_number_in_large_type(client, cast):
    client.force_login(cast.specialist)
    client.post("/desk/intake/phone/", report(cast, timezone.now()))
    ticket = Ticket.objects.get()

    response = client.get(f"/desk/intake/phone/done/{ticket.number}/")
    html = response.content.decode()

    assert f'<p class="bignum" id="ticket-number">{ticket.number}</p>' in html
    assert f'href="/desk/tickets/{ticket.number}/"' in html
    assert "王经理 138 0000 0000" in html  # severe: the emergency line is read out too


def test_a_fault_without_severity_or_unit_is_refused_with_the_reason(client, cast):
    client.force_login(cast.specialist)

    response = client.post("/desk/intake/phone/", report(cast, timezone.now(), severity="", unit=""))

    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"severity", "unit"}
    assert not Ticket.objects.exists()


def test_a_call_start_in_the_future_is_a_form_error_not_a_server_error(client, cast):
    client.force_login(cast.specialist)

    response = client.post("/desk/intake/phone/", report(cast, timezone.now() + timedelta(hours=2)))

    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_unknown_caller_is_recorded_by_name_and_number(client, cast):
    client.force_login(cast.specialist)

    client.post(
        "/desk/intake/phone/",
        report(
            cast,
            timezone.now(),
            reporter="",
            reporter_name="值班员小李",
            reporter_phone="023-6789 1234",
            kind="consultation",
            severity="",
            unit="",
        ),
    )

    ticket = Ticket.objects.get()
    assert ticket.reporter is None
    assert (ticket.reporter_name, ticket.reporter_phone) == ("值班员小李", "023-6789 1234")
    assert ticket.unit is None
