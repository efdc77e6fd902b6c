"""Quotes: priced from the schedule in force, locked once issued, exceptions need a manager."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from aftersales.core.errors import InvalidInput, InvalidTransition, NotPermitted
from aftersales.fees import hooks
from aftersales.fees.models import Charge, FeeItem, FeeSettings, Quote, QuoteStatus
from aftersales.fees.services import (
    approve_quote_exception,
    build_statement,
    cancel_quote,
    complete_quote,
    copy_schedule,
    create_quote,
    issue_quote,
    quote_lines_from,
    record_charge,
    record_customer_decision,
    refuse_quote_exception,
    schedule_in_force,
    update_quote_lines,
)
from aftersales.fees.tests.conftest import ITEMS, NOW, lines

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_a_quote_is_priced_from_the_schedule_in_force(quote, schedule):
    assert quote.number == "QT-2026-000001"
    assert quote.status == QuoteStatus.DRAFT
    assert quote.schedule == schedule
    got = [
        (line.code, line.quantity, line.unit_price, line.amount, line.vat_rate) for line in quote.lines.all()
    ]
    assert got == [
        ("repair:hsm-3000", Decimal("1"), Decimal("1800.00"), Decimal("1800.00"), Decimal("6")),
        ("part:PSU-500", Decimal("2"), Decimal("1130.00"), Decimal("2260.00"), Decimal("13")),
    ]
    assert quote.total == Decimal("4060.00")
    totals = {row["vat_rate"]: (row["net"], row["tax"]) for row in quote.vat_totals()}
    assert totals[Decimal("13")] == (Decimal("2000.00"), Decimal("260.00"))
    assert totals[Decimal("6")] == (Decimal("1698.11"), Decimal("101.89"))
    assert quote.events.get().kind == "created"


def test_the_newest_published_version_in_force_prices_the_quote(cast, customers, schedule):
    later = copy_schedule(schedule=schedule, name="2026 下半年", effective_from=date(2026, 7, 1))
    FeeItem.objects.filter(schedule=later, code="repair:hsm-3000").update(price=Decimal("2000.00"))
    later.published = True
    later.save()
    assert schedule_in_force(date(2026, 6, 30)) == schedule
    assert schedule_in_force(date(2026, 7, 1)) == later
    assert schedule_in_force(date(2025, 12, 31)) is None
    summer = create_quote(
        customer=customers.first, by=cast.specialist, lines=lines(), at=NOW.replace(month=7)
    )
    assert summer.lines.get(code="repair:hsm-3000").unit_price == Decimal("2000.00")


def test_an_issued_quote_never_follows_a_later_price_change(cast, customers, quote, schedule):
    issue_quote(quote=quote, by=cast.specialist, at=NOW)
    assert quote.status == QuoteStatus.ISSUED
    # The schedule is changed in place (it should be copied, but whatever happens to it) …
    FeeItem.objects.filter(schedule=schedule).update(price=Decimal("9999.00"))
    # … and a new version comes into force.
    later = copy_schedule(schedule=schedule, name="new", effective_from=date(2026, 3, 11))
    later.published = True
    later.save()
    quote = Quote.objects.get(pk=quote.pk)
    assert [line.unit_price for line in quote.lines.all()] == [Decimal("1800.00"), Decimal("1130.00")]
    assert quote.total == Decimal("4060.00")
    with pytest.raises(InvalidTransition):
        update_quote_lines(quote=quote, by=cast.specialist, lines=lines(), at=NOW + timedelta(days=2))
    assert Quote.objects.get(pk=quote.pk).total == Decimal("4060.00")


def test_an_unknown_code_is_a_clear_error_and_creates_nothing(cast, customers, schedule):
    with pytest.raises(InvalidInput, match="“repair:nope” is not an item"):
        create_quote(
            customer=customers.first, by=cast.specialist, lines=lines({"code": "repair:nope"}), at=NOW
        )
    for bad in ({"code": "onsite_hour", "quantity": "abc"}, {"code": "onsite_hour", "quantity": -1}):
        with pytest.raises(InvalidInput):
            create_quote(customer=customers.first, by=cast.specialist, lines=[bad], at=NOW)
    with pytest.raises(InvalidInput):
        create_quote(customer=customers.first, by=cast.specialist, lines=[], at=NOW)
    assert not Quote.objects.exists()


def test_no_schedule_in_force_is_refused(cast, customers, schedule):
    with pytest.raises(InvalidInput, match="No fee schedule"):
        create_quote(customer=customers.first, by=cast.specialist, lines=lines(), at=NOW.replace(year=2025))


def test_only_people_who_quote_work_create_quotes(cast, customers, schedule):
    for who in (cast.engineer, cast.customer1, cast.leader):
        with pytest.raises(NotPermitted):
            create_quote(customer=customers.first, by=who, lines=lines(), at=NOW)


def test_a_discount_within_the_limit_issues_directly(cast, customers, schedule):
    quote = create_quote(
        customer=customers.first,
        by=cast.specialist,
        lines=[{"code": "onsite_hour", "quantity": 3, "discount_percent": "10"}],
        at=NOW,
    )
    assert quote.total == Decimal("1350.00")
    issue_quote(quote=quote, by=cast.specialist, at=NOW)
    assert quote.status == QuoteStatus.ISSUED
    assert quote.issued_at == NOW


def test_a_discount_above_the_limit_needs_a_managers_approval(cast, customers, schedule):
    quote = create_quote(
        customer=customers.first,
        by=cast.specialist,
        lines=[{"code": "onsite_hour", "quantity": 3, "discount_percent": "15"}],
        at=NOW,
    )
    issue_quote(quote=quote, by=cast.specialist, at=NOW)
    assert quote.status == QuoteStatus.AWAITING_APPROVAL
    assert quote.issued_at is None
    with pytest.raises(NotPermitted):
        approve_quote_exception(quote=quote, by=cast.specialist, reason="大客户", at=NOW)
    with pytest.raises(InvalidInput):
        approve_quote_exception(quote=quote, by=cast.manager, reason="  ", at=NOW)
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.AWAITING_APPROVAL
    approve_quote_exception(
        quote=quote, by=cast.manager, reason="年度框架协议客户", at=NOW + timedelta(hours=1)
    )
    quote = Quote.objects.get(pk=quote.pk)
    assert quote.status == QuoteStatus.ISSUED
    assert quote.approval_by == cast.manager
    assert quote.approval_reason == "年度框架协议客户"
    assert [e.kind for e in quote.events.all()] == ["created", "submit", "exception_approved", "issue"]


def test_the_limit_is_configurable(cast, customers, schedule):
    FeeSettings.objects.create(discount_limit_percent=Decimal("20"))
    quote = create_quote(
        customer=customers.first,
        by=cast.specialist,
        lines=[{"code": "onsite_hour", "quantity": 1, "discount_percent": "15"}],
        at=NOW,
    )
    assert issue_quote(quote=quote, by=cast.specialist, at=NOW).status == QuoteStatus.ISSUED


def test_an_off_schedule_price_needs_approval_and_can_be_sent_back(cast, customers, schedule):
    quote = create_quote(
        customer=customers.first,
        by=cast.specialist,
        lines=[{"code": "repair:hsm-3000", "quantity": 1, "unit_price": "1500"}],
        at=NOW,
    )
    assert quote.lines.get().off_schedule
    issue_quote(quote=quote, by=cast.specialist, at=NOW)
    assert quote.status == QuoteStatus.AWAITING_APPROVAL
    refuse_quote_exception(quote=quote, by=cast.manager, reason="按标准价报价", at=NOW)
    assert quote.status == QuoteStatus.DRAFT
    update_quote_lines(quote=quote, by=cast.specialist, lines=[{"code": "repair:hsm-3000"}], at=NOW)
    assert issue_quote(quote=quote, by=cast.specialist, at=NOW).status == QuoteStatus.ISSUED
    assert quote.total == Decimal("1800.00")


def test_an_approval_given_on_a_draft_lets_it_issue_but_a_line_change_voids_it(cast, customers, schedule):
    quote = create_quote(
        customer=customers.first,
        by=cast.specialist,
        lines=[{"code": "onsite_hour", "quantity": 1, "discount_percent": "50"}],
        at=NOW,
    )
    approve_quote_exception(quote=quote, by=cast.manager, reason="补偿", at=NOW)
    assert quote.status == QuoteStatus.DRAFT
    update_quote_lines(
        quote=quote, by=cast.specialist, lines=[{"code": "onsite_hour", "discount_percent": "60"}], at=NOW
    )
    assert issue_quote(quote=quote, by=cast.specialist, at=NOW).status == QuoteStatus.AWAITING_APPROVAL


def test_a_quote_that_follows_the_schedule_needs_no_approval(cast, quote):
    with pytest.raises(InvalidInput):
        approve_quote_exception(quote=quote, by=cast.manager, reason="x", at=NOW)


def test_the_customer_decides_in_the_portal_and_the_subject_hook_runs(cast, customers, schedule):
    seen = []
    hooks.register("test-subject", on_decided=lambda q: seen.append((q.number, q.status)))
    try:
        quote = create_quote(
            customer=customers.first,
            by=cast.specialist,
            lines=lines(),
            subject_type="test-subject",
            subject_id=7,
            at=NOW,
        )
        issue_quote(quote=quote, by=cast.specialist, at=NOW)
        with pytest.raises(NotPermitted):
            record_customer_decision(quote=quote, approved=True, by=cast.customer2, channel="portal", at=NOW)
        with pytest.raises(NotPermitted):
            record_customer_decision(quote=quote, approved=True, by=cast.specialist, channel="portal", at=NOW)
        record_customer_decision(quote=quote, approved=True, by=cast.customer1, channel="portal", at=NOW)
    finally:
        hooks.unregister("test-subject")
    assert seen == [(quote.number, QuoteStatus.APPROVED)]
    assert quote.decision_channel == "portal"
    with pytest.raises(InvalidTransition):
        record_customer_decision(quote=quote, approved=False, by=cast.customer1, channel="portal", at=NOW)


def test_a_failing_hook_rolls_the_decision_back(cast, customers, schedule):
    def boom(quote):
        raise InvalidTransition("the repair moved on")

    hooks.register("test-subject", on_decided=boom)
    try:
        quote = create_quote(
            customer=customers.first,
            by=cast.specialist,
            lines=lines(),
            subject_type="test-subject",
            subject_id=7,
            at=NOW,
        )
        issue_quote(quote=quote, by=cast.specialist, at=NOW)
        with pytest.raises(InvalidTransition):
            record_customer_decision(quote=quote, approved=False, by=cast.specialist, channel="phone", at=NOW)
    finally:
        hooks.unregister("test-subject")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ISSUED


def test_a_specialist_records_a_refusal_by_phone(cast, quote):
    issue_quote(quote=quote, by=cast.specialist, at=NOW)
    record_customer_decision(
        quote=quote, approved=False, by=cast.specialist, channel="phone", note="太贵", at=NOW
    )
    assert quote.status == QuoteStatus.REFUSED
    assert quote.decided_by == cast.specialist
    with pytest.raises(InvalidInput):
        record_customer_decision(quote=quote, approved=False, by=cast.specialist, channel="fax", at=NOW)


def test_cancel_needs_a_reason(cast, quote):
    with pytest.raises(InvalidInput):
        cancel_quote(quote=quote, by=cast.specialist, reason="", at=NOW)
    assert cancel_quote(quote=quote, by=cast.specialist, reason="客户撤回", at=NOW).status == "cancelled"


def test_completed_work_accumulates_into_a_statement(cast, customers, quote):
    issue_quote(quote=quote, by=cast.specialist, at=NOW)
    record_customer_decision(quote=quote, approved=True, by=cast.specialist, channel="email", at=NOW)
    with pytest.raises(InvalidInput, match="no completed paid work"):
        build_statement(
            customer=customers.first, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
            by=cast.specialist, at=NOW,
        )  # fmt: skip
    complete_quote(quote=quote, by=cast.specialist, at=NOW + timedelta(days=1))
    assert quote.status == QuoteStatus.COMPLETED
    record_charge(
        customer=customers.first, reference="SR-2026-000009", description="紧急上门差旅",
        amount="1500", at=NOW + timedelta(days=2),
    )  # fmt: skip
    record_charge(
        customer=customers.first, reference="SR-2026-000010", description="四月的工作",
        amount="100", at=NOW.replace(month=4),
    )  # fmt: skip
    record_charge(customer=customers.second, reference="X", description="另一客户", amount="1", at=NOW)
    statement = build_statement(
        customer=customers.first, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
        by=cast.specialist, at=NOW + timedelta(days=20),
    )  # fmt: skip
    assert statement.number == "ST-2026-000001"
    assert statement.invoice_title == "甲银行股份有限公司"
    assert statement.tax_number == "91500000123456789X"
    assert statement.charges.count() == 3
    assert statement.total == Decimal("5560.00")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.INVOICED
    assert Charge.objects.filter(statement__isnull=True).count() == 2
    with pytest.raises(InvalidInput):
        build_statement(
            customer=customers.first, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
            by=cast.specialist, at=NOW + timedelta(days=20),
        )  # fmt: skip


def test_quote_lines_from_billable_quantities(cast, customers, schedule):
    billable = [
        {"code": "onsite_hour", "quantity": "2.5", "description": "VS-2026-000001 现场"},
        {"code": "travel_elsewhere", "quantity": 0},
    ]
    quote = create_quote(
        customer=customers.first, by=cast.specialist, lines=quote_lines_from(billable), at=NOW
    )
    line = quote.lines.get()
    assert (line.code, line.quantity, line.amount, line.description) == (
        "onsite_hour", Decimal("2.5"), Decimal("1250.00"), "VS-2026-000001 现场",
    )  # fmt: skip
    assert len(ITEMS) == 5


def test_issuing_tells_the_customers_portal_users_and_approval_tells_managers(cast, customers, schedule):
    from aftersales.notifications.models import OutboxMessage

    contact = cast.customer1.contact
    contact.email, contact.language = "it@bank-a.example", "zh-hans"
    contact.save()
    quote = create_quote(
        customer=customers.first,
        by=cast.specialist,
        lines=[{"code": "onsite_hour", "discount_percent": "50"}],
        at=NOW,
    )
    issue_quote(quote=quote, by=cast.specialist, at=NOW)
    to_manager = OutboxMessage.objects.get(kind="quote_approval")
    assert to_manager.recipient == cast.manager and quote.number in to_manager.subject
    assert not OutboxMessage.objects.filter(kind="quote_issued").exists()
    approve_quote_exception(quote=quote, by=cast.manager, reason="补偿", at=NOW)
    to_customer = OutboxMessage.objects.get(kind="quote_issued")
    assert to_customer.address == "it@bank-a.example"
    assert f"/portal/quotes/{quote.number}/" in to_customer.body
