"""The demo repairs build on the demo's cast and installed base, through the services.

The whole demo (tickets replayed over 90 days) takes minutes on this machine, so this test
builds the demo's organisation and installed base and opens a few fault tickets the way the
demo's stories do; ``build_demo`` only needs fault tickets on hardware units.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.commitments.models import Clock, Outcome
from aftersales.demo.installed_base import build_installed_base
from aftersales.demo.organisation import build_organisation
from aftersales.repairs.demo import build_demo
from aftersales.repairs.models import Repair, Status
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.units.models import ProductModel, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_base():
    now = timezone.now()
    organisation = build_organisation(now=now)
    build_installed_base(organisation=organisation, rng=random.Random(3), now=now)
    specialist = organisation.user("specialist")
    units = Unit.objects.exclude(product_model__kind=ProductModel.Kind.SOFTWARE).select_related("customer")
    reported = now - timedelta(days=70)
    for unit in list(units.order_by("customer__parent_id", "pk")[:8]):
        ticket_services.open_ticket(
            by=specialist,
            kind=Kind.FAULT,
            channel=Channel.PHONE,
            customer=unit.customer,
            title="设备故障",
            description="设备无法启动，告警灯常亮。",
            severity=Severity.GENERAL,
            unit=unit,
            reported_at=reported,
            now=reported,
        )
    return now


def test_the_demo_repairs_cover_the_stages_with_one_late_with_notice_and_one_awaiting_a_quote(demo_base):
    summary = build_demo(now=demo_base, rng=random.Random(7))
    assert summary.startswith("repairs: 6 ")
    statuses = set(Repair.objects.values_list("status", flat=True))
    assert {Status.RETURNED, Status.DIAGNOSED, Status.QUOTED, Status.SHIPPED_BACK, Status.OPENED} <= statuses
    quoted = Repair.objects.get(status=Status.QUOTED)
    assert Clock.objects.get(subject_type="repair", subject_id=quoted.pk).status == Clock.Status.PAUSED
    late = Clock.objects.filter(subject_type="repair", late_notice_at__isnull=False).get()
    assert late.breached_at is not None
    assert late.outcome == Outcome.LATE_WITH_NOTICE
    assert Repair.objects.get(pk=late.subject_id).has_breach is True
    kept = Repair.objects.get(status=Status.RETURNED)
    assert Clock.objects.get(subject_type="repair", subject_id=kept.pk).outcome == Outcome.KEPT
