from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.core.errors import Conflict, InvalidInput, NotPermitted
from aftersales.customers.tests.factories import ContactFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.releases import services
from aftersales.releases.models import AnnouncementRecipient, DownloadLog, Installation, Release, ReleaseEvent
from aftersales.releases.queries import follow_up_table
from aftersales.releases.tests.factories import BulletinFactory

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_creating_a_release_records_who_and_refuses_a_duplicate_version(rel):
    release = services.create_release(
        by=rel.rnd,
        product_model=rel.model,
        version="3.4.0",
        released_on=date(2026, 11, 30),
        applies_to="3.3.*",
    )

    assert release.is_published is False
    assert ReleaseEvent.objects.get(release=release).action == "created"
    with pytest.raises(Conflict, match=r"already has a release 3\.4\.0"):
        services.create_release(
            by=rel.rnd, product_model=rel.model, version="3.4.0", released_on=date(2026, 12, 1)
        )


def test_creating_a_release_needs_the_capability_and_a_valid_spec(rel):
    with pytest.raises(NotPermitted):
        services.create_release(
            by=rel.engineer, product_model=rel.model, version="3.4", released_on=NOW.date()
        )
    with pytest.raises(InvalidInput):
        services.create_release(
            by=rel.rnd, product_model=rel.model, version="3.4", released_on=NOW.date(), applies_to="3.*.1"
        )
    with pytest.raises(InvalidInput):
        services.create_release(by=rel.rnd, product_model=rel.model, version="3 4/x", released_on=NOW.date())
    assert not Release.objects.filter(version="3.4").exists()


def test_a_package_is_stored_with_the_checksum_of_its_bytes_and_the_client_is_not_asked(rel):
    content = b"\x7fELF firmware" * 1000
    package = services.add_package(
        release=rel.release,
        by=rel.rnd,
        file=SimpleUploadedFile("../../etc/fw.bin", content),
        required_feature="sm2",
    )

    assert package.sha256 == hashlib.sha256(content).hexdigest()
    assert package.size == len(content)
    assert package.original_name == "fw.bin"
    assert "etc" not in package.file.name
    with package.file.open("rb") as stored:
        assert stored.read() == content


def test_an_empty_oversized_or_duplicate_package_or_unknown_feature_is_refused(rel, settings):
    with pytest.raises(InvalidInput, match="empty"):
        services.add_package(release=rel.release, by=rel.rnd, file=SimpleUploadedFile("a.bin", b""))
    settings.AFTERSALES_MAX_PACKAGE_MB = 0.001
    with pytest.raises(InvalidInput, match="MB limit"):
        services.add_package(release=rel.release, by=rel.rnd, file=SimpleUploadedFile("b.bin", b"x" * 2000))
    del settings.AFTERSALES_MAX_PACKAGE_MB
    with pytest.raises(Conflict):
        services.add_package(
            release=rel.release, by=rel.rnd, file=SimpleUploadedFile("sjj1805-3.3.0.bin", b"x")
        )
    with pytest.raises(InvalidInput, match="not a licensable feature"):
        services.add_package(
            release=rel.release, by=rel.rnd, file=SimpleUploadedFile("c.bin", b"x"), required_feature="gm"
        )
    assert rel.release.packages.count() == 2


def test_publishing_needs_a_package_and_happens_once(rel):
    draft = services.create_release(
        by=rel.rnd, product_model=rel.model, version="3.5", released_on=NOW.date()
    )
    with pytest.raises(InvalidInput):
        services.publish_release(release=draft, by=rel.rnd, now=NOW)
    services.add_package(release=draft, by=rel.rnd, file=SimpleUploadedFile("p.bin", b"payload"))

    published = services.publish_release(release=draft, by=rel.rnd, now=NOW)

    assert published.is_published is True and published.published_at == NOW
    with pytest.raises(Conflict):
        services.publish_release(release=draft, by=rel.rnd, now=NOW)


def test_installing_updates_the_version_keeps_history_and_never_adds_features(rel):
    installation = services.record_installation(
        unit=rel.unit1, release=rel.release, method=Installation.Method.REMOTE, by=rel.engineer, now=NOW
    )

    rel.unit1.refresh_from_db()
    assert rel.unit1.software_version == "3.3.0"
    assert rel.unit1.licensed_features == ["sm2", "sm4"]
    assert installation.previous_version == "3.2.1" and installation.by == rel.engineer
    with pytest.raises(Conflict, match="already runs"):
        services.record_installation(
            unit=rel.unit1, release=rel.release, method=Installation.Method.VISIT, by=rel.engineer, now=NOW
        )


def test_a_customer_records_an_install_only_on_its_own_entitled_unit(rel):
    with pytest.raises(NotPermitted):
        services.record_installation(
            unit=rel.unit2,
            release=rel.release,
            method=Installation.Method.CUSTOMER,
            by=rel.customer1,
            now=NOW,
        )
    with pytest.raises(NotPermitted):
        services.record_installation(
            unit=rel.unit1,
            release=rel.release,
            method=Installation.Method.CUSTOMER,
            by=rel.customer1,
            now=datetime(2027, 3, 1, tzinfo=UTC),  # warranty over, no contract
        )

    services.record_installation(
        unit=rel.unit1, release=rel.release, method=Installation.Method.CUSTOMER, by=rel.customer1, now=NOW
    )

    rel.unit1.refresh_from_db()
    assert rel.unit1.software_version == "3.3.0"
    rel.unit2.refresh_from_db()
    assert rel.unit2.software_version == "3.2.1"


def test_a_staff_member_without_a_capability_may_not_record_installs(rel):
    with pytest.raises(NotPermitted):
        services.record_installation(
            unit=rel.unit1, release=rel.release, method=Installation.Method.REMOTE, by=rel.specialist, now=NOW
        )


def test_a_download_is_logged_only_when_entitled_and_intact(rel):
    log = services.record_download(
        user=rel.customer1, unit=rel.unit1, package=rel.base, ip="10.0.0.8", now=NOW
    )

    assert (log.user, log.unit, log.package, log.at, log.ip) == (
        rel.customer1,
        rel.unit1,
        rel.base,
        NOW,
        "10.0.0.8",
    )
    with pytest.raises(NotPermitted):
        services.record_download(user=rel.customer1, unit=rel.unit1, package=rel.ha, now=NOW)
    with pytest.raises(NotPermitted):
        services.record_download(user=rel.customer1, unit=rel.unit2, package=rel.base, now=NOW)
    assert DownloadLog.objects.count() == 1


def test_a_package_whose_bytes_changed_on_disk_is_refused(rel):
    with open(rel.base.file.path, "wb") as tampered:
        tampered.write(b"evil")

    with pytest.raises(Conflict, match="checksum"):
        services.record_download(user=rel.customer1, unit=rel.unit1, package=rel.base, now=NOW)
    assert DownloadLog.objects.count() == 0


def test_announcing_a_release_tells_affected_customers_contacts_and_account_manager_in_their_language(rel):
    ContactFactory(customer=rel.first, name="不收报告", email="other@bank.example", receives_reports=False)

    announcement = services.announce(by=rel.rnd, release=rel.release, now=NOW)

    messages = {m.address: m for m in OutboxMessage.objects.filter(kind="release_announcement")}
    assert set(messages) == {"it1@bank.example", "am@vendor.example", "it2@bank.example"}
    assert messages["it1@bank.example"].subject == "Software Upgrade 3.3.0 for SJJ1805 服务器密码机"
    assert "/portal/downloads/" in messages["it1@bank.example"].body
    assert "SJJ-CQ-0001" in messages["it1@bank.example"].body
    assert "SJJ-CQ-0002" not in messages["it1@bank.example"].body
    assert messages["it2@bank.example"].language == "zh-hans"
    assert f"/desk/releases/{rel.release.pk}/" in messages["am@vendor.example"].body
    assert AnnouncementRecipient.objects.filter(announcement=announcement).count() == 3


def test_a_customer_without_report_contacts_is_told_through_all_its_contacts(rel):
    rel.contact2.receives_reports = False
    rel.contact2.save()
    ContactFactory(customer=rel.second, name="无邮箱", email="")

    services.announce(by=rel.rnd, release=rel.release, now=NOW)

    assert OutboxMessage.objects.filter(address="it2@bank.example").count() == 1


def test_an_unpublished_release_or_one_nobody_runs_cannot_be_announced(rel):
    rel.release.is_published = False
    rel.release.save()
    with pytest.raises(InvalidInput):
        services.announce(by=rel.rnd, release=rel.release, now=NOW)
    with pytest.raises(NotPermitted):
        services.announce(by=rel.engineer, release=rel.release, now=NOW)
    assert not OutboxMessage.objects.exists()


def test_a_bulletin_goes_to_customers_with_units_on_the_affected_versions(rel):
    rel.unit2.software_version = "3.1.0"
    rel.unit2.save()
    bulletin = services.create_bulletin(
        by=rel.rnd,
        product_model=rel.model,
        title="SM2 签名侧信道漏洞",
        severity="critical",
        affected_versions="3.2.*",
        text="请升级到 3.3.0。",
        fixed_by=rel.release,
        now=NOW,
    )

    services.announce(by=rel.rnd, bulletin=bulletin, now=NOW)

    addresses = set(OutboxMessage.objects.filter(kind="security_bulletin").values_list("address", flat=True))
    assert addresses == {"it1@bank.example", "am@vendor.example"}


def test_the_follow_up_table_counts_told_downloaded_and_installed_per_customer(rel):
    bulletin = BulletinFactory(product_model=rel.model, fixed_by=rel.release)
    services.announce(by=rel.rnd, bulletin=bulletin, now=NOW)
    services.record_download(user=rel.customer1, unit=rel.unit1, package=rel.base, now=NOW)
    services.record_installation(
        unit=rel.unit1, release=rel.release, method=Installation.Method.CUSTOMER, by=rel.customer1, now=NOW
    )

    rows = {row.customer.code: row for row in follow_up_table(bulletin=bulletin)}

    assert sorted(rows["bank-a"].told) == ["am@vendor.example", "it1@bank.example"]
    assert (rows["bank-a"].downloads, rows["bank-a"].installed_units) == (1, 1)
    assert (rows["bank-b"].downloads, rows["bank-b"].installed_units) == (0, 0)
    assert rows["bank-b"].told == ["it2@bank.example"]
