"""The jobs cast: two customers with a site each, the demo's staff roles, and a model with features."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.units.tests.factories import ProductModelFactory

STAFF = ("specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin")


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
        role: UserFactory(username=role, role=role, centre=centre if role in ("engineer", "lead") else None)
        for role in STAFF
    }
    first = CustomerFactory(code="bank-a", name="重庆农村商业银行")
    second = CustomerFactory(code="bank-b", name="蜀都银行")
    extra = {}
    for index, customer in ((1, first), (2, second)):
        user = UserFactory(username=f"customer{index}", role=Role.CUSTOMER)
        extra[f"customer{index}"] = user
        extra[f"contact{index}"] = ContactFactory(customer=customer, user=user, name=f"客户{index}")
        extra[f"site{index}"] = SiteFactory(customer=customer, city="重庆", name=f"数据中心{index}")
    model = ProductModelFactory(
        code="sjj-1507",
        name="SJJ1507 服务器密码机",
        hardware_warranty_months=36,
        software_warranty_months=12,
        features=["sm2", "sm4", "hsm-cluster"],
    )
    return SimpleNamespace(**people, centre=centre, first=first, second=second, model=model, **extra)
