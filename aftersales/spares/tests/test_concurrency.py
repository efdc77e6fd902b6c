"""Two leads lending the same spare unit at once on PostgreSQL: one loan, the other refused."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from aftersales.core.errors import Conflict
from aftersales.spares import services
from aftersales.spares.models import Loan, SpareUnit
from aftersales.spares.tests.conftest import T0, open_fault


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_spare_unit_lent_to_two_tickets_at_once_goes_to_one(cast, unit, reporter, pool):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    tickets = [open_fault(cast, unit, reporter), open_fault(cast, unit, reporter)]
    barrier = threading.Barrier(2)
    lent, refused, errors = [], [], []

    def run(ticket):
        try:
            barrier.wait()
            lent.append(
                services.lend_unit(
                    ticket=ticket,
                    spare_unit=SpareUnit.objects.get(pk=pool.same.pk),
                    by=cast.lead,
                    expected_return_on=date(2026, 3, 16),
                    at=T0 + timedelta(hours=3),
                )
            )
        except Conflict as exc:
            refused.append(exc)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(ticket,)) for ticket in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert (len(lent), len(refused)) == (1, 1)
    assert Loan.objects.filter(spare_unit=pool.same, status=Loan.Status.OUT).count() == 1
    assert SpareUnit.objects.get(pk=pool.same.pk).status == SpareUnit.Status.ON_LOAN
