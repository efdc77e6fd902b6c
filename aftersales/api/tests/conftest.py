"""The API's fixed cast: every demo role, two customers each with a unit, a contact and a ticket.

``api(user)`` is a client that authenticates with ``user``'s API token, as an
integration does; ``api(None)`` sends no credentials.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.tickets import services
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.units.tests.factories import UnitFactory

CAST = ("specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin")


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English source text of messages."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def cast(db):
    """specialist … admin (engineer and lead at Chongqing); customer1 and customer2 of two customers.

    Each customer has a site, a unit and a ticket opened through the intake
    service; the first customer's caller 张工 has the mobile ``13800001234``.
    """
    chongqing = ServiceCentreFactory(code="cq", city="重庆")
    people = {
        role: UserFactory(
            username=role, role=role, centre=chongqing if role in ("engineer", "lead") else None
        )
        for role in CAST
    }
    first = CustomerFactory(code="bank-a", name="重庆农村商业银行", account_manager=people["account"])
    second = CustomerFactory(code="bank-b", name="蜀都银行")
    contacts = {}
    for name, customer in (("customer1", first), ("customer2", second)):
        user = UserFactory(username=name, role=Role.CUSTOMER)
        contacts[name] = ContactFactory(customer=customer, user=user, name=name)
        people[name] = user
    units = {
        customer.code: UnitFactory(
            customer=customer,
            site=SiteFactory(customer=customer, city="重庆"),
            serial=f"SJJ-{customer.code.upper()}-0001",
        )
        for customer in (first, second)
    }
    caller = ContactFactory(customer=first, name="张工", mobile="13800001234", phone="")
    tickets = {
        customer.code: services.open_ticket(
            by=people["specialist"],
            kind=Kind.FAULT,
            channel=Channel.PHONE,
            customer=customer,
            title="主板故障，业务中断",
            description="加密卡无法初始化，交易签名失败，日志显示主板通讯超时，已重启两次无效。",
            severity=Severity.GENERAL,
            unit=units[customer.code],
            reporter=contacts["customer1" if customer == first else "customer2"],
        )
        for customer in (first, second)
    }
    return SimpleNamespace(
        **people,
        chongqing=chongqing,
        first=first,
        second=second,
        unit1=units["bank-a"],
        unit2=units["bank-b"],
        contact1=contacts["customer1"],
        contact2=contacts["customer2"],
        caller=caller,
        ticket1=tickets["bank-a"],
        ticket2=tickets["bank-b"],
    )


@pytest.fixture
def api():
    """A client authenticated by ``user``'s token (``None``: anonymous)."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
