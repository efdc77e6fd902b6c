"""Two workers generating a plan's visits at once on PostgreSQL: each visit exists once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections

from aftersales.inspections import services
from aftersales.inspections.models import Frequency, PlanOccurrence
from aftersales.inspections.tests.conftest import local
from aftersales.visits.models import Visit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_generators_started_together_create_each_visit_once(make_plan):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent transactions")
    for _ in range(3):
        make_plan(frequency=Frequency.MONTHLY, starts_on=date(2026, 12, 10))
    now = local(2026, 12, 7, 8)
    barrier = threading.Barrier(2)
    created, errors = [], []

    def run():
        try:
            barrier.wait()
            created.append(len(services.generate_inspection_visits(now=now, horizon_days=70)))
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
    assert sum(created) == 9  # 3 plans × 3 months, between the two workers
    assert Visit.objects.count() == 9 == PlanOccurrence.objects.count()
    assert Visit.objects.values("number").distinct().count() == 9
