from __future__ import annotations

import random

import pytest
from django.utils import timezone

from aftersales.demo.scenario import build_demo as build_base_demo
from aftersales.releases.demo import build_demo
from aftersales.releases.models import AnnouncementRecipient, Bulletin, DownloadLog, Installation, Release

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("only_base_demo")
def test_the_releases_demo_builds_on_the_demo_through_the_services():
    now = timezone.now()
    build_base_demo(now=now)

    summary = build_demo(now=now, rng=random.Random(7))

    assert summary.startswith("releases: 4 releases, 1 bulletin, 2 announcements")
    assert Release.objects.filter(is_published=True).count() == 4
    assert all(release.packages.exists() for release in Release.objects.all())
    assert Bulletin.objects.get().fixed_by.version == "4.3.0"
    assert AnnouncementRecipient.objects.exists()
    assert DownloadLog.objects.filter(user__username="customer1").count() >= 1
    assert Installation.objects.filter(method=Installation.Method.CUSTOMER).exists()
