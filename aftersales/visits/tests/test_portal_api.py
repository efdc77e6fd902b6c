"""The portal's visits (list, PDF, typed sign-off) and the staff API, each within its scope."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aftersales.visits.models import ServiceReport, Visit
from aftersales.visits.tests.conftest import open_fault
from aftersales.visits.tests.factories import completed_visit, dispatched_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(cast, unit, contact):
    from aftersales.customers.tests.factories import SiteFactory
    from aftersales.units.tests.factories import UnitFactory

    mine = completed_visit(
        ticket=open_fault(cast, unit, contact), engineer=cast.engineer, dispatcher=cast.lead
    )
    other_unit = UnitFactory(customer=cast.customer2.contact.customer)
    other_unit.site = SiteFactory(customer=other_unit.customer, city="重庆")
    other_unit.save()
    theirs = completed_visit(
        ticket=open_fault(cast, other_unit), engineer=cast.engineer, dispatcher=cast.lead
    )
    planned = dispatched_visit(ticket=mine.ticket, engineer=cast.engineer, dispatcher=cast.lead)
    return mine, theirs, planned


def test_the_portal_lists_the_organisations_visits_with_the_report_to_download(
    client, cast, visits, django_assert_max_num_queries
):
    mine, theirs, planned = visits
    client.force_login(cast.customer1)

    with django_assert_max_num_queries(12):
        page = client.get("/portal/visits/")

    html = page.content.decode()
    assert mine.number in html and planned.number in html and theirs.number not in html
    assert f"/portal/visits/{mine.number}/report.pdf" in html
    assert f"/portal/visits/{planned.number}/report.pdf" not in html
    pdf = client.get(f"/portal/visits/{mine.number}/report.pdf?language=zh-hans")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/portal/visits/{theirs.number}/report.pdf").status_code == 404
    assert client.get(f"/portal/visits/{planned.number}/report.pdf").status_code == 404


def test_the_customer_confirms_an_unsigned_report_in_the_portal_once(client, cast, visits):
    mine, theirs, _planned = visits
    client.force_login(cast.customer1)

    unticked = client.post(f"/portal/visits/{mine.number}/sign/", {"sign-name": "李主任"})
    assert unticked.status_code == 400
    assert client.post(f"/portal/visits/{theirs.number}/sign/", {"sign-name": "x"}).status_code == 404
    done = client.post(
        f"/portal/visits/{mine.number}/sign/", {"sign-name": "李主任", "sign-typed_confirmation": "on"}
    )
    assert done.status_code == 302
    report = ServiceReport.objects.get(visit=mine)
    assert (report.signed_by_name, report.sign_off) == ("李主任", "typed")
    again = client.post(
        f"/portal/visits/{mine.number}/sign/", {"sign-name": "王", "sign-typed_confirmation": "on"}
    )
    assert again.status_code == 409
    assert ServiceReport.objects.get(visit=mine).signed_by_name == "李主任"


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_the_api_lists_visits_for_staff_only_in_a_fixed_number_of_queries(
    cast, visits, django_assert_max_num_queries
):
    mine, _theirs, _planned = visits
    staff = _api(cast.lead)

    with django_assert_max_num_queries(12):
        listing = staff.get("/api/v1/visits/")

    assert listing.status_code == 200
    assert len(listing.json()["results"]) == Visit.objects.count()
    detail = staff.get(f"/api/v1/visits/{mine.number}/").json()
    assert detail["status"] == "completed" and detail["crew"][0]["is_arrival_confirmed"] is True
    assert {line["code"] for line in detail["billable_lines"]} >= {"onsite_visit", "onsite_hour"}
    assert _api(cast.customer1).get("/api/v1/visits/").status_code == 403
    assert _api(cast.customer1).get(f"/api/v1/visits/{mine.number}/").status_code == 403
