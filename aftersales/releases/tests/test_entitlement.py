"""Release entitlement: warranty vs upgrade-service contract vs licensed features, and the applies-to rule."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.releases.entitlement import packages_for
from aftersales.releases.models import Release
from aftersales.releases.tests.factories import ReleaseFactory, ReleasePackageFactory
from aftersales.units.models import Contract
from aftersales.units.tests.factories import ContractFactory, ProductModelFactory

pytestmark = pytest.mark.django_db

IN_WARRANTY = date(2026, 12, 1)  # software warranty of the cast's units ends 2027-01-19
AFTER_WARRANTY = date(2027, 3, 1)


def _offered(unit, on):
    return sorted(offer.package.original_name for offer in packages_for(unit, on) if offer.is_offered)


def _reasons(unit, on):
    return {
        offer.package.original_name: offer.reason for offer in packages_for(unit, on) if not offer.is_offered
    }


def test_in_software_warranty_the_base_package_is_offered_but_not_an_unlicensed_feature(rel):
    assert _offered(rel.unit1, IN_WARRANTY) == ["sjj1805-3.3.0.bin"]
    assert _reasons(rel.unit1, IN_WARRANTY) == {"sjj1805-3.3.0-ha.bin": "Feature ha is not licensed."}


def test_a_licensed_feature_package_is_offered_too(rel):
    rel.unit1.licensed_features = ["sm2", "ha"]
    rel.unit1.save()

    assert _offered(rel.unit1, IN_WARRANTY) == ["sjj1805-3.3.0-ha.bin", "sjj1805-3.3.0.bin"]


def test_after_the_software_warranty_nothing_is_offered_without_an_upgrade_contract(rel):
    assert _offered(rel.unit1, AFTER_WARRANTY) == []
    assert _reasons(rel.unit1, AFTER_WARRANTY)["sjj1805-3.3.0.bin"] == (
        "Software warranty ended and no upgrade-service contract runs."
    )


def test_a_running_upgrade_service_contract_entitles_after_the_warranty(rel):
    ContractFactory(
        customer=rel.first, kind=Contract.Kind.UPGRADE_SERVICE, starts_on=date(2027, 1, 1), units=[rel.unit1]
    )

    assert _offered(rel.unit1, AFTER_WARRANTY) == ["sjj1805-3.3.0.bin"]
    assert _offered(rel.unit2, AFTER_WARRANTY) == []


def test_an_extended_warranty_contract_does_not_entitle_to_upgrades(rel):
    ContractFactory(
        customer=rel.first,
        kind=Contract.Kind.EXTENDED_WARRANTY,
        starts_on=date(2027, 1, 1),
        units=[rel.unit1],
    )

    assert _offered(rel.unit1, AFTER_WARRANTY) == []


def test_an_expired_upgrade_contract_does_not_entitle(rel):
    ContractFactory(
        customer=rel.first,
        kind=Contract.Kind.UPGRADE_SERVICE,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 1, 31),
        units=[rel.unit1],
    )

    assert _offered(rel.unit1, AFTER_WARRANTY) == []


def test_a_patch_follows_the_same_rule_as_an_upgrade(rel):
    patch = ReleaseFactory(
        product_model=rel.model, version="3.2.2", kind=Release.Kind.PATCH, applies_to="3.2.1"
    )
    ReleasePackageFactory(release=patch, original_name="patch-3.2.2.bin")

    assert "patch-3.2.2.bin" in _offered(rel.unit1, IN_WARRANTY)
    assert "patch-3.2.2.bin" not in _offered(rel.unit1, AFTER_WARRANTY)


def test_a_release_for_other_versions_another_model_or_unpublished_is_not_offered(rel):
    other_versions = ReleaseFactory(product_model=rel.model, version="4.1.0", applies_to="4.0.*")
    ReleasePackageFactory(release=other_versions, original_name="v4.bin")
    unpublished = ReleaseFactory(product_model=rel.model, version="3.4.0", is_published=False)
    ReleasePackageFactory(release=unpublished, original_name="draft.bin")
    foreign = ReleaseFactory(product_model=ProductModelFactory(code="sjj-1212"), version="9.0")
    ReleasePackageFactory(release=foreign, original_name="foreign.bin")

    assert _offered(rel.unit1, IN_WARRANTY) == ["sjj1805-3.3.0.bin"]
    assert _reasons(rel.unit1, IN_WARRANTY)["v4.bin"] == "Does not apply to version 3.2.1."
    assert "foreign.bin" not in _reasons(rel.unit1, IN_WARRANTY)  # only the unit's model's releases


def test_a_unit_already_on_the_version_or_later_is_not_offered_it(rel):
    rel.unit1.software_version = "3.3.0"
    rel.unit1.save()

    assert _offered(rel.unit1, IN_WARRANTY) == []
    assert _reasons(rel.unit1, IN_WARRANTY)["sjj1805-3.3.0.bin"] == "The unit already runs 3.3.0 or later."


def test_a_retired_unit_is_offered_nothing(rel):
    rel.unit1.is_active = False
    rel.unit1.save()

    assert _offered(rel.unit1, IN_WARRANTY) == []
