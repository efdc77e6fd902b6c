"""The demo's roles, two customers, and a published fee schedule in force since 2026-01-01."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.fees.services import create_schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)

ITEMS = [
    {"code": "installation", "category": "installation", "name_en": "Installation and commissioning",
     "name_zh": "首次安装调试", "unit": "time", "price": "3000.00", "vat_rate": "6"},
    {"code": "repair:hsm-3000", "category": "repair", "name_en": "Repair labour, HSM 3000",
     "name_zh": "HSM 3000 维修工时", "unit": "time", "price": "1800.00", "vat_rate": "6"},
    {"code": "part:PSU-500", "category": "part", "name_en": "Power supply 500 W",
     "name_zh": "500W 电源模块", "unit": "piece", "price": "1130.00", "vat_rate": "13"},
    {"code": "onsite_hour", "category": "onsite", "name_en": "On-site maintenance per hour",
     "name_zh": "现场维护（每小时）", "unit": "hour", "price": "500.00", "vat_rate": "6"},
    {"code": "travel_elsewhere", "category": "travel", "name_en": "Travel outside covered cities",
     "name_zh": "差旅（非覆盖城市）", "unit": "time", "price": "1500.00", "vat_rate": "6"},
]  # fmt: skip


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def customers(db):
    first = CustomerFactory(
        code="bank-a",
        name="Bank A",
        invoice_title="甲银行股份有限公司",
        tax_number="91500000123456789X",
        invoice_address="重庆市渝中区解放碑 1 号 023-6789 1234",
        invoice_bank="工商银行重庆分行 3100 0000 0000",
    )
    return SimpleNamespace(first=first, second=CustomerFactory(code="bank-b", name="Bank B"))


@pytest.fixture
def cast(db, customers):
    """specialist, engineer, manager, leader, admin, customer1 (bank-a), customer2 (bank-b)."""
    centre = ServiceCentreFactory(code="cq", city="重庆")
    people = {
        role: UserFactory(username=role, role=role, centre=centre if role == Role.ENGINEER else None)
        for role in ("specialist", "engineer", "manager", "leader", "admin")
    }
    for name, customer in (("customer1", customers.first), ("customer2", customers.second)):
        user = UserFactory(username=name, role=Role.CUSTOMER)
        ContactFactory(customer=customer, user=user, name=name)
        people[name] = user
    return SimpleNamespace(**people)


@pytest.fixture
def schedule(db):
    return create_schedule(name="2026 收费标准", effective_from=date(2026, 1, 1), items=ITEMS, published=True)


def lines(*extra: dict) -> list[dict]:
    return [{"code": "repair:hsm-3000", "quantity": 1}, {"code": "part:PSU-500", "quantity": 2}, *extra]


@pytest.fixture
def quote(db, cast, customers, schedule):
    from aftersales.fees.services import create_quote

    return create_quote(customer=customers.first, by=cast.specialist, lines=lines(), at=NOW)
