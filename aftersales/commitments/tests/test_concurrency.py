"""Two sweeps racing on PostgreSQL: exactly one notice and one outbox row per clock, level and person."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.commitments import services
from aftersales.commitments.models import ClockNotice, CommitmentRule, ServicePolicy, StartEvent
from aftersales.commitments.policy_seed import seed_policy
from aftersales.commitments.services import ClockContext
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.notifications.models import OutboxMessage

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_started_together_write_each_notice_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    seed_policy(ServicePolicy, CommitmentRule)  # a transactional test starts from an empty database
    centre = ServiceCentreFactory(code="cq")
    UserFactory(username="lead", role=Role.LEAD, centre=centre)
    UserFactory(username="manager", role=Role.MANAGER)
    customer = CustomerFactory()
    clocks = 60
    for subject_id in range(1, clocks + 1):
        services.start_clocks(
            subject_type="ticket",
            subject_id=subject_id,
            reference=f"SR-2026-{subject_id:06d}",
            event=StartEvent.REPORTED,
            at=T0,
            context=ClockContext(
                customer_id=customer.pk,
                centre_id=centre.pk,
                assignee_id=None,
                ticket_kind="fault",
                severity="severe",
                is_site_covered=True,
                contract_id=None,
                policy_at=T0,
            ),
        )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(services.sweep(now=T0 + timedelta(minutes=21)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.warnings for r in results) == clocks
    assert ClockNotice.objects.filter(level="warning").count() == clocks
    rows = OutboxMessage.objects.filter(kind="clock_warning")
    assert rows.count() == clocks  # one recipient (the lead) per clock
    assert rows.values("reference").distinct().count() == clocks
