from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from aftersales.releases.tests.factories import ReleaseFactory, ReleasePackageFactory

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_list_releases_with_packages_in_a_fixed_number_of_queries(rel, django_assert_max_num_queries):
    for index in range(5):
        ReleasePackageFactory(release=ReleaseFactory(product_model=rel.model, version=f"5.{index}"))

    with django_assert_max_num_queries(4):
        response = _api(rel.engineer).get("/api/v1/releases/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 6
    first = next(row for row in rows if row["version"] == "3.3.0")
    assert first["product_model"] == "sjj-1805"
    assert {p["original_name"] for p in first["packages"]} == {"sjj1805-3.3.0.bin", "sjj1805-3.3.0-ha.bin"}
    assert _api(rel.engineer).get(f"/api/v1/releases/{rel.release.pk}/").json()["version"] == "3.3.0"


def test_customers_may_not_list_releases(rel):
    assert _api(rel.customer1).get("/api/v1/releases/").status_code == 403
    assert _api(rel.customer1).get(f"/api/v1/releases/{rel.release.pk}/").status_code == 403


def test_a_customer_sees_only_the_offered_packages_of_its_own_unit(rel):
    response = _api(rel.customer1).get(f"/api/v1/units/{rel.unit1.serial}/packages/", {"on": "2026-12-01"})

    assert response.status_code == 200
    assert [(row["package"]["original_name"], row["is_offered"]) for row in response.json()] == [
        ("sjj1805-3.3.0.bin", True)
    ]
    assert response.json()[0]["download_url"] == f"/portal/downloads/{rel.unit1.serial}/{rel.base.pk}/"
    assert _api(rel.customer1).get(f"/api/v1/units/{rel.unit2.serial}/packages/").status_code == 404


def test_staff_see_every_package_with_the_reason_it_is_refused(rel):
    response = _api(rel.engineer).get(f"/api/v1/units/{rel.unit1.serial}/packages/", {"on": "2027-03-01"})

    assert {row["package"]["original_name"]: row["reason"] for row in response.json()} == {
        "sjj1805-3.3.0.bin": "Software warranty ended and no upgrade-service contract runs.",
        "sjj1805-3.3.0-ha.bin": "Feature ha is not licensed.",
    }
    assert (
        _api(rel.engineer).get(f"/api/v1/units/{rel.unit1.serial}/packages/", {"on": "x"}).status_code == 400
    )
