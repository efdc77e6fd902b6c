"""Generating, archiving and sending year-end reports, and the automatic run after the year."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.core.errors import InvalidInput, NotPermitted
from aftersales.notifications.models import OutboxMessage
from aftersales.reports import services
from aftersales.reports.models import YearEndReport
from aftersales.reports.tests.yearend_fixture import build_year

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

SH = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 1, 1), date(2026, 12, 31)
FIRST_WORKING_DAY_2027 = datetime(2027, 1, 1, 7, 30, tzinfo=SH)  # 2027 has no official schedule: Mon–Fri


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def year():
    return build_year()


def test_a_report_on_demand_is_archived_with_its_checksum_and_a_new_version_each_time(year):
    manager = UserFactory(role=Role.MANAGER)
    first = services.generate_year_end_report(customer=year.bank, start=START, end=END, by=manager)
    second = services.generate_year_end_report(customer=year.bank, start=START, end=END, by=manager)

    assert (first.version, second.version) == (1, 2)
    data = first.file.open("rb").read()
    assert data.startswith(b"%PDF")
    assert first.sha256 == hashlib.sha256(data).hexdigest() and first.size == len(data)
    assert first.generated_by == manager and not first.is_automatic
    assert first.include_branches
    assert first.summary["tickets"] == 6 and first.summary["promises_kept"] == 3
    assert YearEndReport.objects.count() == 2


def test_any_period_and_a_branch_report_without_branches(year):
    report = services.generate_year_end_report(
        customer=year.branch, start=date(2026, 7, 1), end=date(2026, 9, 30), language="en"
    )

    assert report.period_label == "2026-07-01 – 2026-09-30"
    assert not report.include_branches and report.summary["tickets"] == 1
    assert report.download_name == "year-end-bank-wz-20260701-20260930-en-v1.pdf"


@pytest.mark.parametrize(
    ("start", "end", "language"),
    [(END, START, "en"), (START, date(2030, 1, 1), "en"), (START, END, "fr")],
)
def test_bad_input_is_refused_and_archives_nothing(year, start, end, language):
    with pytest.raises(InvalidInput):
        services.generate_year_end_report(customer=year.bank, start=start, end=end, language=language)
    assert not YearEndReport.objects.exists()


def test_only_report_readers_and_the_customers_own_account_manager_may_generate(year):
    with pytest.raises(NotPermitted):
        services.generate_year_end_report(
            customer=year.bank, start=START, end=END, by=UserFactory(role=Role.ENGINEER)
        )
    with pytest.raises(NotPermitted):
        services.generate_year_end_report(
            customer=year.bank, start=START, end=END, by=UserFactory(role=Role.ACCOUNT)
        )
    report = services.generate_year_end_report(customer=year.bank, start=START, end=END, by=year.manager)
    assert report.generated_by == year.manager


def test_an_automatic_report_is_archived_once(year):
    first = services.generate_year_end_report(customer=year.bank, start=START, end=END, automatic=True)
    again = services.generate_year_end_report(customer=year.bank, start=START, end=END, automatic=True)

    assert again.pk == first.pk
    assert YearEndReport.objects.filter(is_automatic=True).count() == 1


def test_the_run_waits_for_the_first_working_day_of_january():
    assert services.year_to_report(date(2026, 12, 31)) is None
    assert services.year_to_report(date(2026, 1, 2)) is None  # New Year holiday (official 2026)
    assert services.first_working_day_of_january(2026) == date(2026, 1, 4)  # a make-up Sunday
    assert services.year_to_report(date(2026, 1, 4)) == 2025
    assert services.year_to_report(date(2027, 1, 1)) == 2026  # fallback Mon–Fri: a Friday
    assert services.year_to_report(date(2027, 2, 1)) is None


def test_the_run_archives_every_active_customer_in_its_recipients_languages_and_tells_them(year):
    assert services.run_year_end_reports(now=datetime(2026, 12, 31, 9, tzinfo=SH)) == []

    reports = services.run_year_end_reports(now=FIRST_WORKING_DAY_2027)

    archived = sorted((r.customer.code, r.language) for r in reports)
    assert archived == [("bank", "en"), ("bank", "zh-hans"), ("bank-wz", "zh-hans"), ("insurer", "zh-hans")]
    assert all(r.is_automatic and r.generated_by is None for r in reports)
    mails = OutboxMessage.objects.filter(kind=services.NOTICE_KIND)
    assert sorted(mails.values_list("address", "language")) == [
        ("am@vendor.example", "zh-hans"),
        ("li@bank.example", "en"),
        ("wang@bank.example", "zh-hans"),
    ]
    wang = mails.get(address="wang@bank.example")
    assert "信息科技部" in wang.body and "/portal/year-end/" in wang.body
    assert "/reports/year-end/" in mails.get(address="am@vendor.example").body
    bank_zh = next(r for r in reports if r.customer.code == "bank" and r.language == "zh-hans")
    assert bank_zh.sent_at == FIRST_WORKING_DAY_2027
    assert [(r["name"], r["department"]) for r in bank_zh.recipients] == [
        ("王敏", "信息科技部"),
        (year.manager.get_full_name() or year.manager.username, "Account manager"),
    ]


def test_running_again_or_on_another_worker_archives_and_sends_nothing_twice(year):
    services.run_year_end_reports(now=FIRST_WORKING_DAY_2027)
    reports, mails = YearEndReport.objects.count(), OutboxMessage.objects.count()

    services.run_year_end_reports(now=FIRST_WORKING_DAY_2027.replace(day=5))

    assert (YearEndReport.objects.count(), OutboxMessage.objects.count()) == (reports, mails)


def test_sending_again_by_hand_queues_nothing_twice(year):
    report = services.generate_year_end_report(customer=year.bank, start=START, end=END)
    services.send_year_end_report(report=report)
    count = OutboxMessage.objects.count()

    report = services.send_year_end_report(report=report)

    assert OutboxMessage.objects.count() == count == 2
    assert len(report.recipients) == 2


def test_the_year_end_mail_carries_the_pdf_itself_for_recipients_without_a_portal_login(year):
    from aftersales.notifications.channels import PermanentDeliveryError, Thread, build_email

    reports = services.run_year_end_reports(now=FIRST_WORKING_DAY_2027)
    bank_zh = next(r for r in reports if r.customer.code == "bank" and r.language == "zh-hans")
    row = OutboxMessage.objects.get(kind=services.NOTICE_KIND, address="wang@bank.example")

    email = build_email(row, thread=Thread("", []))

    [(name, content, mimetype)] = email.attachments
    assert name == "year-end-bank-20260101-20261231.pdf" and mimetype == "application/pdf"
    bank_zh.file.open("rb")
    assert content == bank_zh.file.read() and content.startswith(b"%PDF")
    bank_zh.file.close()
    # A stored file that is gone fails the row for good instead of sending a mail without it.
    bank_zh.file.storage.delete(bank_zh.file.name)
    with pytest.raises(PermanentDeliveryError, match="attachment missing"):
        build_email(row, thread=Thread("", []))
