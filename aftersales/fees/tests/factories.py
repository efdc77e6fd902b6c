"""Fee records for other areas' tests (e.g. the isolation walks): a schedule, quotes, a statement."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from aftersales.core.business_time import local_date
from aftersales.fees.models import FeeSchedule, Quote, Statement
from aftersales.fees.services import (
    build_statement,
    complete_quote,
    create_quote,
    create_schedule,
    issue_quote,
    record_customer_decision,
    schedule_in_force,
)

TEST_ITEMS = [
    {"code": "onsite_visit", "category": "onsite", "name_en": "On-site visit", "name_zh": "上门服务",
     "unit": "time", "price": "800.00", "vat_rate": "6"},
    {"code": "part:PSU-500", "category": "part", "name_en": "Power supply 500 W", "name_zh": "500W 电源模块",
     "unit": "piece", "price": "1130.00", "vat_rate": "13"},
]  # fmt: skip


def ensure_schedule() -> FeeSchedule:
    """The schedule in force today, or a small published one from 2000-01-01."""
    return schedule_in_force(local_date(timezone.now())) or create_schedule(
        name="Test schedule", effective_from=date(2000, 1, 1), items=TEST_ITEMS, published=True
    )


def issued_quote(*, customer, by, ticket=None) -> Quote:
    ensure_schedule()
    quote = create_quote(
        customer=customer, by=by, ticket=ticket, lines=[{"code": "onsite_visit"}, {"code": "part:PSU-500"}]
    )
    return issue_quote(quote=quote, by=by)


def invoiced_quote_and_statement(*, customer, by) -> tuple[Quote, Statement]:
    """A quote approved by phone, completed and put on a statement of the last week."""
    quote = issued_quote(customer=customer, by=by)
    record_customer_decision(quote=quote, approved=True, by=by, channel="phone")
    complete_quote(quote=quote, by=by)
    today = local_date(timezone.now())
    statement = build_statement(
        customer=customer, period_start=today - timedelta(days=7), period_end=today, by=by
    )
    quote.refresh_from_db()
    return quote, statement
