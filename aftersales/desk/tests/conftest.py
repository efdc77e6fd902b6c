"""The console's fixed cast: every role of the demo, two centres, two customers, a unit under warranty."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.tickets import services
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.units.tests.factories import UnitFactory

CAST = ("specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs ~0.5 s a user on purpose; a cast of eleven would dominate every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_unless_asked(settings):
    """Pages answer in English unless a test asks for another language (assertions read English)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def cast(db):
    """specialist … admin (engineer and lead at Chongqing), ``other_lead`` at Chengdu, customer1/2.

    ``account`` manages the first customer; the first customer has a unit at a
    Chongqing site and a contact whose mobile is stored as ``13800001234``.
    """
    chongqing = ServiceCentreFactory(code="cq", city="重庆", emergency_contact="王经理 138 0000 0000")
    chengdu = ServiceCentreFactory(code="cd", city="成都")
    people = {
        role: UserFactory(
            username=role,
            role=role,
            centre=chongqing if role in (Role.ENGINEER, Role.LEAD) else None,
        )
        for role in CAST
    }
    people["other_lead"] = UserFactory(username="other_lead", role=Role.LEAD, centre=chengdu)
    first = CustomerFactory(code="bank-a", name="重庆农村商业银行", account_manager=people["account"])
    second = CustomerFactory(code="bank-b", name="蜀都银行")
    for name, customer in (("customer1", first), ("customer2", second)):
        user = UserFactory(username=name, role=Role.CUSTOMER)
        ContactFactory(customer=customer, user=user, name=name)
        people[name] = user
    site = SiteFactory(customer=first, city="重庆", name="数据中心")
    unit = UnitFactory(customer=first, site=site, serial="SJJ-CQ-0001")
    caller = ContactFactory(
        customer=first, name="张工", mobile="13800001234", phone="", email="zhang@bank-a.example"
    )
    return SimpleNamespace(
        **people,
        chongqing=chongqing,
        chengdu=chengdu,
        first=first,
        second=second,
        site=site,
        unit=unit,
        caller=caller,
    )


@pytest.fixture
def open_fault(cast):
    """Open a fault on the first customer's unit through the real intake service (clocks and all)."""

    def open_fault(
        *, by=None, reported_at=None, severity=Severity.GENERAL, title="主板故障，业务中断", **fields
    ):
        return services.open_ticket(
            by=by or cast.specialist,
            kind=fields.pop("kind", Kind.FAULT),
            channel=fields.pop("channel", Channel.PHONE),
            customer=fields.pop("customer", cast.first),
            title=title,
            description="加密卡无法初始化，交易签名失败，日志显示主板通讯超时，已重启两次无效。",
            severity=severity,
            unit=fields.pop("unit", cast.unit),
            reporter=fields.pop("reporter", cast.caller),
            reported_at=reported_at,
            **fields,
        )

    return open_fault
