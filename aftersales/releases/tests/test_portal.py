"""The portal's downloads: exactly the entitled packages, 404 for anything else, every download logged."""

from __future__ import annotations

import hashlib

import pytest
from django.utils import timezone, translation

from aftersales.releases.models import DownloadLog, Installation
from aftersales.releases.tests.factories import (
    PACKAGE_BYTES,
    BulletinFactory,
    ReleaseFactory,
    ReleasePackageFactory,
)
from aftersales.units.tests.factories import ProductModelFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_downloads_page_offers_exactly_the_entitled_packages(rel, client):
    other_model = ProductModelFactory(code="sjj-1212")
    foreign = ReleaseFactory(product_model=other_model, version="9.0", applies_to="")
    ReleasePackageFactory(release=foreign, original_name="other-model.bin")
    client.force_login(rel.customer1)

    page = client.get("/portal/downloads/").content.decode()

    assert "sjj1805-3.3.0.bin" in page
    assert "sjj1805-3.3.0-ha.bin" not in page  # feature not licensed
    assert "other-model.bin" not in page
    assert rel.base.sha256 in page
    assert "SJJ-CQ-0002" not in page


def test_the_downloads_page_costs_a_fixed_number_of_queries(rel, client, django_assert_max_num_queries):
    for index in range(5):
        UnitFactory(customer=rel.first, product_model=rel.model, serial=f"SJJ-EXTRA-{index}")
    BulletinFactory(product_model=rel.model)
    client.force_login(rel.customer1)
    client.get("/portal/downloads/")

    with django_assert_max_num_queries(14):
        response = client.get("/portal/downloads/")

    assert response.content.decode().count("sjj1805-3.3.0.bin") == 6


def test_bulletins_for_the_units_versions_are_listed_with_severity(rel, client):
    BulletinFactory(product_model=rel.model, title="SM2 侧信道", affected_versions="3.2.*")
    BulletinFactory(product_model=rel.model, title="旧版本问题", affected_versions="<3.0")
    client.force_login(rel.customer1)

    page = client.get("/portal/downloads/").content.decode()

    assert "SM2 侧信道" in page and "Critical" in page
    assert "旧版本问题" not in page


def test_a_download_streams_the_file_with_its_checksum_and_is_logged(rel, client):
    client.force_login(rel.customer1)

    response = client.get(f"/portal/downloads/{rel.unit1.serial}/{rel.base.pk}/", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == PACKAGE_BYTES
    assert response["X-Checksum-SHA256"] == hashlib.sha256(PACKAGE_BYTES).hexdigest()
    assert "attachment" in response["Content-Disposition"]
    log = DownloadLog.objects.get()
    assert (log.user, log.unit, log.package, log.ip) == (rel.customer1, rel.unit1, rel.base, "10.1.2.3")
    assert abs((timezone.now() - log.at).total_seconds()) < 60


@pytest.mark.parametrize("case", ["other_unit", "unlicensed", "unknown"])
def test_another_customers_unit_or_a_package_not_entitled_is_a_404_and_not_logged(rel, client, case):
    serial, package_id = {
        "other_unit": (rel.unit2.serial, rel.base.pk),
        "unlicensed": (rel.unit1.serial, rel.ha.pk),
        "unknown": (rel.unit1.serial, 999999),
    }[case]
    client.force_login(rel.customer1)

    assert client.get(f"/portal/downloads/{serial}/{package_id}/").status_code == 404
    assert client.post(f"/portal/downloads/{serial}/{package_id}/installed/").status_code == 404
    assert not DownloadLog.objects.exists()
    assert not Installation.objects.exists()


def test_a_package_of_another_model_is_a_404_even_on_an_own_unit(rel, client):
    foreign = ReleasePackageFactory(
        release=ReleaseFactory(product_model=ProductModelFactory(code="x-1"), applies_to="")
    )
    client.force_login(rel.customer1)

    assert client.get(f"/portal/downloads/{rel.unit1.serial}/{foreign.pk}/").status_code == 404


def test_a_damaged_file_is_refused_with_a_message(rel, client):
    with open(rel.base.file.path, "wb") as tampered:
        tampered.write(b"changed")
    client.force_login(rel.customer1)

    response = client.get(f"/portal/downloads/{rel.unit1.serial}/{rel.base.pk}/")

    assert response.status_code == 409
    assert "checksum" in response.content.decode()
    assert not DownloadLog.objects.exists()


def test_the_customer_records_the_install_and_the_version_follows(rel, client):
    client.force_login(rel.customer1)

    response = client.post(f"/portal/downloads/{rel.unit1.serial}/{rel.base.pk}/installed/", follow=True)

    rel.unit1.refresh_from_db()
    assert rel.unit1.software_version == "3.3.0"
    assert Installation.objects.get().method == Installation.Method.CUSTOMER
    assert "now runs 3.3.0" in response.content.decode()
    assert "sjj1805-3.3.0.bin" not in response.content.decode()  # nothing more to offer


def test_staff_are_sent_to_the_desk(rel, client):
    client.force_login(rel.rnd)

    assert client.get("/portal/downloads/").status_code == 302


def test_the_documentation_of_an_offered_release_downloads_and_is_a_404_otherwise(rel, client):
    from django.core.files.base import ContentFile

    release = rel.base.release
    release.documentation.save("manual.pdf", ContentFile(b"%PDF-1.7 manual"), save=False)
    release.documentation_name = "SJJ1805 3.3.0 升级手册.pdf"
    release.save()
    client.force_login(rel.customer1)

    page = client.get("/portal/downloads/").content.decode()
    url = f"/portal/downloads/{rel.unit1.serial}/{rel.base.pk}/documentation/"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.7 manual"
    assert client.get(f"/portal/downloads/{rel.unit2.serial}/{rel.base.pk}/documentation/").status_code == 404
    assert client.get(f"/portal/downloads/{rel.unit1.serial}/{rel.ha.pk}/documentation/").status_code == 404

    client.force_login(rel.engineer)
    staff = client.get(f"/desk/releases/{release.pk}/documentation/")
    assert staff.status_code == 200 and b"".join(staff.streaming_content) == b"%PDF-1.7 manual"
