"""Two workers delivering at once on PostgreSQL: every message reaches the SMTP server once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import deliver_due_messages
from aftersales.notifications.tests.factories import OutboxMessageFactory

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_started_together_send_each_message_once(smtp):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SKIP LOCKED)")
    rows = OutboxMessageFactory.create_batch(60)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(deliver_due_messages(now=T0))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert sum(result.sent for result in results) == 60
    sent_ids = Counter(received.message["Message-ID"] for received in smtp.received)
    assert sent_ids == Counter({row.message_id: 1 for row in rows})
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 60
