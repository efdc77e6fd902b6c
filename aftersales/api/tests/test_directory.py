"""Units with their entitlement, customers and contacts: read-only, within the caller's scope."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.units.tests.factories import ContractFactory, ProductModelFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_a_unit_is_looked_up_by_serial_with_its_entitlement(cast, api):
    response = api(cast.customer1).get(f"/api/v1/units/{cast.unit1.serial}/", {"on": "2026-06-01"})

    assert response.status_code == 200
    entitlement = response.json()["entitlement"]
    assert entitlement["verdict"] == "in_warranty"
    assert entitlement["hardware_warranty_ends_on"] == "2029-01-19"
    assert entitlement["software_warranty_ends_on"] == "2027-01-19"
    assert entitlement["contract"] is None
    assert "2029-01-19" in entitlement["reason"]


def test_a_unit_past_warranty_shows_the_contract_that_covers_it(cast, api):
    old = UnitFactory(customer=cast.first, shipped_on=date(2020, 1, 6), accepted_on=date(2020, 1, 20))
    contract = ContractFactory(customer=cast.first, starts_on=date(2026, 1, 1), units=[old])

    response = api(cast.specialist).get(f"/api/v1/units/{old.serial}/", {"on": "2026-06-01"})

    entitlement = response.json()["entitlement"]
    assert entitlement["verdict"] == "under_contract"
    assert entitlement["contract"]["number"] == contract.number
    assert entitlement["warranty_ends_on"] == "2023-01-19"


def test_a_serial_made_of_digits_is_found_by_serial_before_id(cast, api):
    unit = UnitFactory(customer=cast.first, serial=str(cast.unit1.pk))

    response = api(cast.specialist).get(f"/api/v1/units/{cast.unit1.pk}/")

    assert response.json()["id"] == unit.pk


def test_a_bad_entitlement_day_is_a_400(cast, api):
    response = api(cast.specialist).get(f"/api/v1/units/{cast.unit1.serial}/", {"on": "2026-02-30"})

    assert response.status_code == 400
    assert "on" in response.json()["error"]["fields"]


def test_a_customer_sees_its_organisation_and_branches_only(cast, api):
    branch = CustomerFactory(code="bank-a-wz", parent=cast.first)

    customers = api(cast.customer1).get("/api/v1/customers/").json()["results"]
    other = api(cast.customer1).get(f"/api/v1/customers/{cast.second.code}/")

    assert {row["code"] for row in customers} == {"bank-a", branch.code}
    assert other.status_code == 404


def test_staff_see_every_customer_and_account_managers_their_own(cast, api):
    everyone = api(cast.specialist).get("/api/v1/customers/").json()["results"]
    managed = api(cast.account).get("/api/v1/customers/").json()["results"]

    assert {row["code"] for row in everyone} == {"bank-a", "bank-b"}
    assert [row["code"] for row in managed] == ["bank-a"]


def test_contacts_are_found_by_any_spelling_of_their_number(cast, api):
    response = api(cast.specialist).get("/api/v1/contacts/", {"phone": "+86 138 0000 1234"})

    assert [row["name"] for row in response.json()["results"]] == ["张工"]


def test_a_customer_lists_only_its_own_contacts(cast, api):
    names = {row["name"] for row in api(cast.customer1).get("/api/v1/contacts/").json()["results"]}

    assert names == {"customer1", "张工"}


@pytest.mark.parametrize("path", ["/api/v1/units/", "/api/v1/customers/", "/api/v1/contacts/"])
def test_directory_lists_cost_the_same_queries_for_few_rows_or_many(cast, api, path):
    client = api(cast.specialist)
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        client.get(path)
    model = ProductModelFactory()
    for _ in range(6):
        customer = CustomerFactory(parent=cast.first, account_manager=cast.account)
        old = UnitFactory(
            customer=customer, product_model=model, shipped_on=date(2020, 1, 6), accepted_on=None
        )
        UnitFactory(customer=customer, product_model=model, replaces=old)
        ContractFactory(customer=customer, units=[old])
        ContactFactory(customer=customer)

    with CaptureQueriesContext(connection) as many:
        rows = client.get(path).json()["results"]

    assert len(rows) >= 8
    assert len(many) == len(few)
