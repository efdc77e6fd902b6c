"""The inspections API: read-only, scoped to the caller's customers, query counts flat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aftersales.core.business_time import local_date
from aftersales.inspections import services
from aftersales.inspections.models import Frequency

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def visits(cast, make_plan):
    today = local_date(timezone.now())
    make_plan(frequency=Frequency.EVERY_N_WEEKS, every_weeks=1, starts_on=today - timedelta(days=5))
    make_plan(
        customer=cast.second,
        sites=[cast.other_site],
        units=[cast.other_unit],
        frequency=Frequency.EVERY_N_WEEKS,
        every_weeks=1,
        starts_on=today,
    )
    return services.generate_inspection_visits(now=timezone.now() - timedelta(days=6), horizon_days=30)


def test_a_customer_lists_only_its_organisations_inspection_visits(
    cast, visits, django_assert_max_num_queries
):
    client = api(cast.customer1)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/inspections/visits/")
    assert response.status_code == 200
    customers = {row["customer"]["code"] for row in response.json()["results"]}
    assert customers == {"bank-a"}
    assert "overdue" in {row["state"] for row in response.json()["results"]}


def test_the_state_filter_returns_only_overdue_visits(cast, visits):
    rows = api(cast.lead).get("/api/v1/inspections/visits/?state=overdue").json()["results"]
    assert rows and {row["state"] for row in rows} == {"overdue"}


def test_a_visit_reads_with_its_results_and_another_organisations_is_a_404(cast, visits):
    own = next(v for v in visits if v.customer == cast.first)
    foreign = next(v for v in visits if v.customer == cast.second)
    client = api(cast.customer1)

    detail = client.get(f"/api/v1/inspections/visits/{own.number}/")
    assert detail.status_code == 200 and len(detail.json()["results"]) == 4
    assert client.get(f"/api/v1/inspections/visits/{foreign.number}/").status_code == 404
    assert client.get(f"/api/v1/inspections/visits/{foreign.pk}/").status_code == 404


def test_the_api_is_read_only(cast, visits):
    own = visits[0]
    assert api(cast.lead).delete(f"/api/v1/inspections/visits/{own.number}/").status_code == 405
