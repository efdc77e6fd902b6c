"""The ticket page: what it shows, what it costs, and how its forms change the ticket (or refuse to)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.tickets import services
from aftersales.tickets.models import Status, TicketEvent

pytestmark = pytest.mark.django_db


def url(ticket, action: str = "") -> str:
    return f"/desk/tickets/{ticket.number}/" + (f"do/{action}/" if action else "")


def post(client, ticket, action: str, data: dict, *, htmx: bool = False, version: int | None = None):
    payload = {f"{action}-version": ticket.version if version is None else version}
    payload.update({f"{action}-{name}": value for name, value in data.items()})
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url(ticket, action), payload, **extra)


def test_the_page_shows_the_clocks_the_entitlement_and_the_timeline(client, cast, open_fault):
    ticket = open_fault(reported_at=timezone.now() - timedelta(minutes=5))
    services.add_internal_note(ticket=ticket, by=cast.engineer, body="先查日志")
    client.force_login(cast.engineer)

    response = client.get(url(ticket))
    page = response.context["page"]
    html = response.content.decode()

    assert response.status_code == 200
    response_clock = next(line for line in page.clocks if line.state == "running" and line.due_ms)
    assert response_clock.risk == "on-track"
    assert "In warranty" in html
    assert "Hardware warranty until" in html
    assert [entry.kind for entry in page.timeline][:1] == ["created"]
    assert "先查日志" in html and "internal note" in html
    assert f'href="/desk/units/{cast.unit.serial}/"' in html


def test_a_met_clock_says_how_early_and_a_late_one_how_late(client, cast, open_fault):
    now = timezone.now()
    early = open_fault(reported_at=now - timedelta(minutes=10))
    services.log_call(ticket=early, by=cast.specialist, direction="outbound", summary="已回电")
    late = open_fault(reported_at=now - timedelta(minutes=50))
    services.reply_to_customer(ticket=late, by=cast.specialist, body="我们正在处理")
    client.force_login(cast.specialist)

    early_line = client.get(url(early)).context["page"].clocks[0]
    late_line = client.get(url(late)).context["page"].clocks[0]

    assert (early_line.state, early_line.risk) == ("met", "met")
    assert "early" in early_line.detail
    assert (late_line.state, late_line.risk) == ("late", "breached")
    assert "20 min late" in late_line.detail


def test_the_number_of_queries_of_the_ticket_page_does_not_grow_with_its_history(
    client, cast, open_fault, django_assert_num_queries
):
    ticket = open_fault()
    services.accept_ticket(ticket=ticket, by=cast.engineer)
    client.force_login(cast.manager)
    client.get(url(ticket))
    with CaptureQueriesContext(connection) as short:
        client.get(url(ticket))
    for index in range(15):
        ticket = services.add_internal_note(ticket=ticket, by=cast.engineer, body=f"记录 {index}")
        ticket = services.log_call(ticket=ticket, by=cast.specialist, direction="outbound", summary="回电")
    ticket = services.request_onsite(ticket=ticket, by=cast.manager)
    ticket = services.request_onsite(ticket=ticket, by=cast.manager, rnd=True)
    services.write_handling_report(
        ticket=ticket, by=cast.engineer, diagnosis="主板", actions_taken="更换", level_reached="L3"
    )

    with django_assert_num_queries(len(short.captured_queries) + 2):  # + the current report's two reads
        response = client.get(url(ticket))

    assert len(response.context["page"].timeline) > 30
    assert len(response.context["page"].clocks) >= 3
    assert len(short.captured_queries) < 40


def test_a_stale_save_is_refused_with_a_conflict_and_changes_nothing(client, cast, open_fault):
    ticket = open_fault()
    stale_version = ticket.version
    services.add_internal_note(ticket=ticket, by=cast.manager, body="我先看一下")
    client.force_login(cast.engineer)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    by_htmx = post(client, ticket, "accept", {}, htmx=True, version=stale_version)
    full_page = post(client, ticket, "reply", {"body": "已收到"}, version=stale_version)

    assert by_htmx.status_code == 409
    assert "changed by" in by_htmx.content.decode()
    assert full_page.status_code == 200
    assert "changed by" in full_page.content.decode()
    assert str(cast.manager) in full_page.content.decode()
    assert "已收到" in full_page.content.decode()  # the typed reply is kept for the user
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_a_broken_business_rule_becomes_a_form_error_not_a_server_error(client, cast, open_fault):
    ticket = open_fault()
    client.force_login(cast.manager)

    response = post(
        client, ticket, "request_onsite", {"engineer_kind": "local", "description": "坏了"}, htmx=True
    )

    assert response.status_code == 400
    assert "detailed fault description" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.onsite_requested_at is None


def test_an_invalid_form_is_shown_again_with_its_errors(client, cast, open_fault):
    ticket = open_fault()
    client.force_login(cast.engineer)

    response = post(client, ticket, "reply", {"body": "   "})

    assert response.status_code == 200
    assert response.context["bound_name"] == "reply"
    bound = next(form for form in response.context["forms"] if form.name == "reply")
    assert "body" in bound.errors
    assert b'id="action-reply" class="action" open' in response.content


@pytest.mark.smoke
def test_a_ticket_goes_from_new_to_closed_through_the_page(client, cast, open_fault):
    ticket = open_fault()
    client.force_login(cast.engineer)

    assert post(client, ticket, "accept", {}).status_code == 302
    ticket.refresh_from_db()
    assert post(client, ticket, "start_work", {}, htmx=True)["HX-Redirect"] == url(ticket)
    ticket.refresh_from_db()
    assert post(client, ticket, "reply", {"body": "正在远程排查"}).status_code == 302
    ticket.refresh_from_db()
    resolved = post(
        client,
        ticket,
        "resolve",
        {"diagnosis": "主板通讯芯片故障", "actions_taken": "远程更换备用加密卡", "level_reached": "L2"},
    )
    assert resolved.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED

    client.force_login(cast.specialist)
    page = client.get(url(ticket))
    assert "主板通讯芯片故障" in page.content.decode()  # the handling report, read before the call
    followed = post(
        client, ticket, "follow_up", {"outcome": "fixed", "satisfaction": "5", "comment": "很满意"}
    )

    assert followed.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.follow_ups.get().satisfaction == 5


def test_a_follow_up_that_says_fixed_needs_a_satisfaction_score(client, cast, open_fault):
    ticket = open_fault()
    services.accept_ticket(ticket=ticket, by=cast.engineer)
    services.start_work(ticket=ticket, by=cast.engineer)
    services.resolve_ticket(
        ticket=ticket, by=cast.engineer, diagnosis="主板", actions_taken="更换", level_reached="L2"
    )
    client.force_login(cast.specialist)

    response = post(client, ticket, "follow_up", {"outcome": "fixed"})

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_cancelling_as_a_duplicate_links_the_original(client, cast, open_fault):
    original = open_fault()
    duplicate = open_fault()
    client.force_login(cast.specialist)

    response = post(client, duplicate, "cancel", {"duplicate_of": original.number.lower(), "reason": ""})

    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CANCELLED
    assert duplicate.duplicate_of == original


def test_a_duplicate_of_a_ticket_the_user_cannot_see_is_not_found(client, cast, open_fault):
    from aftersales.tickets.tests.factories import TicketFactory

    hidden = TicketFactory(centre=cast.chengdu)
    ticket = open_fault()
    client.force_login(cast.lead)

    response = post(client, ticket, "cancel", {"duplicate_of": hidden.number})

    assert response.status_code == 200
    assert f"No ticket {hidden.number} was found" in response.content.decode()


def test_the_acceptance_form_prints_the_ticket_with_signature_lines(client, cast, open_fault):
    ticket = open_fault()
    client.force_login(cast.specialist)

    response = client.get(f"/desk/tickets/{ticket.number}/acceptance-form/")
    html = response.content.decode()

    assert response.status_code == 200
    assert ticket.number in html and cast.unit.serial in html and "张工" in html
    assert "desk/print.css" in html
    assert html.count('class="signature"') == 2


def test_a_step_someone_else_already_took_is_a_conflict_naming_them(client, cast, open_fault):
    ticket = open_fault()
    stale_version = ticket.version
    services.accept_ticket(ticket=ticket, by=cast.lead)
    client.force_login(cast.engineer)

    response = post(client, ticket, "accept", {}, htmx=True, version=stale_version)

    assert response.status_code == 409
    assert response.context["is_conflict"]
    assert str(cast.lead) in response.context["alert"]
