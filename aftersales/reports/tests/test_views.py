"""The leadership overview page and its Excel export: who may read them, what they show, what they cost."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.commitments import services as clocks
from aftersales.commitments.models import MeetEvent, StartEvent
from aftersales.commitments.services import ClockContext
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.reports.queries import Period
from aftersales.tickets.tests.factories import FollowUpFactory, TicketFactory
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 is slow on purpose; these tests never check a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


OVERVIEW = reverse("reports:overview")
EXPORT = reverse("reports:overview_export")


def add_history(size: int) -> None:
    """``size`` customers, each with a ticket answered late and one on time, this month."""
    centre = ServiceCentreFactory()
    now = timezone.now()
    start = Period.containing(now).month_start + timedelta(minutes=1)
    for customer in CustomerFactory.create_batch(size):
        for late in (True, False):
            ticket = TicketFactory(
                unit=UnitFactory(customer=customer),
                status="closed",
                severity="severe",
                level_reached="L2",
                resolved_at=start,
                reported_at=start,
            )
            FollowUpFactory(ticket=ticket, satisfaction=4, created_at=start)
            context = ClockContext(
                customer_id=customer.pk,
                centre_id=centre.pk,
                assignee_id=None,
                ticket_kind="fault",
                severity="severe",
                is_site_covered=True,
                contract_id=None,
                policy_at=start,
            )
            clocks.start_clocks(
                subject_type="ticket",
                subject_id=ticket.pk,
                reference=ticket.number,
                event=StartEvent.REPORTED,
                at=start,
                context=context,
            )
            clocks.meet_clocks(
                subject_type="ticket",
                subject_id=ticket.pk,
                event=MeetEvent.FIRST_RESPONSE,
                at=start + timedelta(minutes=45 if late else 5),
            )
        TicketFactory(unit=UnitFactory(customer=customer), status="in_progress")


@pytest.fixture
def leader(client):
    user = UserFactory(username="leader", role=Role.LEADER)
    client.force_login(user)
    return user


@pytest.mark.smoke
def test_leadership_reads_the_overview_with_its_charts_drawn_on_the_server(client, leader):
    add_history(2)

    response = client.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    assert response.context["overview"].compliance[0].month.kept == 2
    assert response.context["overview"].compliance[0].month.broken == 2
    assert 'src="http' not in page and 'href="http' not in page and '<script src="//' not in page


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN, Role.LEAD])
def test_every_role_with_the_reports_capability_reads_the_overview(client, role):
    client.force_login(UserFactory(role=role))

    assert client.get(OVERVIEW).status_code == 200


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.ENGINEER, Role.ACCOUNT, Role.RND])
def test_staff_without_the_reports_capability_are_refused(client, role):
    client.force_login(UserFactory(role=role))

    assert client.get(OVERVIEW).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_a_customer_user_is_refused(client):
    user = UserFactory(role=Role.CUSTOMER)
    ContactFactory(user=user)
    client.force_login(user)

    assert client.get(OVERVIEW).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(OVERVIEW)

    assert response.status_code == 302
    assert reverse("desk:login") in response["Location"]


def test_the_overview_changes_nothing_so_it_accepts_no_post(client, leader):
    assert client.post(OVERVIEW).status_code == 405


def test_the_overview_shows_the_chosen_month(client, leader):
    response = client.get(OVERVIEW, {"year": "2025", "month": "2"})

    assert response.context["period"] == Period(year=2025, month=2)
    assert "2025-02" in response.content.decode()


def test_an_invalid_period_falls_back_to_the_current_month(client, leader):
    response = client.get(OVERVIEW, {"year": "abc", "month": "13"})

    assert response.context["period"] == Period.containing(timezone.now())


def test_the_overview_costs_the_same_queries_for_many_tickets_as_for_few(
    client, leader, django_assert_max_num_queries
):
    add_history(1)
    client.get(OVERVIEW)  # warm the session and permission caches like any later request
    with django_assert_max_num_queries(18) as few:
        client.get(OVERVIEW)
    add_history(15)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(OVERVIEW)

    assert response.context["overview"].compliance[0].month.decided == 32


def test_the_excel_export_has_one_sheet_per_table_with_headers_in_the_readers_language(client, leader):
    add_history(2)

    response = client.get(EXPORT, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames[:3] == ["Open tickets", "At risk now", "Breached, still open"]
    assert "Compliance by customer" in workbook.sheetnames
    compliance = workbook["Compliance"]
    assert compliance["A1"].value == "Promise"
    assert [cell.value for cell in compliance[2]][:4] == ["Response", 2, 0, 2]
    assert workbook["Compliance by customer"].max_row == 3
