"""The installed-base admin: lists render, the unit page shows its entitlement, queries stay bounded."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.units.models import UnitPart
from aftersales.units.services import replace_unit
from aftersales.units.tests.factories import (
    ContractFactory,
    ProductModelFactory,
    UnitFactory,
    UnitPartFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _installed_base(count: int) -> None:
    """Units out of warranty (so entitlement looks at contracts), with parts, contracts, a swap."""
    model = ProductModelFactory()
    for _ in range(count):
        unit = UnitFactory(product_model=model, shipped_on=date(2020, 1, 5), accepted_on=date(2020, 1, 10))
        UnitPartFactory(unit=unit)
        UnitPartFactory(unit=unit, origin=UnitPart.Origin.CUSTOMER_ADDED, name="硬盘")
        ContractFactory(customer=unit.customer, units=[unit])
    replace_unit(old_unit=unit, new_serial=f"R-{unit.serial}", on=date(2024, 1, 1))


@pytest.mark.parametrize("model", ["productmodel", "unit", "unitpart", "contract"])
def test_every_installed_base_list_renders(admin_client, model):
    _installed_base(3)

    response = admin_client.get(reverse(f"admin:units_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", ["productmodel", "unit", "unitpart", "contract"])
def test_every_installed_base_add_page_renders(admin_client, model):
    assert admin_client.get(reverse(f"admin:units_{model}_add")).status_code == 200


def test_the_unit_list_costs_the_same_queries_for_three_units_or_twelve(admin_client):
    _installed_base(3)
    url = reverse("admin:units_unit_changelist")
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200

    _installed_base(9)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('class="field-serial"') == 14  # 12 units and 2 replacements
    assert len(many) == len(few)
    assert len(many) <= 15


def test_the_unit_list_finds_a_unit_by_the_serial_of_a_part(admin_client):
    unit = UnitFactory(serial="HAC-FIND-ME")
    UnitPartFactory(unit=unit, serial="PSU-XYZ")
    UnitFactory(serial="HAC-OTHER")

    response = admin_client.get(reverse("admin:units_unit_changelist"), {"q": "PSU-XYZ"})

    assert "HAC-FIND-ME" in response.content.decode()
    assert "HAC-OTHER" not in response.content.decode()


def test_the_unit_page_shows_its_entitlement_read_only(admin_client):
    original = UnitFactory(accepted_on=date(2026, 1, 20))
    unit = replace_unit(old_unit=original, new_serial="HAC-R1", on=date(2026, 6, 1))
    UnitPartFactory(unit=unit)

    response = admin_client.get(reverse("admin:units_unit_change", args=[unit.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "2029-01-19" in page
    assert f"inherited from the replaced unit {original.serial}" in page
    assert 'name="entitlement_summary"' not in page  # shown, not editable


def test_the_replaced_unit_page_names_its_replacement(admin_client):
    original = UnitFactory()
    replace_unit(old_unit=original, new_serial="HAC-R1", on=date(2026, 6, 1))

    response = admin_client.get(reverse("admin:units_unit_change", args=[original.pk]))

    assert "HAC-R1" in response.content.decode()


def test_contracts_are_found_by_number_for_autocomplete(admin_client):
    ContractFactory(number="HT-2026-0420")
    ContractFactory(number="HT-2026-0999")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "units", "model_name": "unit", "field_name": "replaces", "term": "x"},
    )
    assert response.status_code == 200
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "commitments", "model_name": "servicepolicy", "field_name": "contract", "term": "0420"},
    )

    assert [item["text"] for item in response.json()["results"]] == ["HT-2026-0420 (Extended warranty)"]
