"""Factories for customers, sites and contacts."""

from __future__ import annotations

import factory

from aftersales.customers.models import Contact, Customer, Site


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cust-{n}")
    name = factory.Sequence(lambda n: f"重庆某银行{n}")
    invoice_title = factory.LazyAttribute(lambda o: o.name)
    tax_number = factory.Sequence(lambda n: f"91500000{n:010d}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"数据中心{n}")
    city = "重庆"
    address = "重庆市渝中区解放碑1号"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    department = "信息科技部"
    phone = factory.Sequence(lambda n: f"023-6000 {n:04d}")
    mobile = factory.Sequence(lambda n: f"+86 139 {n:04d} 0000")
    email = factory.Sequence(lambda n: f"contact{n}@bank.example")
