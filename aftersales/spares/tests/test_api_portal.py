"""Loans in the API (staff, read-only, scoped) and on the portal (the organisation's own)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.core.business_time import local_date
from aftersales.spares import services
from aftersales.spares.tests.conftest import open_fault

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def loan(cast, unit, reporter, pool):
    ticket = open_fault(cast, unit, reporter, at=timezone.now() - timedelta(hours=2))
    return services.lend_unit(
        ticket=ticket,
        spare_unit=pool.same,
        by=cast.lead,
        expected_return_on=local_date(timezone.now()) + timedelta(days=7),
    )


def test_staff_list_and_read_loans_in_a_fixed_number_of_queries(cast, loan, django_assert_max_num_queries):
    client = api(cast.manager)

    with django_assert_max_num_queries(4):
        listed = client.get("/api/v1/loans/")
    detail = client.get(f"/api/v1/loans/{loan.number}/")

    assert listed.status_code == 200
    assert [row["number"] for row in listed.json()["results"]] == [loan.number]
    assert detail.json()["spare_unit"] == "SP-0001"
    assert detail.json()["days"] == 1
    assert detail.json()["status"] == "out"


def test_the_loans_api_is_read_only_and_for_staff(cast, loan):
    assert api(cast.customer1).get("/api/v1/loans/").status_code == 403
    assert api(cast.manager).post("/api/v1/loans/", {}).status_code == 405
    assert APIClient().get("/api/v1/loans/").status_code in (401, 403)


def test_staff_of_another_centre_do_not_see_the_loan(cast, loan):
    stranger = UserFactory(username="cd_engineer", role=Role.ENGINEER, centre=ServiceCentreFactory(code="cd"))
    client = api(stranger)

    assert client.get("/api/v1/loans/").json()["results"] == []
    assert client.get(f"/api/v1/loans/{loan.number}/").status_code == 404


def test_the_portal_lists_the_organisations_loans_only(client, cast, loan):
    client.force_login(cast.customer1)
    page = client.get("/portal/loans/").content.decode()
    assert loan.number in page and "SP-0001" in page

    client.force_login(cast.customer2)
    page = client.get("/portal/loans/").content.decode()
    assert loan.number not in page
