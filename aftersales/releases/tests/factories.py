"""Factories for releases, packages and bulletins (valid and published by default)."""

from __future__ import annotations

import hashlib
from datetime import date

import factory
from django.core.files.base import ContentFile

from aftersales.releases.models import Bulletin, Release, ReleasePackage
from aftersales.units.tests.factories import ProductModelFactory

PACKAGE_BYTES = b"SJJ firmware image\x00\x01\x02" * 64


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    product_model = factory.SubFactory(ProductModelFactory)
    version = factory.Sequence(lambda n: f"3.3.{n}")
    released_on = date(2026, 6, 1)
    kind = Release.Kind.UPGRADE
    notes = "修复加密卡超时；提升 SM2 签名性能。"
    applies_to = "3.2.*"
    is_published = True


class ReleasePackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReleasePackage

    release = factory.SubFactory(ReleaseFactory)
    original_name = factory.Sequence(lambda n: f"sjj-firmware-{n}.bin")
    file = factory.LazyAttribute(lambda o: ContentFile(PACKAGE_BYTES, name=o.original_name))
    size = len(PACKAGE_BYTES)
    sha256 = hashlib.sha256(PACKAGE_BYTES).hexdigest()
    required_feature = ""


class BulletinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bulletin

    title = "加密卡驱动远程代码执行漏洞"
    severity = Bulletin.Severity.CRITICAL
    product_model = factory.SubFactory(ProductModelFactory)
    affected_versions = "3.2.*"
    text = "攻击者可通过管理口发送构造报文。请尽快升级。"
    published_on = date(2026, 6, 2)
