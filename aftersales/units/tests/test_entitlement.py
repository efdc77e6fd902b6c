"""Entitlement: warranty terms, parts, replacements and contracts, on fixed days."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from aftersales.core.business_time import last_day_of_months_term
from aftersales.tickets.models import Entitlement
from aftersales.units.entitlement import (
    CHARGEABLE,
    IN_WARRANTY,
    UNDER_CONTRACT,
    VERDICT_LABELS,
    entitlement_for,
    software_upgrade_entitled,
)
from aftersales.units.models import Contract, ProductModel, UnitPart
from aftersales.units.queries import units_for_entitlement
from aftersales.units.services import replace_part, replace_unit
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


def test_the_verdicts_are_the_ticket_entitlement_values():
    assert set(VERDICT_LABELS) <= set(Entitlement.values)
    assert {IN_WARRANTY, UNDER_CONTRACT, CHARGEABLE} == set(VERDICT_LABELS)


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2026, 1, 20), 36, date(2029, 1, 19)),
        (date(2026, 1, 20), 12, date(2027, 1, 19)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 28), 1, date(2026, 2, 27)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 12, 1), 1, date(2026, 12, 31)),
        (date(2026, 3, 31), 11, date(2027, 2, 28)),
    ],
)
def test_a_term_of_calendar_months_covers_its_start_day_and_ends_the_day_before_the_anniversary(
    start, months, last_day
):
    assert last_day_of_months_term(start, months) == last_day


@pytest.mark.smoke
def test_warranty_counts_from_acceptance():
    unit = UnitFactory(shipped_on=date(2026, 1, 5), accepted_on=date(2026, 1, 20))

    last_day = entitlement_for(unit, on=date(2029, 1, 19))
    after = entitlement_for(unit, on=date(2029, 1, 20))

    assert last_day.verdict == IN_WARRANTY
    assert last_day.hardware_warranty_ends_on == date(2029, 1, 19)
    assert last_day.software_warranty_ends_on == date(2027, 1, 19)
    assert last_day.warranty_ends_on == date(2029, 1, 19)
    assert last_day.reason == "Hardware warranty until 2029-01-19; software warranty ended on 2027-01-19"
    assert after.verdict == CHARGEABLE
    assert after.reason == "Warranty ended on 2029-01-19"
    assert after.contract is None


def test_warranty_counts_from_shipment_when_no_acceptance_is_recorded():
    unit = UnitFactory(shipped_on=date(2026, 1, 5), accepted_on=None)

    verdict = entitlement_for(unit, on=date(2026, 6, 1))

    assert verdict.hardware_warranty_ends_on == date(2029, 1, 4)
    assert verdict.software_warranty_ends_on == date(2027, 1, 4)
    assert verdict.reason == "Hardware warranty until 2029-01-04, software warranty until 2027-01-04"


def test_a_fault_during_commissioning_before_acceptance_is_in_warranty():
    unit = UnitFactory(shipped_on=date(2026, 1, 5), accepted_on=date(2026, 1, 20))

    assert entitlement_for(unit, on=date(2026, 1, 10)).verdict == IN_WARRANTY


def test_terms_follow_the_product_model():
    model = ProductModelFactory(hardware_warranty_months=60, software_warranty_months=24)
    unit = UnitFactory(product_model=model, accepted_on=date(2026, 1, 20))

    verdict = entitlement_for(unit, on=date(2026, 2, 1))

    assert verdict.hardware_warranty_ends_on == date(2031, 1, 19)
    assert verdict.software_warranty_ends_on == date(2028, 1, 19)


def test_a_hardware_only_model_has_no_software_term():
    model = ProductModelFactory(kind=ProductModel.Kind.HARDWARE)
    unit = UnitFactory(product_model=model)

    verdict = entitlement_for(unit, on=date(2028, 1, 1))

    assert verdict.software_warranty_ends_on is None
    assert verdict.hardware_warranty_ends_on == date(2029, 1, 19)
    assert verdict.reason == "Hardware warranty until 2029-01-19"


def test_a_software_product_has_no_hardware_term_and_ends_with_its_software_term():
    model = ProductModelFactory(kind=ProductModel.Kind.SOFTWARE)
    unit = UnitFactory(product_model=model)

    during = entitlement_for(unit, on=date(2027, 1, 19))
    after = entitlement_for(unit, on=date(2027, 1, 20))

    assert during.verdict == IN_WARRANTY
    assert during.hardware_warranty_ends_on is None
    assert during.reason == "Software warranty until 2027-01-19"
    assert after.verdict == CHARGEABLE
    assert after.warranty_ends_on == date(2027, 1, 19)


def test_a_customer_added_part_is_not_covered_even_in_warranty_or_under_contract():
    unit = UnitFactory()
    part = UnitPartFactory(unit=unit, origin=UnitPart.Origin.CUSTOMER_ADDED)
    ContractFactory(
        customer=unit.customer, starts_on=date(2026, 1, 1), ends_on=date(2030, 12, 31), units=[unit]
    )

    verdict = entitlement_for(unit, part=part, on=date(2026, 6, 1))

    assert verdict.verdict == CHARGEABLE
    assert verdict.reason == "Part added by the customer: not covered"
    assert verdict.contract is None


def test_a_factory_part_is_covered_by_the_hardware_term_only():
    unit = UnitFactory()
    part = UnitPartFactory(unit=unit)

    verdict = entitlement_for(unit, part=part, on=date(2028, 6, 1))

    assert verdict.verdict == IN_WARRANTY
    assert verdict.warranty_ends_on == date(2029, 1, 19)


def test_a_vendor_fitted_replacement_part_is_covered_under_the_units_original_term():
    unit = UnitFactory(accepted_on=date(2026, 1, 20))
    part = UnitPartFactory(unit=unit)

    new_part = replace_part(part=part, new_serial="PSU-NEW-1", on=date(2028, 12, 1))
    during = entitlement_for(unit, part=new_part, on=date(2029, 1, 19))
    after = entitlement_for(unit, part=new_part, on=date(2029, 1, 20))

    assert new_part.origin == UnitPart.Origin.VENDOR_REPLACEMENT
    assert during.verdict == IN_WARRANTY
    assert during.reason == "Replacement part fitted by the vendor: hardware warranty until 2029-01-19"
    assert after.verdict == CHARGEABLE


def test_a_repair_keeps_the_units_warranty_end():
    unit = UnitFactory(accepted_on=date(2026, 1, 20))
    before = entitlement_for(unit, on=date(2028, 6, 1))

    replace_part(part=UnitPartFactory(unit=unit), new_serial="MB-2", on=date(2028, 6, 1))
    unit.refresh_from_db()
    after = entitlement_for(unit, on=date(2028, 6, 1))

    assert after.hardware_warranty_ends_on == before.hardware_warranty_ends_on == date(2029, 1, 19)
    assert after.software_warranty_ends_on == before.software_warranty_ends_on


def test_a_replacement_unit_inherits_the_remaining_term():
    old = UnitFactory(accepted_on=date(2026, 1, 20))

    new = replace_unit(old_unit=old, new_serial="HAC-R1", on=date(2027, 6, 1))
    verdict = entitlement_for(new, on=date(2028, 6, 1))

    assert verdict.verdict == IN_WARRANTY
    assert verdict.hardware_warranty_ends_on == date(2029, 1, 19)
    assert verdict.software_warranty_ends_on == date(2027, 1, 19)
    assert verdict.reason == (
        "Hardware warranty until 2029-01-19; software warranty ended on 2027-01-19"
        f" (inherited from the replaced unit {old.serial})"
    )
    assert entitlement_for(new, on=date(2029, 1, 20)).verdict == CHARGEABLE


def test_a_replacement_of_a_replacement_still_inherits_the_original_term():
    original = UnitFactory(accepted_on=date(2026, 1, 20))
    first = replace_unit(old_unit=original, new_serial="HAC-R1", on=date(2027, 6, 1))
    second = replace_unit(old_unit=first, new_serial="HAC-R2", on=date(2028, 3, 1))
    third = replace_unit(old_unit=second, new_serial="HAC-R3", on=date(2028, 9, 1))

    for unit in (second, third):
        verdict = entitlement_for(unit, on=date(2028, 10, 1))
        assert verdict.hardware_warranty_ends_on == date(2029, 1, 19)
        assert verdict.reason.endswith(f"(inherited from the replaced unit {original.serial})")


def test_a_replacement_of_another_kind_keeps_only_the_terms_its_model_has():
    original = UnitFactory(accepted_on=date(2026, 1, 20))
    hardware_only = ProductModelFactory(kind=ProductModel.Kind.HARDWARE)

    new = replace_unit(
        old_unit=original, new_serial="HAC-R1", on=date(2026, 6, 1), product_model=hardware_only
    )
    verdict = entitlement_for(new, on=date(2026, 7, 1))

    assert verdict.hardware_warranty_ends_on == date(2029, 1, 19)
    assert verdict.software_warranty_ends_on is None


def test_a_running_contract_covers_the_unit_once_the_warranty_has_ended():
    unit = UnitFactory(accepted_on=date(2026, 1, 20))
    contract = ContractFactory(
        number="HT-2029-0001",
        customer=unit.customer,
        starts_on=date(2029, 1, 20),
        ends_on=date(2031, 1, 19),
        units=[unit],
    )

    verdict = entitlement_for(unit, on=date(2030, 3, 1))

    assert verdict.verdict == UNDER_CONTRACT
    assert verdict.contract == contract
    assert verdict.warranty_ends_on == date(2029, 1, 19)
    assert verdict.reason == "Covered by contract HT-2029-0001 until 2031-01-19"
    assert verdict.is_free is True


def test_the_warranty_comes_first_while_it_runs_even_under_contract():
    unit = UnitFactory()
    ContractFactory(
        customer=unit.customer, starts_on=date(2026, 1, 1), ends_on=date(2031, 1, 1), units=[unit]
    )

    verdict = entitlement_for(unit, on=date(2027, 1, 1))

    assert verdict.verdict == IN_WARRANTY
    assert verdict.contract is None


def test_a_premium_support_contract_covers_too():
    unit = UnitFactory()
    ContractFactory(
        kind=Contract.Kind.PREMIUM_SUPPORT,
        customer=unit.customer,
        starts_on=date(2029, 1, 1),
        ends_on=date(2029, 12, 31),
        units=[unit],
    )

    assert entitlement_for(unit, on=date(2029, 6, 1)).verdict == UNDER_CONTRACT


def test_an_expired_contract_covers_nothing():
    unit = UnitFactory()
    ContractFactory(
        customer=unit.customer, starts_on=date(2029, 1, 20), ends_on=date(2029, 12, 31), units=[unit]
    )

    verdict = entitlement_for(unit, on=date(2030, 1, 1))

    assert verdict.verdict == CHARGEABLE
    assert verdict.contract is None
    assert verdict.reason == "Warranty ended on 2029-01-19"


def test_a_contract_that_does_not_list_the_unit_covers_nothing():
    unit = UnitFactory()
    other = UnitFactory(customer=unit.customer)
    ContractFactory(
        customer=unit.customer, starts_on=date(2029, 1, 1), ends_on=date(2030, 12, 31), units=[other]
    )

    assert entitlement_for(unit, on=date(2029, 6, 1)).verdict == CHARGEABLE
    assert entitlement_for(other, on=date(2029, 6, 1)).verdict == UNDER_CONTRACT


def test_other_contract_kinds_do_not_cover_faults():
    unit = UnitFactory()
    for kind in (Contract.Kind.UPGRADE_SERVICE, Contract.Kind.INSPECTION_PLAN):
        ContractFactory(
            kind=kind,
            customer=unit.customer,
            starts_on=date(2029, 1, 1),
            ends_on=date(2030, 1, 1),
            units=[unit],
        )

    assert entitlement_for(unit, on=date(2029, 6, 1)).verdict == CHARGEABLE


def test_a_software_only_contract_does_not_cover_a_part():
    unit = UnitFactory()
    part = UnitPartFactory(unit=unit)
    ContractFactory(
        customer=unit.customer,
        starts_on=date(2029, 1, 1),
        ends_on=date(2030, 1, 1),
        covers_hardware=False,
        units=[unit],
    )

    assert entitlement_for(unit, part=part, on=date(2029, 6, 1)).verdict == CHARGEABLE
    assert entitlement_for(unit, on=date(2029, 6, 1)).verdict == UNDER_CONTRACT


def test_a_part_of_another_unit_is_refused():
    unit = UnitFactory()
    part = UnitPartFactory()

    with pytest.raises(ValueError, match="does not belong"):
        entitlement_for(unit, part=part, on=date(2026, 6, 1))


def test_software_upgrades_are_free_while_the_software_warranty_runs_then_under_an_upgrade_contract():
    unit = UnitFactory(accepted_on=date(2026, 1, 20))

    assert software_upgrade_entitled(unit, date(2027, 1, 19)) is True
    assert software_upgrade_entitled(unit, date(2027, 1, 20)) is False

    ContractFactory(
        kind=Contract.Kind.UPGRADE_SERVICE,
        customer=unit.customer,
        starts_on=date(2027, 1, 20),
        ends_on=date(2028, 1, 19),
        units=[unit],
    )
    unit.refresh_from_db()
    assert software_upgrade_entitled(unit, date(2027, 6, 1)) is True
    assert software_upgrade_entitled(unit, date(2028, 1, 20)) is False


def test_an_extended_warranty_does_not_entitle_to_software_upgrades():
    unit = UnitFactory()
    ContractFactory(
        customer=unit.customer, starts_on=date(2027, 1, 1), ends_on=date(2030, 1, 1), units=[unit]
    )

    assert software_upgrade_entitled(unit, date(2027, 6, 1)) is False


def test_entitlement_of_prefetched_units_costs_no_query_per_unit():
    originals = [UnitFactory() for _ in range(3)]
    replace_unit(old_unit=originals[0], new_serial="HAC-R1", on=date(2027, 1, 1))
    for unit in originals[1:]:
        ContractFactory(
            customer=unit.customer, starts_on=date(2029, 1, 1), ends_on=date(2030, 1, 1), units=[unit]
        )

    with CaptureQueriesContext(connection) as queries:
        units = list(units_for_entitlement())
        verdicts = [entitlement_for(unit, on=date(2029, 6, 1)) for unit in units]

    assert len(units) == 4
    assert len(queries) == 2
    assert sorted(verdict.verdict for verdict in verdicts) == [
        CHARGEABLE,
        CHARGEABLE,
        UNDER_CONTRACT,
        UNDER_CONTRACT,
    ]


def test_contracts_passed_in_are_used_without_a_query():
    unit = UnitFactory()
    contract = ContractFactory(customer=unit.customer, starts_on=date(2029, 1, 1), ends_on=date(2030, 1, 1))

    with CaptureQueriesContext(connection) as queries:
        verdict = entitlement_for(unit, on=date(2029, 6, 1), contracts=[contract])

    assert len(queries) == 0
    assert verdict.contract == contract
