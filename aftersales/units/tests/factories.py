"""Factories for product models, units, parts and contracts."""

from __future__ import annotations

from datetime import date, timedelta

import factory

from aftersales.accounts.tests.factories import ProductLineFactory
from aftersales.customers.tests.factories import CustomerFactory, SiteFactory
from aftersales.units.models import Contract, ProductModel, Unit, UnitPart


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SJJ-{1000 + n}")
    name = factory.LazyAttribute(lambda o: f"服务器密码机 {o.code}")
    kind = ProductModel.Kind.APPLIANCE
    product_line = factory.SubFactory(ProductLineFactory)
    features = ["sm2", "sm4", "ha"]


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    serial = factory.Sequence(lambda n: f"HAC{2026000000 + n}")
    product_model = factory.SubFactory(ProductModelFactory)
    customer = factory.SubFactory(CustomerFactory)
    site = factory.SubFactory(SiteFactory, customer=factory.SelfAttribute("..customer"))
    shipped_on = date(2026, 1, 5)
    accepted_on = date(2026, 1, 20)
    software_version = "3.2.1"
    licensed_features = ["sm2", "sm4"]


class UnitPartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitPart

    unit = factory.SubFactory(UnitFactory)
    name = "电源模块"
    part_number = "PSU-550"
    serial = factory.Sequence(lambda n: f"PSU{n:06d}")
    origin = UnitPart.Origin.FACTORY


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"HT-2026-{n:04d}")
    customer = factory.SubFactory(CustomerFactory)
    kind = Contract.Kind.EXTENDED_WARRANTY
    starts_on = date(2026, 1, 1)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + timedelta(days=364))

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        """``ContractFactory(units=[unit, ...])`` puts the units under the contract."""
        if create and extracted:
            self.units.add(*extracted)
