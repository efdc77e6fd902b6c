"""The inspections cast: a Chongqing engineer and lead, an account manager, two customers."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.core.business_time import local_zone
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.inspections.tests.factories import ChecklistTemplateFactory, InspectionPlanFactory
from aftersales.units.tests.factories import UnitFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=local_zone())


@pytest.fixture
def cast(db):
    centre = ServiceCentreFactory(code="cq", city="重庆")
    people = {
        role: UserFactory(
            username=role,
            role=role,
            centre=centre if role in (Role.ENGINEER, Role.LEAD) else None,
            language="en",
        )
        for role in (Role.ENGINEER, Role.LEAD, Role.MANAGER, Role.ACCOUNT, Role.SPECIALIST)
    }
    people["other_engineer"] = UserFactory(username="other_engineer", role=Role.ENGINEER, centre=centre)
    first = CustomerFactory(code="bank-a", name="重庆农村商业银行", account_manager=people["account"])
    second = CustomerFactory(code="bank-b", name="蜀都银行")
    for index, customer in ((1, first), (2, second)):
        user = UserFactory(username=f"customer{index}", role=Role.CUSTOMER)
        ContactFactory(customer=customer, user=user, name=f"客户{index}")
        people[f"customer{index}"] = user
    site = SiteFactory(customer=first, city="重庆", name="数据中心")
    unit = UnitFactory(customer=first, site=site, serial="SJJ-CQ-0001")
    other_site = SiteFactory(customer=second, city="重庆", name="总行机房")
    other_unit = UnitFactory(customer=second, site=other_site, serial="SJJ-CQ-0002")
    template = ChecklistTemplateFactory(name="密码机季度巡检")
    return SimpleNamespace(
        **people,
        centre=centre,
        first=first,
        second=second,
        site=site,
        unit=unit,
        other_site=other_site,
        other_unit=other_unit,
        template=template,
    )


@pytest.fixture
def make_plan(cast):
    def make_plan(*, sites=None, units=None, **fields):
        fields.setdefault("customer", cast.first)
        fields.setdefault("template", cast.template)
        fields.setdefault("engineer", cast.engineer)
        fields.setdefault("centre", cast.centre)
        plan = InspectionPlanFactory(**fields)
        plan.sites.set([cast.site] if sites is None else sites)
        plan.units.set([cast.unit] if units is None else units)
        return plan

    return make_plan
