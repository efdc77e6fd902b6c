"""The PBX screen pop: the caller's contacts, their customer's units and open tickets, the intake page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.customers.tests.factories import ContactFactory
from aftersales.tickets import services
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_the_screen_pop_finds_a_mobile_however_the_pbx_spells_it(cast, api):
    response = api(cast.specialist).post("/api/v1/calls/", {"caller": "+86 138-0000-1234 ext 12"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["number"] == "13800001234"
    assert [contact["name"] for contact in body["contacts"]] == ["张工"]
    assert body["contacts"][0]["customer"]["code"] == "bank-a"
    assert body["intake_url"].endswith("/desk/intake/phone/?number=13800001234")
    [customer] = body["customers"]
    assert customer["customer"]["code"] == "bank-a"
    assert [(unit["serial"], unit["entitlement"]["verdict"]) for unit in customer["units"]] == [
        (cast.unit1.serial, "in_warranty")
    ]
    assert customer["units"][0]["model"] == cast.unit1.product_model.name
    assert [(t["number"], t["status"], t["severity"]) for t in customer["open_tickets"]] == [
        (cast.ticket1.number, "new", "general")
    ]
    assert customer["open_tickets"][0]["title"] == cast.ticket1.title


@pytest.mark.parametrize(
    "caller", ["13800001234", "0086 138 0000 1234", "(+86) 13800001234", "138-0000-1234#5"]
)
def test_the_screen_pop_normalises_spaces_dashes_prefixes_and_extensions(cast, api, caller):
    response = api(cast.specialist).post("/api/v1/calls/", {"caller": caller})

    assert [contact["name"] for contact in response.json()["contacts"]] == ["张工"]


def test_the_screen_pop_leaves_out_closed_tickets(cast, api):
    services.cancel_ticket(ticket=cast.ticket1, by=cast.specialist, reason="客户误报")

    response = api(cast.specialist).post("/api/v1/calls/", {"caller": "13800001234"})

    assert response.json()["customers"][0]["open_tickets"] == []


def test_an_unknown_number_pops_nobody_but_still_offers_the_intake_page(cast, api):
    response = api(cast.specialist).post("/api/v1/calls/", {"caller": "+86 139 9999 9999"})

    assert response.status_code == 200
    assert response.json()["contacts"] == []
    assert response.json()["intake_url"].endswith("?number=13999999999")


def test_an_account_manager_sees_callers_of_its_own_customers_only(cast, api):
    ContactFactory(customer=cast.second, name="李工", mobile="13800001234", phone="")

    response = api(cast.account).post("/api/v1/calls/", {"caller": "13800001234"})

    assert [contact["name"] for contact in response.json()["contacts"]] == ["张工"]


def test_customers_may_not_use_the_screen_pop(cast, api):
    response = api(cast.customer1).post("/api/v1/calls/", {"caller": "13800001234"})

    assert response.status_code == 403


def test_the_screen_pop_costs_the_same_queries_for_one_unit_or_many(cast, api):
    client = api(cast.specialist)
    client.post("/api/v1/calls/", {"caller": "13800001234"})
    with CaptureQueriesContext(connection) as one:
        client.post("/api/v1/calls/", {"caller": "13800001234"})
    for _ in range(5):
        UnitFactory(customer=cast.first, site=cast.unit1.site)

    with CaptureQueriesContext(connection) as six:
        response = client.post("/api/v1/calls/", {"caller": "13800001234"})

    assert len(response.json()["customers"][0]["units"]) == 6
    assert len(six) == len(one)
