"""Spares services: proposals, lending (substitution, restored), returns with erasure, overdue, stock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from aftersales.commitments.models import Clock, Milestone
from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.notifications.models import OutboxMessage
from aftersales.spares import queries, services
from aftersales.spares.models import (
    Condition,
    Erasure,
    FaultyPartReturn,
    Loan,
    LoanProposal,
    PartMovement,
    SpareSettings,
    SpareUnit,
)
from aftersales.spares.tests.conftest import T0, open_fault
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import Entitlement, Severity, Status, Ticket, TicketEvent

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def lend(ticket, unit, by, *, at=None, back=date(2026, 3, 16), **extra):
    return services.lend_unit(
        ticket=ticket,
        spare_unit=unit,
        by=by,
        expected_return_on=back,
        at=at or T0 + timedelta(hours=3),
        **extra,
    )


def give_back(loan, by, *, at=None, **extra):
    at = at or T0 + timedelta(days=5)
    values = {
        "condition": Condition.GOOD,
        "erasure": Erasure.KEYS_ERASED,
        "erased_by": "李工",
        "erased_at": at - timedelta(hours=1),
        "erasure_method": "设备自带密钥销毁功能，三遍覆写",
    }
    values.update(extra)
    return services.return_loan(loan=loan, by=by, at=at, **values)


def resolve(ticket, by, at):
    ticket_services.accept_ticket(ticket=ticket, by=by, at=at - timedelta(minutes=2))
    ticket_services.start_work(ticket=ticket, by=by, at=at - timedelta(minutes=1))
    return ticket_services.resolve_ticket(
        ticket=ticket, by=by, diagnosis="主板故障", actions_taken="更换主板", level_reached="L3", at=at
    )


# --- proposals ---------------------------------------------------------------------------------


def test_a_severe_in_warranty_fault_not_restored_after_the_threshold_is_proposed_once(cast, ticket):
    assert ticket.entitlement == Entitlement.IN_WARRANTY

    assert services.propose_loans(now=T0 + timedelta(hours=7, minutes=59)) == []
    proposals = services.propose_loans(now=T0 + timedelta(hours=8))
    again = services.propose_loans(now=T0 + timedelta(hours=9))

    assert [p.ticket for p in proposals] == [ticket]
    assert again == []
    assert LoanProposal.objects.get().status == LoanProposal.Status.OPEN
    told = OutboxMessage.objects.filter(kind="loan_proposed")
    assert [m.recipient for m in told] == [cast.lead]
    assert ticket.number in told.get().subject


def test_the_threshold_is_configurable(cast, ticket):
    SpareSettings.objects.create(propose_loan_after_hours=2)

    assert len(services.propose_loans(now=T0 + timedelta(hours=2))) == 1


def test_no_proposal_for_a_restored_general_or_chargeable_fault(cast, unit, reporter):
    restored = open_fault(cast, unit, reporter)
    ticket_services.record_restored(
        ticket=restored,
        by=cast.engineer,
        how=ticket_services.RESTORED_BY_WORKAROUND,
        at=T0 + timedelta(hours=1),
    )
    open_fault(cast, unit, reporter, severity=Severity.GENERAL)
    chargeable = open_fault(cast, unit, reporter)
    Ticket.objects.filter(pk=chargeable.pk).update(entitlement=Entitlement.CHARGEABLE)

    assert services.propose_loans(now=T0 + timedelta(hours=12)) == []


def test_the_lead_declines_a_proposal_with_a_reason(cast, ticket):
    (proposal,) = services.propose_loans(now=T0 + timedelta(hours=8))

    with pytest.raises(InvalidInput):
        services.decline_loan_proposal(proposal=proposal, by=cast.lead, reason=" ")
    with pytest.raises(NotPermitted):
        services.decline_loan_proposal(proposal=proposal, by=cast.engineer, reason="不需要")
    services.decline_loan_proposal(
        proposal=proposal, by=cast.lead, reason="备件明天到货", at=T0 + timedelta(hours=9)
    )

    proposal.refresh_from_db()
    assert proposal.status == LoanProposal.Status.DECLINED
    assert proposal.decided_by == cast.lead
    assert ticket.events.filter(body__contains="备件明天到货").exists()
    with pytest.raises(InvalidTransition):
        services.decline_loan_proposal(proposal=proposal, by=cast.lead, reason="again")


# --- lending -----------------------------------------------------------------------------------


def test_lending_accepts_the_proposal_restores_service_and_tells_the_customer(cast, ticket, pool, reporter):
    services.propose_loans(now=T0 + timedelta(hours=8))
    at = T0 + timedelta(hours=9)

    loan = lend(ticket, pool.same, cast.lead, at=at)

    assert loan.number == "LN-2026-000001"
    assert loan.status == Loan.Status.OUT
    assert (loan.customer, loan.site, loan.lent_by, loan.out_at) == (
        ticket.customer,
        ticket.site,
        cast.lead,
        at,
    )
    assert loan.is_substitute is False
    assert loan.is_chargeable is False
    assert SpareUnit.objects.get(pk=pool.same.pk).status == SpareUnit.Status.ON_LOAN
    assert LoanProposal.objects.get().status == LoanProposal.Status.ACCEPTED
    ticket.refresh_from_db()
    assert ticket.restored_at == at
    restored_clock = Clock.objects.get(
        subject_type="ticket", subject_id=ticket.pk, milestone=Milestone.RESTORED
    )
    assert restored_clock.met_at == at
    event = ticket.events.get(kind=TicketEvent.Kind.RESTORED)
    assert event.data == {"how": ticket_services.RESTORED_BY_SPARE}
    told = OutboxMessage.objects.get(kind="loan_lent")
    assert told.address == reporter.email
    assert "SP-0001" in told.body and "2026-03-16" in told.body


def test_lending_after_service_was_restored_leaves_the_restored_moment(cast, ticket, pool):
    first = T0 + timedelta(hours=1)
    ticket_services.record_restored(
        ticket=ticket, by=cast.engineer, how=ticket_services.RESTORED_BY_WORKAROUND, at=first
    )

    lend(ticket, pool.same, cast.lead)

    ticket.refresh_from_db()
    assert ticket.restored_at == first


def test_a_different_model_needs_a_note_and_the_customer_is_told(cast, ticket, pool):
    with pytest.raises(InvalidInput, match="not the customer's model"):
        lend(ticket, pool.other, cast.lead)
    assert not Loan.objects.exists()
    assert SpareUnit.objects.get(pk=pool.other.pk).status == SpareUnit.Status.AVAILABLE

    loan = lend(ticket, pool.other, cast.lead, substitution_note="SJJ1313 性能相同，接口一致。")

    assert loan.is_substitute is True
    assert loan.substitution_note == "SJJ1313 性能相同，接口一致。"
    body = OutboxMessage.objects.get(kind="loan_lent").body
    assert "different model" in body and "SJJ1313 性能相同" in body


def test_an_out_of_warranty_loan_is_chargeable_and_counts_its_days(cast, ticket, pool):
    Ticket.objects.filter(pk=ticket.pk).update(entitlement=Entitlement.CHARGEABLE)
    ticket.refresh_from_db()

    loan = lend(ticket, pool.same, cast.lead, at=T0)

    assert loan.is_chargeable is True
    assert queries.loan_days(loan, now=T0 + timedelta(hours=1)) == 1
    assert queries.loan_days(loan, now=T0 + timedelta(days=2, minutes=1)) == 3
    loan = give_back(loan, cast.lead, at=T0 + timedelta(days=4))
    assert queries.loan_days(loan, now=T0 + timedelta(days=30)) == 4


def test_a_unit_on_loan_or_of_another_centre_cannot_be_lent(cast, ticket, unit, reporter, pool):
    lend(ticket, pool.same, cast.lead)
    second = open_fault(cast, unit, reporter)

    with pytest.raises(Conflict, match="not available"):
        lend(second, pool.same, cast.lead)
    with pytest.raises(Conflict, match="already lent"):
        lend(ticket, pool.other, cast.lead, substitution_note="x")
    with pytest.raises(NotPermitted):
        lend(second, pool.other, cast.engineer, substitution_note="x")
    with pytest.raises(InvalidInput, match="before today"):
        lend(second, pool.other, cast.lead, substitution_note="x", back=date(2026, 3, 1))


# --- returns -----------------------------------------------------------------------------------


def test_a_return_without_the_erasure_record_is_refused_and_changes_nothing(cast, ticket, pool):
    loan = lend(ticket, pool.same, cast.lead)

    with pytest.raises(InvalidInput, match="erasure record"):
        give_back(loan, cast.lead, erasure="")
    with pytest.raises(InvalidInput, match="who erased"):
        give_back(loan, cast.lead, erased_by="")
    with pytest.raises(InvalidInput, match="how the keys"):
        give_back(loan, cast.lead, erasure_method=" ")
    with pytest.raises(InvalidInput, match="when the keys"):
        give_back(loan, cast.lead, erased_at=None)

    loan.refresh_from_db()
    assert loan.status == Loan.Status.OUT
    assert SpareUnit.objects.get(pk=pool.same.pk).status == SpareUnit.Status.ON_LOAN


def test_a_return_records_the_erasure_and_puts_the_unit_back(cast, ticket, pool):
    loan = lend(ticket, pool.same, cast.lead)
    at = T0 + timedelta(days=5)

    give_back(loan, cast.lead, at=at)

    loan.refresh_from_db()
    assert loan.status == Loan.Status.RETURNED
    assert (loan.returned_at, loan.returned_by, loan.returned_condition) == (at, cast.lead, Condition.GOOD)
    assert (loan.erasure, loan.erased_by, loan.erasure_method) == (
        Erasure.KEYS_ERASED,
        "李工",
        "设备自带密钥销毁功能，三遍覆写",
    )
    assert loan.erased_at == at - timedelta(hours=1)
    assert SpareUnit.objects.get(pk=pool.same.pk).status == SpareUnit.Status.AVAILABLE
    assert [e.kind for e in loan.events.all()] == ["lent", "returned"]
    with pytest.raises(InvalidTransition):
        give_back(loan, cast.lead)


def test_a_faulty_unit_kept_disk_return_goes_to_repair(cast, ticket, pool):
    loan = lend(ticket, pool.same, cast.lead)

    give_back(
        loan, cast.lead, condition=Condition.FAULTY, erasure=Erasure.DISK_KEPT, erased_by="", erased_at=None
    )

    loan.refresh_from_db()
    assert loan.erasure == Erasure.DISK_KEPT
    assert loan.erased_by == ""
    unit = SpareUnit.objects.get(pk=pool.same.pk)
    assert (unit.status, unit.condition) == (SpareUnit.Status.IN_REPAIR, Condition.FAULTY)
    assert [e.kind for e in unit.events.all()] == ["added", "lent", "returned"]


# --- overdue -----------------------------------------------------------------------------------


def test_an_overdue_loan_is_chased_once_a_day_to_customer_account_manager_and_lead(
    cast, ticket, pool, reporter
):
    loan = lend(ticket, pool.same, cast.lead, back=date(2026, 3, 5))

    assert services.chase_overdue_loans(now=T0 + timedelta(days=3)) == []  # due that day: not yet overdue
    first = services.chase_overdue_loans(now=T0 + timedelta(days=4))
    same_day = services.chase_overdue_loans(now=T0 + timedelta(days=4, hours=5))
    next_day = services.chase_overdue_loans(now=T0 + timedelta(days=5))

    assert [loan.number for loan in first] == [loan.number]
    assert same_day == []
    assert len(next_day) == 1
    chased = OutboxMessage.objects.filter(kind="loan_overdue")
    first_round = {m.address for m in chased if m.dedupe_key.startswith(f"loan:{loan.pk}:overdue:1:")}
    assert first_round == {reporter.email, cast.account.email, cast.lead.email}
    assert chased.count() == 6
    loan.refresh_from_db()
    assert loan.chase_count == 2
    assert [e.kind for e in loan.events.all()] == ["lent", "chased", "chased"]
    assert list(queries.overdue_loans(today=date(2026, 3, 6))) == [loan]


def test_a_returned_loan_is_not_chased(cast, ticket, pool):
    loan = lend(ticket, pool.same, cast.lead, back=date(2026, 3, 3))
    give_back(loan, cast.lead, at=T0 + timedelta(days=1))

    assert services.chase_overdue_loans(now=T0 + timedelta(days=10)) == []


# --- the close guard ---------------------------------------------------------------------------


def test_a_ticket_cannot_close_while_its_loan_is_out(cast, ticket, pool):
    loan = lend(ticket, pool.same, cast.lead)
    resolve(ticket, cast.engineer, T0 + timedelta(days=1))

    with pytest.raises(InvalidTransition, match=f"still out on loan {loan.number}"):
        ticket_services.close_ticket(ticket=ticket, by=cast.specialist, reason="客户邮件确认")
    with pytest.raises(NotPermitted, match="Only a manager"):
        ticket_services.close_ticket(
            ticket=ticket, by=cast.specialist, reason="客户邮件确认", override_reason="客户买下备机"
        )
    with pytest.raises(InvalidTransition, match="still out"):
        ticket_services.record_follow_up(ticket=ticket, by=cast.specialist, is_fixed=True, satisfaction=5)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED

    give_back(loan, cast.lead, at=T0 + timedelta(days=2))
    ticket.refresh_from_db()
    ticket_services.close_ticket(ticket=ticket, by=cast.specialist, reason="客户邮件确认")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_a_manager_closes_with_a_loan_out_and_the_reason_is_on_the_timeline(cast, ticket, pool):
    loan = lend(ticket, pool.same, cast.lead)
    resolve(ticket, cast.engineer, T0 + timedelta(days=1))

    ticket_services.close_ticket(
        ticket=ticket, by=cast.manager, reason="客户电话确认", override_reason="备机由客户采购，转为销售"
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE, data__close_override=True)
    assert note.actor == cast.manager
    assert note.body == "备机由客户采购，转为销售"
    assert note.data["blocks"][0]["reference"] == loan.number


def test_the_silent_ticket_sweep_leaves_a_ticket_with_a_loan_out(cast, ticket, pool):
    lend(ticket, pool.same, cast.lead)
    resolve(ticket, cast.engineer, T0 + timedelta(days=1))

    assert ticket_services.auto_close_silent_tickets(now=T0 + timedelta(days=30)) == []
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


# --- parts -------------------------------------------------------------------------------------


def test_consuming_parts_takes_stock_and_refuses_when_short(cast, centre):
    services.receive_parts(
        centre=centre,
        part_number="PSU-550",
        name="电源模块",
        quantity=2,
        by=cast.lead,
        reference="PO-1",
        at=T0,
    )

    movement = services.consume_part(
        centre=centre,
        part_number="PSU-550",
        reference="VS-2026-000001",
        by=cast.engineer,
        serial="PSU1",
        at=T0,
    )
    assert (movement.kind, movement.quantity, movement.balance_after) == (PartMovement.Kind.OUT, -1, 1)
    with pytest.raises(Conflict, match="1 on hand, 2 needed") as refused:
        services.consume_part(
            centre=centre, part_number="PSU-550", quantity=2, reference="RMA-1", by=cast.engineer
        )
    assert refused.value.status_code == 409
    with pytest.raises(InvalidInput, match="keeps no spare part"):
        services.consume_part(centre=centre, part_number="NOPE", reference="VS-1", by=cast.engineer)
    with pytest.raises(NotPermitted):
        services.consume_part(centre=centre, part_number="PSU-550", reference="VS-1", by=cast.customer1)
    part = centre.spare_parts.get()
    assert part.quantity_on_hand == 1

    services.adjust_stock(part=part, counted=4, by=cast.lead, reason="盘点")
    part.refresh_from_db()
    assert part.quantity_on_hand == 4
    assert [m.quantity for m in part.movements.order_by("id")] == [2, -1, 3]


def test_a_faulty_part_is_tracked_until_the_factory_receives_it(cast, centre):
    faulty = services.record_faulty_part(
        centre=centre,
        part_number="MB-01",
        serial="MB123",
        reference="VS-2026-000001",
        by=cast.engineer,
        at=T0,
    )
    assert faulty.status == FaultyPartReturn.Status.PENDING
    with pytest.raises(InvalidTransition):
        services.receive_faulty_part(faulty=faulty, by=cast.lead)
    with pytest.raises(InvalidInput):
        services.ship_faulty_part(faulty=faulty, by=cast.lead, tracking_number="")

    services.ship_faulty_part(
        faulty=faulty, by=cast.lead, tracking_number="SF1234567", at=T0 + timedelta(days=1)
    )
    received = services.receive_faulty_part(faulty=faulty, by=cast.lead, at=T0 + timedelta(days=3))

    assert received.status == FaultyPartReturn.Status.RECEIVED
    assert received.tracking_number == "SF1234567"
    assert received.received_at == T0 + timedelta(days=3)


def test_the_board_reads_everything_in_a_fixed_number_of_queries(
    cast, centre, ticket, pool, django_assert_num_queries
):
    lend(ticket, pool.same, cast.lead, back=date(2026, 3, 3))
    services.receive_parts(centre=centre, part_number="PSU-550", name="电源模块", quantity=1, by=cast.lead)
    services.record_faulty_part(
        centre=centre, part_number="MB-01", serial="1", reference="VS-1", by=cast.lead
    )
    centres = queries.centres_for(cast.manager)

    with django_assert_num_queries(6):
        board = queries.spares_board(centres=centres, today=date(2026, 3, 10))
        [
            (loan.ticket.number, loan.spare_unit.product_model.name, loan.customer.name)
            for loan in board["loans"]
        ]
        [(unit.centre.name, unit.product_model.name) for unit in board["pool"]]

    assert board["overdue_count"] == 1
    assert board["loans"][0].days_overdue == 7
    assert board["faulty"][0].is_overdue is False


def test_a_paid_loan_back_home_is_quoted_by_the_days_lent_and_a_free_one_is_not(cast, ticket, pool):
    from decimal import Decimal

    from aftersales.fees.models import QuoteStatus
    from aftersales.fees.services import create_schedule

    create_schedule(
        name="收费标准 2026",
        effective_from=date(2026, 1, 1),
        published=True,
        items=[
            {"code": "spare_day", "category": "spare", "name_en": "Spare unit per day",
             "name_zh": "备机服务（每天）", "unit": "day", "price": "200.00", "vat_rate": "6"},
        ],
    )  # fmt: skip
    free = lend(ticket, pool.same, cast.lead, at=T0)
    free = give_back(free, cast.lead, at=T0 + timedelta(days=1))
    with pytest.raises(InvalidInput, match="free"):
        services.quote_loan(loan=free, by=cast.manager)

    paid_ticket = open_fault(cast, ticket.unit, ticket.reporter)
    Ticket.objects.filter(pk=paid_ticket.pk).update(entitlement=Entitlement.CHARGEABLE)
    paid_ticket.refresh_from_db()
    paid = lend(paid_ticket, pool.same, cast.lead, at=T0 + timedelta(days=2))
    with pytest.raises(InvalidTransition):
        services.quote_loan(loan=paid, by=cast.manager)
    paid = give_back(paid, cast.lead, at=T0 + timedelta(days=5))

    quote = services.quote_loan(loan=paid, by=cast.manager)

    assert quote.status == QuoteStatus.DRAFT and quote.ticket == paid_ticket
    line = quote.lines.get()
    assert (line.code, line.quantity, line.unit_price) == ("spare_day", Decimal(3), Decimal("200.00"))
    assert paid.events.filter(kind="quoted").exists()
    with pytest.raises(Conflict):
        services.quote_loan(loan=paid, by=cast.manager)
