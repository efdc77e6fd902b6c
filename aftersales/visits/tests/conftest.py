"""The demo cast (from the tickets tests), a fault at a covered site, and a visit helper."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.customers.tests.factories import ContactFactory
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.tickets.tests.conftest import (  # noqa: F401 (fixtures)
    _english,
    cast,
    centre,
    customers,
    unit,
)
from aftersales.visits import services

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # a Monday morning
DESCRIPTION = "加密卡无法初始化，交易签名失败，日志显示主板通讯超时，已重启两次无效。"
WHY = "远程指导重新初始化两次仍失败，需要现场更换主板。"
SIGNATURE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def contact(db, customers):  # noqa: F811
    return ContactFactory(
        customer=customers.first,
        name="李主任",
        mobile="13800001111",
        email="li@bank-a.example",
        language="zh-hans",
    )


def open_fault(people, on_unit, contact=None, *, severity=Severity.SEVERE, at=T0):
    ticket = ticket_services.open_ticket(
        by=people.specialist,
        kind=Kind.FAULT,
        channel=Channel.PHONE,
        customer=on_unit.customer,
        unit=on_unit,
        severity=severity,
        reporter=contact,
        onsite_contact=contact,
        title="主板故障，业务中断",
        description=DESCRIPTION,
        reported_at=at,
        now=at,
    )
    return ticket


def dispatch(people, ticket, *, engineers=None, at=None, **extra):
    at = at or T0 + timedelta(minutes=30)
    extra.setdefault("why_remote_failed", WHY)
    return services.dispatch_visit(
        ticket=ticket,
        engineers=engineers or [people.engineer],
        planned_start=at + timedelta(hours=1),
        purpose="更换主板",
        by=people.lead,
        at=at,
        **extra,
    )
