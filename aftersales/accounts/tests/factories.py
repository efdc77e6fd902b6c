"""Factories for accounts: product lines, centres, users, shifts."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from aftersales.accounts.models import OnCallShift, ProductLine, ServiceCentre, User
from aftersales.accounts.roles import Role


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine
        django_get_or_create = ("code",)

    code = "crypto"
    name = "密码设备"


class ServiceCentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCentre
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"centre-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.city}技术支持中心")
    city = "重庆"
    covered_cities = factory.LazyAttribute(lambda o: [o.city])
    emergency_contact = "王经理 138 0000 0000"

    @factory.post_generation
    def product_lines(self, create, extracted, **kwargs):
        if not create:
            return
        for line in extracted if extracted is not None else [ProductLineFactory()]:
            self.product_lines.add(line)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"员工{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@vendor.example")
    role = Role.SPECIALIST
    centre = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role in (Role.ENGINEER, Role.LEAD)),
        yes_declaration=factory.SubFactory(ServiceCentreFactory),
        no_declaration=None,
    )
    password = factory.django.Password("demo")


class OnCallShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnCallShift

    centre = factory.SubFactory(ServiceCentreFactory)
    user = factory.SubFactory(UserFactory, role=Role.ENGINEER, centre=factory.SelfAttribute("..centre"))
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=12))
