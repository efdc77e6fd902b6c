"""A bank with a reporter, a unit, an open ticket SR-2026-000123 and our acknowledgement of it.

The .eml fixtures under ``fixtures/`` are written against this cast: they come
from ``zhang@bank-a.example`` (the reporter), reply to ``<ack-fixture@aftersales>``
(our acknowledgement) or name ``[SR-2026-000123]``, and their topmost Received
header says our server got them on 2026-03-02 at 09:00:05 Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.models import Status
from aftersales.tickets.tests.factories import TicketFactory
from aftersales.units.tests.factories import UnitFactory

FIXTURES = Path(__file__).parent / "fixtures"
SH = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 9, 0, 5, tzinfo=SH)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def eml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bank(db):
    """Bank A with its reporter 张工, a unit SN-CQ-0042, an open ticket and our acknowledgement."""
    centre = ServiceCentreFactory(code="cq", city="重庆")
    customer = CustomerFactory(code="bank-a", name="重庆A银行")
    branch = CustomerFactory(code="bank-a-branch", name="重庆A银行解放碑支行", parent=customer)
    site = SiteFactory(customer=customer, city="重庆")
    unit = UnitFactory(customer=customer, site=site, serial="SN-CQ-0042")
    reporter = ContactFactory(customer=customer, name="张工", email="zhang@bank-a.example")
    colleague = ContactFactory(customer=branch, name="Li Ming", email="li.ming@bank-a.example")
    ticket = TicketFactory(
        number="SR-2026-000123",
        unit=unit,
        customer=customer,
        reporter=reporter,
        centre=centre,
        status=Status.IN_PROGRESS,
    )
    ack = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        address=reporter.email,
        subject="[SR-2026-000123] We received your report",
        body="…",
        kind="ticket_acknowledgement",
        reference=ticket.number,
        message_id="<ack-fixture@aftersales>",
    )
    specialist = UserFactory(username="specialist", role=Role.SPECIALIST)
    engineer = UserFactory(username="engineer", role=Role.ENGINEER, centre=centre)
    return SimpleNamespace(
        centre=centre,
        customer=customer,
        branch=branch,
        unit=unit,
        reporter=reporter,
        colleague=colleague,
        ticket=ticket,
        ack=ack,
        specialist=specialist,
        engineer=engineer,
    )
