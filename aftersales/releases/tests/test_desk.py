"""Desk pages: list and create releases, upload, publish, preview and send announcements, record installs."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from aftersales.notifications.models import OutboxMessage
from aftersales.releases.models import DownloadLog, Installation, Release
from aftersales.releases.tests.factories import BulletinFactory, ReleaseFactory, ReleasePackageFactory
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_list_shows_releases_and_bulletins_in_a_fixed_number_of_queries(
    rel, client, django_assert_max_num_queries
):
    for index in range(5):
        ReleasePackageFactory(release=ReleaseFactory(product_model=rel.model, version=f"4.{index}"))
    BulletinFactory(product_model=rel.model, fixed_by=rel.release, title="SM2 漏洞")
    client.force_login(rel.rnd)
    client.get("/desk/releases/")

    with django_assert_max_num_queries(12):
        page = client.get("/desk/releases/").content.decode()

    assert "3.3.0" in page and "4.4" in page and "SM2 漏洞" in page
    assert "New release" in page


def test_a_publisher_creates_a_release_uploads_a_package_and_publishes_it(rel, client):
    client.force_login(rel.rnd)

    response = client.post(
        "/desk/releases/new/",
        {
            "product_model": rel.model.pk,
            "version": "3.4.0",
            "kind": "patch",
            "released_on": "2026-12-01",
            "applies_to": "3.3.*",
            "notes": "修复",
        },
    )
    release = Release.objects.get(version="3.4.0")
    assert response.status_code == 302 and response["Location"] == f"/desk/releases/{release.pk}/"

    content = b"firmware bytes" * 100
    client.post(f"/desk/releases/{release.pk}/packages/", {"file": SimpleUploadedFile("fw.bin", content)})
    package = release.packages.get()
    assert package.sha256 == hashlib.sha256(content).hexdigest()

    client.post(f"/desk/releases/{release.pk}/publish/")
    release.refresh_from_db()
    assert release.is_published is True
    page = client.get(f"/desk/releases/{release.pk}/").content.decode()
    assert package.sha256 in page and "published" in page


def test_a_duplicate_version_or_an_empty_package_is_refused_with_the_reason(rel, client):
    client.force_login(rel.rnd)

    response = client.post(
        "/desk/releases/new/",
        {"product_model": rel.model.pk, "version": "3.3.0", "kind": "upgrade", "released_on": "2026-12-01"},
    )
    assert response.status_code == 400
    assert "already has a release 3.3.0" in response.content.decode()

    response = client.post(
        f"/desk/releases/{rel.release.pk}/packages/", {"file": SimpleUploadedFile("e.bin", b"")}
    )
    assert response.status_code == 400
    assert "The package file is empty." in response.content.decode()
    assert rel.release.packages.count() == 2


def test_staff_without_the_capability_see_no_buttons_and_are_refused(rel, client):
    client.force_login(rel.engineer)

    page = client.get(f"/desk/releases/{rel.release.pk}/").content.decode()
    assert "Upload package" not in page and "Announce" not in page
    assert client.get("/desk/releases/new/").status_code == 403
    client.post(f"/desk/releases/{rel.release.pk}/announce/")
    assert not OutboxMessage.objects.exists()
    assert client.get(f"/desk/releases/packages/{rel.base.pk}/").status_code == 403


def test_customers_are_refused_the_desk_pages(rel, client):
    client.force_login(rel.customer1)

    assert client.get("/desk/releases/").status_code == 403
    assert client.get(f"/desk/releases/{rel.release.pk}/").status_code == 403


def test_the_release_page_counts_affected_units_and_explains_who_is_not_entitled(rel, client):
    rel.unit2.accepted_on = rel.unit2.shipped_on = rel.unit2.shipped_on.replace(year=2024)
    rel.unit2.save()
    client.force_login(rel.rnd)

    page = client.get(f"/desk/releases/{rel.release.pk}/").content.decode()

    assert "1 entitled, 1 not entitled" in page
    assert "Software warranty ended and no upgrade-service contract runs." in page


def test_announcing_previews_the_recipients_then_sends(rel, client):
    client.force_login(rel.rnd)

    preview = client.get(f"/desk/releases/{rel.release.pk}/announce/").content.decode()
    assert (
        "it1@bank.example" in preview and "am@vendor.example" in preview and "Send to 3 recipients" in preview
    )
    assert not OutboxMessage.objects.exists()

    client.post(f"/desk/releases/{rel.release.pk}/announce/")

    assert OutboxMessage.objects.filter(kind="release_announcement").count() == 3
    page = client.get(f"/desk/releases/{rel.release.pk}/").content.decode()
    assert "it2@bank.example" in page  # the told column


def test_an_engineer_records_a_visit_install_and_the_unit_page_shows_the_history(rel, client):
    client.force_login(rel.engineer)

    response = client.post(
        f"/desk/releases/{rel.release.pk}/install/",
        {"serial": rel.unit1.serial, "method": "visit", "reference": "VS-2026-000001"},
    )

    assert response.status_code == 302
    installation = Installation.objects.get()
    assert (installation.method, installation.reference, installation.previous_version) == (
        "visit",
        "VS-2026-000001",
        "3.2.1",
    )
    page = client.get(f"/desk/releases/units/{rel.unit1.serial}/").content.decode()
    assert "VS-2026-000001" in page and "3.2.1" in page
    assert "The unit already runs 3.3.0 or later." in page


def test_recording_an_install_on_an_unknown_serial_is_a_form_error(rel, client):
    client.force_login(rel.engineer)

    response = client.post(
        f"/desk/releases/{rel.release.pk}/install/", {"serial": "NOPE", "method": "remote"}
    )

    assert response.status_code == 400
    assert "No unit has this serial number." in response.content.decode()


def test_a_bulletin_page_lists_affected_units_and_announces(rel, client):
    bulletin = BulletinFactory(product_model=rel.model, affected_versions="3.2.1", fixed_by=rel.release)
    client.force_login(rel.rnd)

    page = client.get(f"/desk/releases/bulletins/{bulletin.pk}/").content.decode()
    assert rel.unit1.serial in page and rel.unit2.serial in page

    client.post(f"/desk/releases/bulletins/{bulletin.pk}/announce/")
    assert OutboxMessage.objects.filter(kind="security_bulletin").count() == 3


def test_a_bulletin_with_a_bad_spec_is_a_form_error(rel, client):
    client.force_login(rel.rnd)

    response = client.post(
        "/desk/releases/bulletins/new/",
        {
            "product_model": rel.model.pk,
            "title": "t",
            "severity": "high",
            "affected_versions": "3.*.1",
            "text": "x",
        },
    )

    assert response.status_code == 400
    assert "wildcard" in response.content.decode()


def test_a_publisher_downloads_a_package_and_it_is_logged_without_a_unit(rel, client):
    client.force_login(rel.rnd)

    response = client.get(f"/desk/releases/packages/{rel.base.pk}/")

    assert response.status_code == 200
    assert DownloadLog.objects.get().unit is None


def test_unknown_ids_are_404(rel, client):
    client.force_login(rel.rnd)

    assert client.get("/desk/releases/999999/").status_code == 404
    assert client.get("/desk/releases/bulletins/999999/").status_code == 404
    assert client.get("/desk/releases/units/NOPE/").status_code == 404


def test_the_release_page_costs_a_fixed_number_of_queries(rel, client, django_assert_max_num_queries):
    for index in range(6):
        UnitFactory(customer=rel.second, product_model=rel.model, serial=f"SJJ-MORE-{index}")
    client.force_login(rel.rnd)
    client.get(f"/desk/releases/{rel.release.pk}/announce/")

    with django_assert_max_num_queries(30):
        page = client.get(f"/desk/releases/{rel.release.pk}/announce/").content.decode()

    assert "SJJ-MORE-5" in page


@pytest.mark.parametrize(
    "model", ["release", "installation", "downloadlog", "bulletin", "announcement", "releaseevent"]
)
def test_the_admin_lists_open_read_only(rel, admin_client, model):
    response = admin_client.get(f"/admin/releases/{model}/")

    assert response.status_code == 200
    assert admin_client.get(f"/admin/releases/{model}/add/").status_code == 403
