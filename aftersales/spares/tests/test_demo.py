"""The spares demo builds on the demo's organisation, installed base and open faults."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.core.business_time import local_date
from aftersales.demo.installed_base import build_installed_base
from aftersales.demo.organisation import build_organisation
from aftersales.spares import queries
from aftersales.spares.demo import build_demo
from aftersales.spares.models import FaultyPartReturn, Loan, LoanProposal, SparePart, SpareUnit
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Kind, Severity

pytestmark = pytest.mark.django_db


def test_the_spares_demo_runs_on_the_demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    now = timezone.now()
    organisation = build_organisation(now=now)
    base = build_installed_base(organisation=organisation, rng=random.Random(1), now=now)
    specialist = next(u for u in organisation.users.values() if u.role == "specialist")
    covered = [u for u in base.units if u.site_id and u.is_active][:12]
    for index, unit in enumerate(covered):
        ticket_services.open_ticket(
            by=specialist,
            kind=Kind.FAULT,
            channel=Channel.PHONE,
            customer=unit.customer,
            unit=unit,
            severity=Severity.SEVERE,
            title="主板故障，业务中断",
            description="加密卡无法初始化，交易签名失败，日志显示主板通讯超时，已重启两次无效。",
            now=now - timedelta(days=3 + index),
        )

    summary = build_demo(now=now, rng=random.Random(1))

    assert summary.startswith("spares: ")
    assert SpareUnit.objects.filter(status=SpareUnit.Status.AVAILABLE).exists()
    assert SparePart.objects.exists()
    assert Loan.objects.filter(status=Loan.Status.OUT).exists()
    assert queries.overdue_loans(today=local_date(now)).exists()
    assert Loan.objects.filter(chase_count=1).exists()
    assert FaultyPartReturn.objects.filter(status=FaultyPartReturn.Status.SHIPPED).exists()
    assert LoanProposal.objects.exists() or "0 loan proposals" in summary
