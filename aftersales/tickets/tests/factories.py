"""Factories for tickets, their handling reports, follow-ups and timeline events.

``TicketFactory`` builds a ticket row directly (no clocks, no outbox): use it
for workflow and permission tests; use ``services.open_ticket`` where the
intake itself (number, clocks, acknowledgement) is what the test is about.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factory

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory
from aftersales.tickets.models import (
    Channel,
    FollowUp,
    HandlingReport,
    Kind,
    Level,
    Severity,
    Status,
    Ticket,
    TicketEvent,
)
from aftersales.units.tests.factories import UnitFactory

SH = ZoneInfo("Asia/Shanghai")
REPORTED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=SH)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"SR-2026-{900000 + n:06d}")
    kind = Kind.FAULT
    channel = Channel.PHONE
    severity = Severity.GENERAL
    status = Status.NEW
    title = "主板故障，业务中断"
    description = "加密卡无法初始化，交易签名失败，日志显示主板通讯超时，已重启两次无效。"
    unit = factory.SubFactory(UnitFactory)
    customer = factory.LazyAttribute(lambda o: o.unit.customer)
    site = factory.LazyAttribute(lambda o: o.unit.site if o.unit else None)
    reporter = factory.SubFactory(ContactFactory, customer=factory.SelfAttribute("..customer"))
    reporter_name = factory.LazyAttribute(lambda o: o.reporter.name if o.reporter else "")
    reporter_email = factory.LazyAttribute(lambda o: o.reporter.email if o.reporter else "")
    centre = factory.SubFactory(ServiceCentreFactory)
    reported_at = REPORTED_AT
    resolved_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status in (Status.RESOLVED, Status.CLOSED)),
        yes_declaration=factory.LazyAttribute(lambda o: o.reported_at + timedelta(hours=2)),
        no_declaration=None,
    )
    closed_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == Status.CLOSED),
        yes_declaration=factory.LazyAttribute(lambda o: o.reported_at + timedelta(hours=3)),
        no_declaration=None,
    )


class HandlingReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandlingReport

    ticket = factory.SubFactory(TicketFactory, status=Status.IN_PROGRESS)
    diagnosis = "主板通讯芯片故障"
    actions_taken = "远程指导更换备用加密卡，业务恢复"
    level_reached = Level.L2
    author = factory.SubFactory(UserFactory, role=Role.ENGINEER)
    created_at = factory.LazyAttribute(lambda o: o.ticket.reported_at + timedelta(hours=1))


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    ticket = factory.SubFactory(TicketFactory, status=Status.CLOSED)
    is_fixed = True
    satisfaction = 5
    comment = "响应及时"
    recorded_by = factory.SubFactory(UserFactory, role=Role.SPECIALIST)
    created_at = factory.LazyAttribute(lambda o: o.ticket.reported_at + timedelta(days=1))


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    kind = TicketEvent.Kind.NOTE
    at = factory.LazyAttribute(lambda o: o.ticket.reported_at + timedelta(minutes=5))
    actor = factory.SubFactory(UserFactory, role=Role.ENGINEER)
    body = "已联系客户获取日志"
