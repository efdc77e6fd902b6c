"""Demo data of the releases area: releases with small generated packages, a bulletin, an announcement,
and some downloads and installs, built through the services on top of the existing demo."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.core.files.base import ContentFile

from aftersales.accounts.models import User
from aftersales.accounts.roles import Role
from aftersales.core.business_time import local_date
from aftersales.core.errors import InvalidInput
from aftersales.customers.queries import customer_scope_for_user
from aftersales.releases import services
from aftersales.releases.entitlement import packages_for, published_releases_for_models
from aftersales.releases.models import Bulletin, Installation, Release
from aftersales.units.models import ProductModel, Unit

# model code, version, kind, applies to, notes, feature packages (besides the base package)
RELEASES = [
    (
        "SJJ1310",
        "4.3.0",
        Release.Kind.UPGRADE,
        ">=4.1 <4.3",
        "支持 SM2 协同签名；加密卡驱动更新；修复高并发下的超时。",
        ["ha"],
    ),
    ("SJJ1310", "4.1.4", Release.Kind.PATCH, "4.1.3", "修复 4.1.3 中 HA 切换后密钥同步失败的问题。", []),
    (
        "SVS1800",
        "2.7.0",
        Release.Kind.UPGRADE,
        "2.5.*, 2.6.*",
        "新增证书链在线校验（OCSP）；界面支持英文。",
        ["cert-chain"],
    ),
    (
        "VPN3000",
        "6.2.0",
        Release.Kind.UPGRADE,
        "6.0.*, 6.1.*",
        "国密 IPSec 性能提升 30%；修复 SSL VPN 会话泄漏。",
        ["sm-ipsec"],
    ),
]


def _package(rng: random.Random, name: str) -> ContentFile:
    return ContentFile(rng.randbytes(rng.randint(2048, 8192)), name=name)


def build_demo(*, now: datetime, rng: random.Random) -> str:
    """Releases for the demo's models, a bulletin, their announcements, and downloads and installs."""
    publisher = User.objects.filter(role=Role.RND, is_active=True).order_by("username").first()
    engineer = (
        User.objects.filter(username="engineer").first() or User.objects.filter(role=Role.ENGINEER).first()
    )
    models = {
        model.code: model for model in ProductModel.objects.filter(code__in={row[0] for row in RELEASES})
    }
    if publisher is None or not models:
        return "releases: skipped (no R&D user or product models in the demo)"
    releases = {}
    for code, version, kind, applies_to, notes, features in RELEASES:
        model = models.get(code)
        if model is None:
            continue
        released_at = now - timedelta(days=rng.randint(20, 60))
        release = services.create_release(
            by=publisher,
            product_model=model,
            version=version,
            released_on=local_date(released_at),
            kind=kind,
            notes=notes,
            applies_to=applies_to,
            now=released_at,
        )
        services.add_package(
            release=release,
            by=publisher,
            file=_package(rng, f"{code.lower()}-{version}.bin"),
            now=released_at,
        )
        for feature in features:
            if feature in model.features:
                services.add_package(
                    release=release,
                    by=publisher,
                    file=_package(rng, f"{code.lower()}-{version}-{feature}.bin"),
                    required_feature=feature,
                    now=released_at,
                )
        releases[(code, version)] = services.publish_release(release=release, by=publisher, now=released_at)
    announced = 0
    fixing = releases.get(("SJJ1310", "4.3.0"))
    bulletin = None
    if fixing is not None:
        bulletin = services.create_bulletin(
            by=publisher,
            product_model=fixing.product_model,
            title="SJJ1310 管理接口认证绕过漏洞（CVE-2026-31337）",
            severity=Bulletin.Severity.HIGH,
            affected_versions="<4.2.1",
            text=(
                "攻击者可在未认证的情况下访问管理接口的部分功能。"
                "请升级到 4.3.0；升级前请限制管理口的网络访问。"
            ),
            fixed_by=fixing,
            now=now - timedelta(days=10),
        )
        for subject in ({"release": fixing}, {"bulletin": bulletin}):
            try:
                services.announce(by=publisher, now=now - timedelta(days=9), **subject)
                announced += 1
            except InvalidInput:
                pass
    downloads, installs = _downloads_and_installs(now=now, rng=rng, engineer=engineer)
    return (
        f"releases: {len(releases)} releases, {1 if bulletin else 0} bulletin, {announced} announcements, "
        f"{downloads} downloads, {installs} installs"
    )


def _downloads_and_installs(*, now: datetime, rng: random.Random, engineer: User | None) -> tuple[int, int]:
    """customer1 downloads for some of its units and installs on one; the engineer installs remotely."""
    downloads = installs = 0
    customer = User.objects.filter(username="customer1", role=Role.CUSTOMER).first()
    if customer is None:
        return 0, 0
    units = list(
        Unit.objects.filter(customer__in=customer_scope_for_user(customer), is_active=True)
        .select_related("product_model")
        .prefetch_related("contracts")
        .order_by("serial")
    )
    releases = published_releases_for_models(unit.product_model_id for unit in units)
    today = local_date(now)
    offered = [(unit, offer) for unit in units for offer in packages_for(unit, today, releases=releases)]
    offered = [(unit, offer) for unit, offer in offered if offer.is_offered]
    for index, (unit, offer) in enumerate(offered[:4]):
        at = now - timedelta(days=7 - index, hours=rng.randint(1, 8))
        services.record_download(user=customer, unit=unit, package=offer.package, ip="10.20.1.15", now=at)
        downloads += 1
        if index == 0:
            services.record_installation(
                unit=unit,
                release=offer.release,
                method=Installation.Method.CUSTOMER,
                by=customer,
                at=at,
                now=now,
            )
            installs += 1
    if engineer is not None:
        remaining = [
            (unit, offer) for unit, offer in offered[4:] if unit.software_version != offer.release.version
        ]
        if remaining:
            unit, offer = remaining[0]
            services.record_installation(
                unit=unit,
                release=offer.release,
                method=Installation.Method.REMOTE,
                by=engineer,
                at=now - timedelta(days=2),
                note="远程升级，客户值班人员在场确认",
                now=now,
            )
            installs += 1
    return downloads, installs
