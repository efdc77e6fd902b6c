"""The jobs API: read-only for staff, by ticket number or id; customers are refused."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aftersales.jobs import services
from aftersales.jobs.tests import factories

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_staff_read_an_accepted_installation_with_its_units(cast):
    job = factories.installation(cast)
    services.add_installed_unit(
        job=job,
        by=cast.engineer,
        product_model=cast.model,
        serial="API-1",
        shipped_on=date(2026, 1, 5),
        licensed_features=["sm4"],
    )
    services.accept_installation(
        job=job, by=cast.engineer, accepted_by_name="李主任", accepted_on=date(2026, 2, 1)
    )

    body = _api(cast.specialist).get(f"/api/v1/jobs/installations/{job.ticket.number}/").json()

    assert (
        body["number"] == job.ticket.number
        and body["status"] == "accepted"
        and body["accepted_on"] == "2026-02-01"
    )
    assert body["lines"] == [
        {
            "serial": "API-1",
            "product_model": "sjj-1507",
            "site": cast.site1.name,
            "shipped_on": "2026-01-05",
            "accepted_on": "2026-02-01",
            "is_new_unit": True,
            "licensed_features": ["sm4"],
            "software_version": "",
            "notes": "",
        }
    ]


def test_training_lists_in_a_fixed_number_of_queries_with_averages(cast, django_assert_max_num_queries):
    for _ in range(4):
        session = factories.training(cast)
        [a, b] = services.add_attendees(session=session, by=cast.engineer, text="甲\n乙")
        services.record_feedback(session=session, by=cast.engineer, scores={a.pk: (5, ""), b.pk: (4, "")})
    client = _api(cast.specialist)

    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/jobs/trainings/").json()

    assert len(body["results"]) == 4 and {row["average_score"] for row in body["results"]} == {"4.5"}


def test_an_account_manager_sees_only_their_customers_jobs(cast):
    cast.first.account_manager = cast.account
    cast.first.save()
    own, other = factories.migration(cast), factories.migration(cast, customer=cast.second)
    client = _api(cast.account)

    numbers = [row["number"] for row in client.get("/api/v1/jobs/migrations/").json()["results"]]

    assert numbers == [own.ticket.number]
    assert client.get(f"/api/v1/jobs/migrations/{other.ticket.number}/").status_code == 404


def test_customer_users_are_refused(cast):
    job = factories.training(cast)
    client = _api(cast.customer1)

    assert client.get("/api/v1/jobs/trainings/").status_code == 403
    assert client.get(f"/api/v1/jobs/trainings/{job.ticket.number}/").status_code == 403
