"""The releases cast: a model with two customers' units, a publisher, files under a temporary MEDIA."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.releases.tests.factories import ReleaseFactory, ReleasePackageFactory
from aftersales.units.tests.factories import ProductModelFactory, UnitFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rel(db):
    """Two banks with a unit each of model SJJ-1805 on 3.2.1; release 3.3.0 with a base and an HA package."""
    account = UserFactory(
        username="account", role=Role.ACCOUNT, email="am@vendor.example", language="zh-hans"
    )
    rnd = UserFactory(username="rnd", role=Role.RND, email="rnd@vendor.example")
    engineer = UserFactory(username="engineer", role=Role.ENGINEER)
    specialist = UserFactory(username="specialist", role=Role.SPECIALIST)
    model = ProductModelFactory(code="sjj-1805", name="SJJ1805 服务器密码机", features=["sm2", "sm4", "ha"])
    first = CustomerFactory(code="bank-a", name="重庆农村商业银行", account_manager=account)
    second = CustomerFactory(code="bank-b", name="蜀都银行")
    objects = {}
    for index, customer in ((1, first), (2, second)):
        user = UserFactory(username=f"customer{index}", role=Role.CUSTOMER, email=f"it{index}@bank.example")
        contact = ContactFactory(
            customer=customer,
            user=user,
            name=f"客户{index}",
            email=f"it{index}@bank.example",
            language="en" if index == 1 else "zh-hans",
            receives_reports=True,
        )
        unit = UnitFactory(
            customer=customer, product_model=model, serial=f"SJJ-CQ-000{index}", software_version="3.2.1"
        )
        objects.update({f"customer{index}": user, f"contact{index}": contact, f"unit{index}": unit})
    release = ReleaseFactory(product_model=model, version="3.3.0", applies_to="3.2.*")
    base = ReleasePackageFactory(release=release, original_name="sjj1805-3.3.0.bin")
    ha = ReleasePackageFactory(release=release, original_name="sjj1805-3.3.0-ha.bin", required_feature="ha")
    return SimpleNamespace(
        account=account,
        rnd=rnd,
        engineer=engineer,
        specialist=specialist,
        model=model,
        first=first,
        second=second,
        release=release,
        base=base,
        ha=ha,
        **objects,
    )
