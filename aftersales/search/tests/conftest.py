"""A small cast for search: two centres, two customers, and the roles that see differently."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory


@pytest.fixture
def centres(db):
    return SimpleNamespace(
        chongqing=ServiceCentreFactory(code="cq", city="重庆"),
        chengdu=ServiceCentreFactory(code="cd", city="成都"),
    )


@pytest.fixture
def customers(db):
    return SimpleNamespace(
        first=CustomerFactory(code="bank-a", name="重庆农村商业银行"),
        second=CustomerFactory(code="bank-b", name="成都银行"),
    )


@pytest.fixture
def cast(db, centres, customers):
    """specialist (sees all), engineer (Chongqing centre), account (manages the first customer),
    customer1 (a portal user of the first customer)."""
    specialist = UserFactory(username="specialist", role=Role.SPECIALIST)
    engineer = UserFactory(username="engineer", role=Role.ENGINEER, centre=centres.chongqing)
    account = UserFactory(username="account", role=Role.ACCOUNT)
    customer1 = UserFactory(username="customer1", role=Role.CUSTOMER)
    ContactFactory(customer=customers.first, user=customer1, name="customer1")
    customers.first.account_manager = account
    customers.first.save(update_fields=["account_manager"])
    return SimpleNamespace(specialist=specialist, engineer=engineer, account=account, customer1=customer1)
