"""The fixed cast of the demo's roles, a Chongqing centre, and a customer's unit there."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.units.tests.factories import UnitFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast's passwords need not resist attack: Argon2 would cost ~0.3 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions on messages read the English source text, whatever the default language
    (system texts on the timeline are written in ``LANGUAGE_CODE``)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def centre(db):
    return ServiceCentreFactory(code="cq", city="重庆", emergency_contact="王经理 138 0000 0000")


@pytest.fixture
def customers(db):
    return SimpleNamespace(first=CustomerFactory(code="bank-a"), second=CustomerFactory(code="bank-b"))


@pytest.fixture
def cast(db, centre, customers):
    """specialist, engineer, rnd, lead, manager, account, leader, admin, customer1, customer2."""
    people = {
        role: UserFactory(
            username=role, role=role, centre=centre if role in (Role.ENGINEER, Role.LEAD) else None
        )
        for role in ("specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin")
    }
    for name, customer in (("customer1", customers.first), ("customer2", customers.second)):
        user = UserFactory(username=name, role=Role.CUSTOMER)
        ContactFactory(customer=customer, user=user, name=name)
        people[name] = user
    customers.first.account_manager = people["account"]
    customers.first.save(update_fields=["account_manager"])
    return SimpleNamespace(**people)


@pytest.fixture
def unit(db, customers):
    """A unit of the first customer at a site in Chongqing (covered by the centre)."""
    site = SiteFactory(customer=customers.first, city="重庆")
    return UnitFactory(customer=customers.first, site=site)


@pytest.fixture
def reporter(db, customers):
    return ContactFactory(
        customer=customers.first, name="张工", email="zhang@bank-a.example", language="zh-hans"
    )
