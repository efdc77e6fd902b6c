"""``benchmarks.api_create``: it really creates tickets through a running server and counts them.

The live server needs committed data, so these tests flush the database; the
serialized rollback puts back what the migrations seeded (the service policy,
the calendars) for the tests after them.
"""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from aftersales.tickets.models import Ticket
from benchmarks.api_create import ApiBenchError, run


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_creates_tickets_through_the_api_and_times_healthz_alike(cast, live_server):
    token = Token.objects.create(user=cast.specialist)
    before = Ticket.objects.count()

    figures = run(live_server.url, token=token.key, requests=4, warmup=1)

    assert figures.created == 4
    assert figures.unit_serial in {cast.unit1.serial, cast.unit2.serial}
    assert Ticket.objects.count() == before + 1 + 1 + 4  # the check, the warm-up, the timed ones
    assert figures.per_second > 0 and figures.healthz_per_second > 0
    assert figures.p50 <= figures.p99
    assert figures.healthz.statuses == {200: 4}


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_stops_at_once_when_the_token_cannot_report(cast, live_server):
    token = Token.objects.create(user=cast.engineer)

    with pytest.raises(ApiBenchError, match="403"):
        run(live_server.url, token=token.key, unit_serial=cast.unit1.serial, requests=2, warmup=0)
