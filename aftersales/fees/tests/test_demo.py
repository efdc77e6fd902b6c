"""The demo fees build on the real demo, through the services."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from aftersales.fees.demo import build_demo
from aftersales.fees.models import FeeSchedule, Quote, QuoteStatus, Statement
from aftersales.fees.services import schedule_in_force

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("only_base_demo")
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_the_demo_fees_cover_the_schedule_quote_states_and_a_statement():
    call_command("demo", stdout=StringIO())
    now = timezone.now()
    summary = build_demo(now=now, rng=random.Random(7))
    assert summary.startswith("fees: schedule ")
    assert FeeSchedule.objects.count() == 3
    in_force = schedule_in_force(timezone.localdate(now))
    codes = set(in_force.items.values_list("code", flat=True))
    assert {
        "installation",
        "spare_day",
        "onsite_visit",
        "onsite_hour",
        "travel_covered",
        "travel_elsewhere",
    } <= codes
    assert {"inspection_visit", "upgrade_year", "migration"} <= codes
    assert any(code.startswith("repair:") for code in codes) and any(
        code.startswith("part:") for code in codes
    )
    statuses = set(Quote.objects.values_list("status", flat=True))
    assert statuses == {s for s in QuoteStatus.values if s != QuoteStatus.CANCELLED}
    statement = Statement.objects.get()
    assert statement.charges.count() >= 5
    assert statement.tax_number
    issued = Quote.objects.get(status=QuoteStatus.ISSUED)
    assert issued.customer.code == "cqrcb"
