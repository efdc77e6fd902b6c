"""The fees API: the schedule in force and quotes, read with isolation."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aftersales.fees.services import create_quote, issue_quote
from aftersales.fees.tests.conftest import NOW, lines

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_schedule_in_force_on_a_day(cast, schedule):
    body = api(cast.customer1).get("/api/v1/fees/schedule/", {"on": "2026-03-10"}).json()
    assert body["name"] == schedule.name
    psu = next(item for item in body["items"] if item["code"] == "part:PSU-500")
    assert (psu["price"], psu["vat_rate"], psu["net_price"]) == ("1130.00", "13.00", "1000.00")
    assert api(cast.customer1).get("/api/v1/fees/schedule/", {"on": "2025-01-01"}).status_code == 404
    assert api(cast.customer1).get("/api/v1/fees/schedule/", {"on": "soon"}).status_code == 400


def test_customers_read_their_issued_quotes_only(cast, customers, schedule, django_assert_max_num_queries):
    draft = create_quote(customer=customers.first, by=cast.specialist, lines=lines(), at=NOW)
    issued = issue_quote(
        quote=create_quote(customer=customers.first, by=cast.specialist, lines=lines(), at=NOW),
        by=cast.specialist,
        at=NOW,
    )
    theirs = issue_quote(
        quote=create_quote(customer=customers.second, by=cast.specialist, lines=lines(), at=NOW),
        by=cast.specialist,
        at=NOW,
    )
    client = api(cast.customer1)
    with django_assert_max_num_queries(8):
        page = client.get("/api/v1/quotes/").json()
    assert [row["number"] for row in page["results"]] == [issued.number]
    assert page["results"][0]["total"] == "4060.00"
    assert len(page["results"][0]["lines"]) == 2
    assert client.get(f"/api/v1/quotes/{issued.number}/").status_code == 200
    assert client.get(f"/api/v1/quotes/{draft.number}/").status_code == 404
    assert client.get(f"/api/v1/quotes/{theirs.number}/").status_code == 404
    assert client.get(f"/api/v1/quotes/{theirs.pk}/").status_code == 404
    staff = api(cast.specialist).get("/api/v1/quotes/").json()
    assert len(staff["results"]) == 3
