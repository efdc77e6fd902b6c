"""The console's year-end page and the portal's: who may use them, what they do, what they cost."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.reports.models import YearEndReport
from aftersales.reports.tests.yearend_fixture import build_year

pytestmark = pytest.mark.django_db

DESK = reverse("reports:yearend")
PORTAL = reverse("portal:yearend_list")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def archived(customer, *, year: int = 2025, version: int = 1) -> YearEndReport:
    report = YearEndReport(
        customer=customer,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        language="zh-hans",
        version=version,
        generated_at=timezone.now(),
        sha256="0" * 64,
    )
    report.file.save(
        f"{customer.code}-{year}-{version}.pdf", ContentFile(b"%PDF-1.7 " + customer.code.encode())
    )
    return report


def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_manager_generates_a_report_for_any_period_and_finds_it_in_the_archive(client):
    year = build_year()
    manager = UserFactory(role=Role.MANAGER)

    response = signed_in(client, manager).post(
        DESK,
        {
            "customer": year.bank.pk,
            "start": "2026-01-01",
            "end": "2026-06-30",
            "language": "en",
            "include_branches": "on",
        },
    )

    assert response.status_code == 302
    report = YearEndReport.objects.get()
    assert (report.period_start, report.period_end, report.language) == (
        date(2026, 1, 1),
        date(2026, 6, 30),
        "en",
    )
    assert report.generated_by == manager and report.include_branches
    page = client.get(DESK).content.decode()
    assert "2026-01-01 – 2026-06-30" in page and "重庆银行" in page
    download = client.get(reverse("reports:yearend_download", args=[report.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_bad_period_is_a_400_and_archives_nothing(client):
    customer = CustomerFactory()
    response = signed_in(client, UserFactory(role=Role.MANAGER)).post(
        DESK, {"customer": customer.pk, "start": "2026-12-31", "end": "2026-01-01", "language": "en"}
    )

    assert response.status_code == 400
    assert "must end on or after its start" in response.content.decode()
    assert not YearEndReport.objects.exists()


def test_people_without_reports_or_customers_are_refused(client):
    assert signed_in(client, UserFactory(role=Role.ENGINEER)).get(DESK).status_code == 403
    customer_user = UserFactory(role=Role.CUSTOMER)
    ContactFactory(user=customer_user)
    assert signed_in(client, customer_user).get(DESK).status_code == 403


def test_an_account_manager_sees_and_downloads_only_their_customers_reports(client):
    manager = UserFactory(role=Role.ACCOUNT)
    mine, theirs = (
        CustomerFactory(name="我的客户", account_manager=manager),
        CustomerFactory(name="别人的客户"),
    )
    own, other = archived(mine), archived(theirs)

    signed_in(client, manager)
    page = client.get(DESK).content.decode()
    assert "我的客户" in page and "别人的客户" not in page
    assert client.get(reverse("reports:yearend_download", args=[own.pk])).status_code == 200
    assert client.get(reverse("reports:yearend_download", args=[other.pk])).status_code == 404
    response = client.post(
        DESK, {"customer": theirs.pk, "start": "2026-01-01", "end": "2026-12-31", "language": "zh-hans"}
    )
    assert (
        response.status_code == 400 and not YearEndReport.objects.filter(customer=theirs, version=2).exists()
    )


def test_sending_from_the_console_tells_the_recipients(client):
    year = build_year()
    report = archived(year.bank)

    response = signed_in(client, UserFactory(role=Role.MANAGER)).post(
        reverse("reports:yearend_send", args=[report.pk])
    )

    assert response.status_code == 302
    assert set(OutboxMessage.objects.values_list("address", flat=True)) == {
        "wang@bank.example",
        "am@vendor.example",
    }


def test_the_console_archive_costs_the_same_for_many_reports(client, django_assert_max_num_queries):
    signed_in(client, UserFactory(role=Role.MANAGER))
    for index in range(30):
        archived(CustomerFactory(), year=2000 + index % 3)

    with django_assert_max_num_queries(12):
        assert client.get(DESK).status_code == 200


# --- portal ----------------------------------------------------------------------------------


def portal_user(customer):
    user = UserFactory(role=Role.CUSTOMER)
    ContactFactory(customer=customer, user=user)
    return user


def test_the_portal_lists_the_organisations_reports_and_a_head_office_its_branches_too(client):
    head = CustomerFactory(code="hq", name="总行")
    branch = CustomerFactory(code="br", name="分行甲", parent=head)
    stranger = CustomerFactory(code="x", name="外单位")
    reports = {name: archived(customer) for name, customer in [("hq", head), ("br", branch), ("x", stranger)]}

    signed_in(client, portal_user(head))
    page = client.get(PORTAL).content.decode()
    assert "总行" in page and "分行甲" in page and "外单位" not in page
    response = client.get(reverse("portal:yearend_download", args=[reports["br"].pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.7 br"
    assert client.get(reverse("portal:yearend_download", args=[reports["x"].pk])).status_code == 404

    signed_in(client, portal_user(branch))
    assert "总行" not in client.get(PORTAL).content.decode()
    assert client.get(reverse("portal:yearend_download", args=[reports["hq"].pk])).status_code == 404


def test_the_portal_list_costs_the_same_for_many_reports(client, django_assert_max_num_queries):
    customer = CustomerFactory()
    for year in range(2000, 2020):
        archived(customer, year=year)
    signed_in(client, portal_user(customer))

    with django_assert_max_num_queries(10):
        response = client.get(PORTAL)
    assert response.status_code == 200 and "2019" in response.content.decode()
