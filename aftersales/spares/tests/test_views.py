"""The spares pages: the board, the ticket's panel, lending, the return with its erasure record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.core.business_time import local_date
from aftersales.spares import services
from aftersales.spares.models import Loan, LoanProposal, SpareUnit
from aftersales.spares.tests.conftest import open_fault
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent_ticket(cast, unit, reporter):
    return open_fault(cast, unit, reporter, at=timezone.now() - timedelta(hours=10))


def _lend(ticket, unit, by, **extra):
    return services.lend_unit(
        ticket=ticket,
        spare_unit=unit,
        by=by,
        expected_return_on=local_date(timezone.now()) + timedelta(days=7),
        **extra,
    )


def test_the_board_shows_proposals_loans_pool_stock_and_faulty_parts(
    client, cast, centre, recent_ticket, pool, django_assert_max_num_queries
):
    services.propose_loans()
    loan = _lend(recent_ticket, pool.same, cast.lead)
    Loan.objects.filter(pk=loan.pk).update(expected_return_on=date(2026, 1, 1))
    services.receive_parts(centre=centre, part_number="PSU-550", name="电源模块", quantity=1, by=cast.lead)
    services.record_faulty_part(
        centre=centre, part_number="MB-01", serial="MB9", reference="VS-1", by=cast.lead
    )
    client.force_login(cast.lead)

    with django_assert_max_num_queries(16):
        response = client.get("/desk/spares/")

    page = response.content.decode()
    assert response.status_code == 200
    assert loan.number in page and "overdue" in page
    assert "SP-0002" in page and "PSU-550" in page and "MB9" in page


def test_the_board_is_for_those_who_keep_the_spares(client, cast):
    client.force_login(cast.engineer)
    assert client.get("/desk/spares/").status_code == 403
    client.force_login(cast.customer1)
    assert client.get("/desk/spares/").status_code == 403


def test_the_panel_offers_lending_to_the_lead_only(client, cast, recent_ticket, pool):
    services.propose_loans()
    url = f"/desk/spares/ticket/{recent_ticket.number}/panel/"

    client.force_login(cast.lead)
    page = client.get(url).content.decode()
    assert "Lend a spare unit" in page and "Decline the proposal" in page

    client.force_login(cast.engineer)
    page = client.get(url).content.decode()
    assert "Loan proposed" in page and "Lend a spare unit" not in page

    assert client.get("/desk/spares/ticket/SR-0000-000000/panel/").status_code == 404


def test_lending_from_the_ticket_with_a_different_model_needs_the_note(client, cast, recent_ticket, pool):
    client.force_login(cast.lead)
    url = f"/desk/spares/ticket/{recent_ticket.number}/lend/"
    assert client.get(url).status_code == 200
    back = (local_date(timezone.now()) + timedelta(days=7)).isoformat()

    refused = client.post(url, {"spare_unit": pool.other.pk, "expected_return_on": back})
    assert refused.status_code == 400
    assert "not the customer&#x27;s model" in refused.content.decode()
    assert not Loan.objects.exists()

    response = client.post(
        url,
        {"spare_unit": pool.other.pk, "expected_return_on": back, "substitution_note": "同系列，接口一致"},
    )
    loan = Loan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/spares/loans/{loan.number}/"
    assert loan.is_substitute is True
    assert Ticket.objects.get(pk=recent_ticket.pk).restored_at is not None


def test_declining_a_proposal_from_the_panel(client, cast, recent_ticket):
    services.propose_loans()
    client.force_login(cast.lead)
    url = f"/desk/spares/ticket/{recent_ticket.number}/decline/"

    client.post(url, {"reason": ""})
    assert LoanProposal.objects.get().status == LoanProposal.Status.OPEN
    client.post(url, {"reason": "客户有冗余设备"})
    assert LoanProposal.objects.get().status == LoanProposal.Status.DECLINED


def test_a_return_without_erasure_details_is_refused_then_recorded(client, cast, recent_ticket, pool):
    loan = _lend(recent_ticket, pool.same, cast.lead)
    client.force_login(cast.lead)
    url = f"/desk/spares/loans/{loan.number}/return/"
    assert client.get(f"/desk/spares/loans/{loan.number}/").status_code == 200

    refused = client.post(url, {"condition": "good", "erasure": "keys_erased"})
    assert refused.status_code == 400
    assert Loan.objects.get().status == Loan.Status.OUT

    erased_at = timezone.localtime(timezone.now() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url,
        {
            "condition": "good",
            "erasure": "keys_erased",
            "erased_by": "李工",
            "erased_at": erased_at,
            "erasure_method": "密钥销毁指令",
        },
    )
    assert response.status_code == 302
    assert Loan.objects.get().status == Loan.Status.RETURNED
    assert SpareUnit.objects.get(pk=pool.same.pk).status == SpareUnit.Status.AVAILABLE


def test_another_organisations_loan_is_invisible_to_centre_staff_of_elsewhere(
    client, cast, recent_ticket, pool
):
    loan = _lend(recent_ticket, pool.same, cast.lead)
    stranger = UserFactory(username="cd_lead", role=Role.LEAD, centre=ServiceCentreFactory(code="cd"))
    client.force_login(stranger)

    assert client.get(f"/desk/spares/loans/{loan.number}/").status_code == 404
    assert client.post(f"/desk/spares/loans/{loan.number}/return/", {}).status_code == 404


def test_the_ticket_close_form_takes_a_managers_override_reason(client, cast, recent_ticket, pool):
    _lend(recent_ticket, pool.same, cast.lead)
    now = timezone.now()
    ticket_services.accept_ticket(ticket=recent_ticket, by=cast.engineer, at=now - timedelta(minutes=3))
    ticket_services.start_work(ticket=recent_ticket, by=cast.engineer, at=now - timedelta(minutes=2))
    ticket_services.resolve_ticket(
        ticket=recent_ticket, by=cast.engineer, diagnosis="主板", actions_taken="更换", level_reached="L3"
    )
    recent_ticket.refresh_from_db()
    client.force_login(cast.manager)
    url = reverse("desk:ticket_action", args=[recent_ticket.number, "close"])

    refused = client.post(url, {"close-version": recent_ticket.version, "close-reason": "客户确认"})
    assert "still out on loan" in refused.content.decode()
    assert Ticket.objects.get(pk=recent_ticket.pk).status == Status.RESOLVED
    client.post(
        url,
        {
            "close-version": recent_ticket.version,
            "close-reason": "客户确认",
            "close-override_reason": "备机转售给客户",
        },
    )
    assert Ticket.objects.get(pk=recent_ticket.pk).status == Status.CLOSED
