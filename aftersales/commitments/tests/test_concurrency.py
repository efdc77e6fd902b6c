"""Two sweeps racing on PostgreSQL: one notice, one timeline event, one outbox row per clock and level."""

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
from aftersales.tickets.models import TicketEvent
from aftersales.tickets.tests.factories import TicketFactory

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
    tickets = [
        TicketFactory(customer=customer, unit__customer=customer, centre=centre) for _ in range(clocks)
    ]
    for ticket in tickets:
        services.start_clocks(
            subject_type="ticket",
            subject_id=ticket.pk,
            reference=ticket.number,
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
    # …and one timeline event on each ticket (written by the tickets app's hook).
    warnings = TicketEvent.objects.filter(kind=TicketEvent.Kind.CLOCK_WARNING)
    assert warnings.count() == clocks
    assert warnings.values("ticket").distinct().count() == clocks
