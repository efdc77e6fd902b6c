"""The demo's fixed cast, a Chongqing centre with a loaner pool, and a customer's unit there."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.spares import services
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.units.tests.factories import ProductModelFactory, UnitFactory

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # a Monday morning
DESCRIPTION = "加密卡无法初始化，交易签名失败，日志显示主板通讯超时，已重启两次无效。"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def centre(db):
    return ServiceCentreFactory(code="cq", city="重庆")


@pytest.fixture
def customers(db):
    return SimpleNamespace(first=CustomerFactory(code="bank-a"), second=CustomerFactory(code="bank-b"))


@pytest.fixture
def cast(db, centre, customers):
    """specialist, engineer, rnd, lead, manager, account, leader, admin, customer1, customer2."""
    people = {
        role: UserFactory(
            username=role,
            role=role,
            email=f"{role}@vendor.example",
            centre=centre if role in (Role.ENGINEER, Role.LEAD) else None,
        )
        for role in ("specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin")
    }
    for name, customer in (("customer1", customers.first), ("customer2", customers.second)):
        user = UserFactory(username=name, role=Role.CUSTOMER)
        ContactFactory(customer=customer, user=user, name=name, email=f"{name}@bank.example")
        people[name] = user
    customers.first.account_manager = people["account"]
    customers.first.save(update_fields=["account_manager"])
    return SimpleNamespace(**people)


@pytest.fixture
def model(db):
    return ProductModelFactory(code="SJJ1212", name="服务器密码机 SJJ1212")


@pytest.fixture
def unit(db, customers, model):
    site = SiteFactory(customer=customers.first, city="重庆")
    return UnitFactory(customer=customers.first, site=site, product_model=model)


@pytest.fixture
def reporter(db, customers):
    return ContactFactory(customer=customers.first, name="张工", email="zhang@bank-a.example", language="en")


@pytest.fixture
def pool(cast, centre, model):
    """Two loaners at the centre: one of the customer's model, one of another model."""
    other = ProductModelFactory(code="SJJ1313", name="服务器密码机 SJJ1313")
    return SimpleNamespace(
        same=services.add_spare_unit(
            centre=centre, product_model=model, serial="SP-0001", by=cast.lead, location="重庆库房 A-1", at=T0
        ),
        other=services.add_spare_unit(
            centre=centre, product_model=other, serial="SP-0002", by=cast.lead, location="重庆库房 A-2", at=T0
        ),
    )


def open_fault(cast, unit, reporter=None, *, severity=Severity.SEVERE, at=T0, **extra):
    return ticket_services.open_ticket(
        by=cast.specialist,
        kind=Kind.FAULT,
        channel=Channel.PHONE,
        customer=unit.customer,
        unit=unit,
        severity=severity,
        reporter=reporter,
        title="主板故障，业务中断",
        description=DESCRIPTION,
        now=at,
        **extra,
    )


@pytest.fixture
def ticket(cast, unit, reporter, centre):
    """A severe in-warranty fault, reported at T0 and routed to the Chongqing centre."""
    opened = open_fault(cast, unit, reporter)
    assert opened.centre == centre
    return opened
