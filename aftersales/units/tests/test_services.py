"""Installed-base changes: unit and part swaps, customer-added parts, software versions."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.core.errors import DomainError, InvalidInput, NotPermitted
from aftersales.units.entitlement import CHARGEABLE, UNDER_CONTRACT, entitlement_for
from aftersales.units.models import Unit, UnitPart
from aftersales.units.services import add_customer_part, record_software_version, replace_part, replace_unit
from aftersales.units.tests.factories import (
    ContractFactory,
    ProductModelFactory,
    UnitFactory,
    UnitPartFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_replacing_a_unit_puts_the_new_one_at_the_same_customer_and_site_and_retires_the_old():
    old = UnitFactory(licensed_features=["sm2", "sm4"])

    new = replace_unit(old_unit=old, new_serial=" HAC-NEW-1 ", on=date(2027, 3, 1), software_version="3.3.0")

    old.refresh_from_db()
    assert old.is_active is False
    assert new.serial == "HAC-NEW-1"
    assert new.replaces == old
    assert (new.customer_id, new.site_id, new.product_model_id) == (
        old.customer_id,
        old.site_id,
        old.product_model_id,
    )
    assert new.shipped_on == date(2027, 3, 1)
    assert new.software_version == "3.3.0"
    assert new.licensed_features == ["sm2", "sm4"]
    assert new.is_active is True


def test_a_replacement_of_another_model_keeps_only_the_features_that_model_offers():
    old = UnitFactory(licensed_features=["sm2", "ha"])
    other_model = ProductModelFactory(features=["sm2", "sm4"])

    new = replace_unit(old_unit=old, new_serial="HAC-NEW-1", on=date(2027, 3, 1), product_model=other_model)

    assert new.product_model == other_model
    assert new.licensed_features == ["sm2"]


def test_a_replacement_unit_joins_the_running_contracts_of_the_old_one():
    old = UnitFactory()
    running = ContractFactory(
        customer=old.customer, starts_on=date(2029, 1, 1), ends_on=date(2030, 12, 31), units=[old]
    )
    ended = ContractFactory(
        customer=old.customer, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), units=[old]
    )

    new = replace_unit(old_unit=old, new_serial="HAC-NEW-1", on=date(2029, 6, 1))

    assert list(new.contracts.all()) == [running]
    assert ended not in new.contracts.all()
    assert entitlement_for(new, on=date(2029, 7, 1)).verdict == UNDER_CONTRACT


def test_replacing_an_inactive_unit_is_refused():
    old = UnitFactory()
    replace_unit(old_unit=old, new_serial="HAC-NEW-1", on=date(2027, 3, 1))

    with pytest.raises(DomainError, match=f"Unit {old.serial} is no longer in service"):
        replace_unit(old_unit=old, new_serial="HAC-NEW-2", on=date(2027, 4, 1))
    assert not Unit.objects.filter(serial="HAC-NEW-2").exists()


def test_replacing_with_a_serial_already_known_is_refused_whatever_its_case():
    UnitFactory(serial="HAC-TAKEN")
    old = UnitFactory()

    with pytest.raises(DomainError, match="A unit with serial hac-taken already exists"):
        replace_unit(old_unit=old, new_serial="hac-taken", on=date(2027, 3, 1))
    old.refresh_from_db()
    assert old.is_active is True


def test_replacing_without_a_serial_or_before_shipment_is_refused():
    old = UnitFactory(shipped_on=date(2026, 1, 5))

    with pytest.raises(InvalidInput, match="Enter the serial number"):
        replace_unit(old_unit=old, new_serial="  ", on=date(2027, 3, 1))
    with pytest.raises(InvalidInput, match="before unit"):
        replace_unit(old_unit=old, new_serial="HAC-NEW-1", on=date(2025, 12, 31))


def test_replacing_a_part_records_the_removal_and_links_the_vendor_replacement():
    part = UnitPartFactory(name="主板", part_number="MB-1", fitted_on=date(2026, 1, 5))

    new = replace_part(part=part, new_serial="MB000002", on=date(2027, 5, 10))

    part.refresh_from_db()
    assert part.removed_on == date(2027, 5, 10)
    assert new.replaces == part
    assert new.origin == UnitPart.Origin.VENDOR_REPLACEMENT
    assert (new.unit_id, new.name, new.part_number, new.fitted_on) == (
        part.unit_id,
        "主板",
        "MB-1",
        date(2027, 5, 10),
    )


def test_replacing_a_customer_added_part_does_not_make_the_position_covered():
    part = UnitPartFactory(origin=UnitPart.Origin.CUSTOMER_ADDED)

    new = replace_part(part=part, new_serial="DISK-2", on=date(2027, 5, 10))

    assert new.origin == UnitPart.Origin.CUSTOMER_ADDED
    assert entitlement_for(new.unit, part=new, on=date(2027, 6, 1)).verdict == CHARGEABLE


def test_replacing_a_part_already_removed_is_refused():
    part = UnitPartFactory()
    replace_part(part=part, new_serial="P-2", on=date(2027, 5, 10))

    with pytest.raises(DomainError, match="was already removed on 2027-05-10"):
        replace_part(part=part, new_serial="P-3", on=date(2027, 6, 10))


def test_a_part_serial_fitted_elsewhere_is_refused_but_a_removed_ones_serial_may_return():
    fitted = UnitPartFactory(serial="PSU-1")
    part = UnitPartFactory()

    with pytest.raises(DomainError, match="A part with serial psu-1 is already fitted"):
        replace_part(part=part, new_serial="psu-1", on=date(2027, 5, 10))

    replace_part(part=fitted, new_serial="PSU-9", on=date(2027, 5, 10))
    assert replace_part(part=part, new_serial="PSU-1", on=date(2027, 5, 11)).serial == "PSU-1"


def test_replacing_a_part_of_an_inactive_unit_is_refused():
    part = UnitPartFactory()
    replace_unit(old_unit=part.unit, new_serial="HAC-NEW-1", on=date(2027, 3, 1))

    with pytest.raises(DomainError, match="no longer in service"):
        replace_part(part=part, new_serial="P-2", on=date(2027, 5, 10))


def test_a_customer_added_part_is_recorded_as_such():
    unit = UnitFactory()

    part = add_customer_part(unit=unit, name="硬盘", serial="WD-1", part_number="WD40", on=date(2026, 8, 1))

    assert (part.origin, part.unit, part.fitted_on) == (
        UnitPart.Origin.CUSTOMER_ADDED,
        unit,
        date(2026, 8, 1),
    )
    assert entitlement_for(unit, part=part, on=date(2026, 9, 1)).verdict == CHARGEABLE


def test_a_customer_added_part_needs_a_name():
    with pytest.raises(InvalidInput, match="Enter the part's name"):
        add_customer_part(unit=UnitFactory(), name=" ", on=date(2026, 8, 1))


def test_recording_a_software_version_updates_the_unit():
    unit = UnitFactory(software_version="3.2.1")

    record_software_version(unit=unit, version=" 3.3.0 ")

    unit.refresh_from_db()
    assert unit.software_version == "3.3.0"


def test_a_blank_software_version_is_refused():
    with pytest.raises(InvalidInput, match="Enter the software version"):
        record_software_version(unit=UnitFactory(), version="")


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.RND, Role.LEAD, Role.MANAGER, Role.ADMIN])
def test_field_staff_may_change_the_installed_base(role):
    unit = UnitFactory()

    record_software_version(unit=unit, version="3.4", actor=UserFactory(role=role))

    unit.refresh_from_db()
    assert unit.software_version == "3.4"


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.ACCOUNT, Role.LEADER, Role.CUSTOMER])
def test_others_may_not_change_the_installed_base(role):
    unit = UnitFactory()

    with pytest.raises(NotPermitted, match="You may not change the installed base"):
        replace_unit(old_unit=unit, new_serial="HAC-NEW-1", on=date(2027, 1, 1), actor=UserFactory(role=role))
    unit.refresh_from_db()
    assert unit.is_active is True
