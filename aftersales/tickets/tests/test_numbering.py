"""Ticket numbers: SR-<year in Asia/Shanghai>-<sequence>, safe under concurrent creation."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.core.models import DocumentSequence
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.tickets import services
from aftersales.tickets.models import Channel, Kind, Ticket

pytestmark = pytest.mark.django_db


def open_consultation(by, customer, now):
    return services.open_ticket(
        by=by,
        kind=Kind.CONSULTATION,
        channel=Channel.PHONE,
        customer=customer,
        title="如何导出审计日志",
        description="客户询问如何导出最近三个月的审计日志。",
        now=now,
    )


@pytest.mark.smoke
def test_a_ticket_number_has_the_prefix_the_year_and_six_digits(cast, customers):
    ticket = open_consultation(cast.specialist, customers.first, datetime(2026, 3, 2, 1, 0, tzinfo=UTC))

    assert re.fullmatch(r"SR-2026-\d{6}", ticket.number)
    assert ticket.number == "SR-2026-000001"


def test_the_year_is_the_shanghai_year_of_creation(cast, customers):
    late_december_utc = open_consultation(
        cast.specialist, customers.first, datetime(2026, 12, 31, 15, 59, tzinfo=UTC)
    )
    new_year_in_shanghai = open_consultation(
        cast.specialist, customers.first, datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    )

    assert late_december_utc.number == "SR-2026-000001"
    assert new_year_in_shanghai.number == "SR-2027-000001"


def test_the_sequence_grows_past_six_digits(cast, customers):
    DocumentSequence.objects.create(prefix="SR", year=2026, last_number=999_999)

    ticket = open_consultation(cast.specialist, customers.first, datetime(2026, 5, 1, 2, 0, tzinfo=UTC))

    assert ticket.number == "SR-2026-1000000"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tickets_created_concurrently_get_distinct_contiguous_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers on separate connections")
    specialist = UserFactory(username="specialist", role=Role.SPECIALIST)
    customer = CustomerFactory()
    threads_count, per_thread = 6, 5
    barrier = threading.Barrier(threads_count)
    numbers: list[str] = []
    errors: list[Exception] = []
    now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)

    def create_some():
        try:
            barrier.wait()
            for _ in range(per_thread):
                numbers.append(open_consultation(specialist, customer, now).number)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create_some) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = threads_count * per_thread
    assert sorted(numbers) == [f"SR-2026-{n:06d}" for n in range(1, total + 1)]
    assert Ticket.objects.count() == total
