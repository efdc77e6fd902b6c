"""The portal's fixed cast: two customers with a unit, a contract, a ticket and a file each.

``customer1`` and ``customer2`` are portal logins of the two customers; the
staff cast (specialist, engineer, manager) works at the Chongqing centre,
whose after-sales manager's direct line is the emergency contact.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.core.business_time import add_minutes
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.fees.tests.factories import invoiced_quote_and_statement
from aftersales.reports.models import YearEndReport
from aftersales.tickets import services
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.units.tests.factories import ContractFactory, UnitFactory
from aftersales.visits.models import VisitKind
from aftersales.visits.services import schedule_visit
from aftersales.visits.tests.factories import completed_visit

EMERGENCY = "王经理 138 0000 0000"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast's passwords need not resist attack: Argon2 would cost ~0.3 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages render in English unless a test asks otherwise (assertions read the source text)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def open_fault(*, by, customer, unit, reporter, severity=Severity.GENERAL, title="加密卡故障，交易签名失败"):
    """A fault through the real intake (number, clocks, acknowledgement), reported an hour ago."""
    now = timezone.now()
    return services.open_ticket(
        by=by,
        kind=Kind.FAULT,
        channel=Channel.PHONE,
        customer=customer,
        title=title,
        description="柜面交易签名全部失败，设备告警灯常亮，已重启一次无效。",
        severity=severity,
        unit=unit,
        reporter=reporter,
        reported_at=add_minutes(now, -60),
        now=now,
    )


def entitled_package(unit):
    """releases: a published package of the unit's model that the unit may download (upgrade contract)."""
    from aftersales.releases.tests.factories import ReleaseFactory, ReleasePackageFactory

    ContractFactory(
        customer=unit.customer,
        number=f"UP-{unit.serial}",
        kind="upgrade_service",
        starts_on=date(2020, 1, 1),
        ends_on=date(2099, 12, 31),
        units=[unit],
    )
    release = ReleaseFactory(product_model=unit.product_model, version="99.0", applies_to="")
    release.documentation.save(f"manual-{unit.serial}.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    return ReleasePackageFactory(release=release, original_name=f"fw-{unit.serial}.bin")


@pytest.fixture
def cast(db):
    centre = ServiceCentreFactory(code="cq", city="重庆", emergency_contact=EMERGENCY)
    people = {
        role: UserFactory(username=role, role=role, centre=centre if role == Role.ENGINEER else None)
        for role in (Role.SPECIALIST, Role.ENGINEER, Role.MANAGER)
    }
    first = CustomerFactory(code="bank-a", name="重庆农村商业银行")
    second = CustomerFactory(code="bank-b", name="蜀都银行")
    objects = {}
    for index, customer in ((1, first), (2, second)):
        user = UserFactory(username=f"customer{index}", role=Role.CUSTOMER, email=f"it{index}@bank.example")
        contact = ContactFactory(
            customer=customer, user=user, name=f"客户{index}", email=f"it{index}@bank.example", language="en"
        )
        site = SiteFactory(customer=customer, city="重庆", name=f"数据中心{index}")
        unit = UnitFactory(customer=customer, site=site, serial=f"SJJ-CQ-000{index}")
        contract = ContractFactory(customer=customer, number=f"HT-2026-000{index}", units=[unit])
        ticket = open_fault(by=people[Role.SPECIALIST], customer=customer, unit=unit, reporter=contact)
        event = services.add_customer_message(
            ticket=ticket,
            body=f"日志见附件 {index}",
            channel=Channel.WEB,
            by=user,
            attachments=[SimpleUploadedFile(f"log{index}.txt", b"kernel: crypto card timeout\n")],
        )
        yearend_report = YearEndReport(
            customer=customer,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            language="en",
            generated_at=timezone.now(),
            sha256="0" * 64,
        )
        yearend_report.file.save(f"year-end-{index}.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
        from aftersales.repairs.services import open_repair

        objects[f"repair{index}"] = open_repair(ticket=ticket, by=people[Role.SPECIALIST], fault="返厂维修")
        objects[f"quote{index}"], objects[f"statement{index}"] = invoiced_quote_and_statement(
            customer=customer, by=people[Role.SPECIALIST]
        )
        inspection = schedule_visit(
            customer=customer,
            kind=VisitKind.INSPECTION,
            planned_start=timezone.now(),
            purpose="季度巡检",
            by=people[Role.SPECIALIST],
            site=site,
            units=[unit],
        )
        objects.update(
            {
                f"yearend_report{index}": yearend_report,
                f"inspection{index}": inspection,
                f"customer{index}": user,
                f"contact{index}": contact,
                f"site{index}": site,
                f"unit{index}": unit,
                f"contract{index}": contract,
                f"ticket{index}": event.ticket,
                f"attachment{index}": event.attachments.get(),
                f"package{index}": entitled_package(unit),
                f"visit{index}": completed_visit(
                    ticket=event.ticket, engineer=people[Role.ENGINEER], dispatcher=people[Role.MANAGER]
                ),
            }
        )
    return SimpleNamespace(**people, centre=centre, first=first, second=second, **objects)


@pytest.fixture
def portal_client(client):
    """A test client signed in as a given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
