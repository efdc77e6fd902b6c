"""The whole way out, with the real ticket services and escalation sweep: a report at night is
acknowledged by mail, the person on duty is woken by robots and SMS, and the reply threads."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import OnCallShiftFactory, ServiceCentreFactory, UserFactory
from aftersales.commitments.services import sweep
from aftersales.customers.tests.factories import ContactFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import deliver_due_messages
from aftersales.tickets import services as tickets
from aftersales.tickets.models import Channel, Kind, Severity
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 3, 2, 0, tzinfo=SH)  # two in the morning


def test_a_night_report_is_acknowledged_the_engineer_on_duty_is_woken_and_the_reply_threads(smtp, gateways):
    centre = ServiceCentreFactory(
        code="cq",
        city="重庆",
        wecom_webhook=f"{gateways.url}/cgi-bin/webhook/send?key=k",
        dingtalk_webhook=f"{gateways.url}/robot/send?access_token=t",
    )
    engineer = UserFactory(
        username="engineer",
        role=Role.ENGINEER,
        centre=centre,
        phone="138 2301 0001",
        email="engineer@vendor.example",
    )
    OnCallShiftFactory(
        centre=centre, user=engineer, starts_at=T0 - timedelta(hours=6), ends_at=T0 + timedelta(hours=6)
    )
    specialist = UserFactory(username="specialist", role=Role.SPECIALIST)
    unit = UnitFactory(site__city="重庆")
    reporter = ContactFactory(customer=unit.customer, email="zhang@bank-a.example", language="zh-hans")

    ticket = tickets.open_ticket(
        by=specialist,
        kind=Kind.FAULT,
        channel=Channel.WEB,
        customer=unit.customer,
        unit=unit,
        severity=Severity.GENERAL,
        reporter=reporter,
        title="加密机告警",
        description="加密机前面板告警灯常亮，业务偶有超时。",
        reported_at=T0,
        now=T0,
    )
    deliver_due_messages(now=T0)

    [acknowledgement] = smtp.received
    ack = acknowledgement.message
    assert acknowledgement.rcpt_tos == ["zhang@bank-a.example"]
    assert f"[{ticket.number}]" in ack["Subject"]
    assert ack["Auto-Submitted"] == "auto-replied"

    warned_at = T0 + timedelta(minutes=29)
    assert sweep(now=warned_at).warnings == 1
    deliver_due_messages(now=warned_at)

    assert [r.rcpt_tos for r in smtp.received[1:]] == [["engineer@vendor.example"]]
    assert smtp.received[1].message["Auto-Submitted"] == "auto-generated"
    assert gateways.on("/cgi-bin/webhook/send")[0].json["text"]["mentioned_mobile_list"] == ["13823010001"]
    assert gateways.on("/robot/send")[0].json["at"]["atMobiles"] == ["13823010001"]
    [sms] = gateways.on("/sms/send")
    assert sms.json["mobile"] == "13823010001"
    assert ticket.number in sms.json["content"]

    tickets.reply_to_customer(ticket=ticket, by=engineer, body="请发送设备日志。", at=warned_at)
    deliver_due_messages(now=warned_at + timedelta(minutes=1))

    reply = smtp.received[-1].message
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert reply["References"].split() == [ack["Message-ID"]]
    assert f"[{ticket.number}]" in reply["Subject"]
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()
