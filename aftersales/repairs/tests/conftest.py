"""The repairs cast: staff roles, two customers with a unit each, a ticket, a fee schedule.

``old_unit`` is out of warranty (shipped 2020), ``unit`` in warranty. Times are passed to the
services explicitly (``at=``), so the 20-working-day arithmetic runs on the official 2026
calendar with National Day and its make-up days.
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.fees.services import create_schedule
from aftersales.repairs import services
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.units.tests.factories import ProductModelFactory, UnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cast(db):
    centre = ServiceCentreFactory(code="cq", city="重庆")
    people = {
        role: UserFactory(
            username=role, role=role, centre=centre if role in (Role.ENGINEER, Role.LEAD) else None
        )
        for role in ("specialist", "engineer", "lead", "manager", "account", "leader")
    }
    first = CustomerFactory(code="bank-a", name="重庆农村商业银行")
    second = CustomerFactory(code="bank-b", name="蜀都银行")
    model = ProductModelFactory(code="hsm-3000")
    objects = {"centre": centre, "first": first, "second": second, "model": model}
    for index, customer in ((1, first), (2, second)):
        user = UserFactory(username=f"customer{index}", role=Role.CUSTOMER, email=f"it{index}@bank.example")
        contact = ContactFactory(
            customer=customer, user=user, name=f"客户{index}", email=f"it{index}@bank.example", language="en"
        )
        site = SiteFactory(customer=customer, city="重庆", name=f"数据中心{index}")
        objects[f"customer{index}"] = user
        objects[f"contact{index}"] = contact
        objects[f"unit{index}"] = UnitFactory(
            customer=customer, site=site, product_model=model, serial=f"SJJ-CQ-000{index}"
        )
        objects[f"old_unit{index}"] = UnitFactory(
            customer=customer,
            site=site,
            product_model=model,
            serial=f"SJJ-OLD-000{index}",
            shipped_on=date(2019, 3, 1),
            accepted_on=date(2019, 3, 15),
        )
    create_schedule(
        name="2026",
        effective_from=date(2026, 1, 1),
        published=True,
        items=[
            {"code": "repair:hsm-3000", "category": "repair", "name_en": "Repair labour, HSM 3000",
             "name_zh": "HSM 3000 维修工时", "unit": "time", "price": "1800.00", "vat_rate": "6"},
            {"code": "part:PSU-500", "category": "part", "name_en": "Power supply 500 W",
             "name_zh": "500W 电源模块", "unit": "piece", "price": "1130.00", "vat_rate": "13"},
        ],
    )  # fmt: skip
    return SimpleNamespace(**people, **objects)


def open_fault(cast, *, unit, at: datetime, index: int = 1):
    return ticket_services.open_ticket(
        by=cast.specialist,
        kind=Kind.FAULT,
        channel=Channel.PHONE,
        customer=getattr(cast, "first" if index == 1 else "second"),
        title="加密卡故障，需返厂维修",
        description="设备无法启动，电源模块疑似损坏。",
        severity=Severity.GENERAL,
        unit=unit,
        reporter=getattr(cast, f"contact{index}"),
        reported_at=at,
        now=at,
    )


def ready_to_ship(cast, *, unit, at: datetime, index: int = 1):
    """A repair opened at ``at`` with both pre-shipment records (ack in the portal, keys zeroised)."""
    ticket = open_fault(cast, unit=unit, at=at, index=index)
    repair = services.open_repair(ticket=ticket, by=cast.specialist, fault="无法启动", at=at)
    services.acknowledge_backup(repair=repair, by=getattr(cast, f"customer{index}"), confirmed=True, at=at)
    services.record_erasure(
        repair=repair, by=cast.engineer, method="keys_zeroised", done_by="李工", done_at=at, at=at
    )
    return repair


def receive(cast, repair, at: datetime):
    """Ship in the day before ``at``, receive at the factory at ``at``."""
    step = services.StepInput(carrier="顺丰", tracking="SF1234567890")
    services.move_repair(repair=repair, step="ship_in", by=cast.specialist, details=step, at=at)
    services.move_repair(repair=repair, step="receive", by=cast.engineer, at=at)
    return repair
