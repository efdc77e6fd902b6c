"""The repair flow: pre-shipment records, the quote gate, the 20-working-day promise and its pause."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.commitments.models import Clock, Outcome
from aftersales.commitments.services import sweep
from aftersales.core.errors import InvalidInput, InvalidTransition, NotPermitted
from aftersales.fees.models import Charge, Quote
from aftersales.fees.services import record_customer_decision
from aftersales.notifications.models import OutboxMessage
from aftersales.repairs import services
from aftersales.repairs.models import Repair, RepairEvent, Status
from aftersales.repairs.tests.conftest import local, open_fault, ready_to_ship, receive
from aftersales.units.entitlement import warranty_ends

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

SHIP = services.StepInput(carrier="顺丰", tracking="SF0001")


def step(cast, repair, name, at, **details):
    return services.move_repair(
        repair=repair, step=name, by=cast.engineer, details=services.StepInput(**details), at=at
    )


def test_opening_a_repair_numbers_it_and_snapshots_the_entitlement(cast):
    at = local(2026, 9, 1)
    ticket = open_fault(cast, unit=cast.unit1, at=at)
    free = services.open_repair(ticket=ticket, by=cast.specialist, fault="无法启动", at=at)
    assert free.number == "RMA-2026-000001"
    assert free.status == Status.OPENED
    assert free.is_chargeable is False
    paid = services.open_repair(
        ticket=open_fault(cast, unit=cast.old_unit1, at=at), by=cast.specialist, fault="风扇异响", at=at
    )
    assert paid.is_chargeable is True
    assert RepairEvent.objects.filter(repair=paid, kind="opened").count() == 1


def test_a_customer_or_a_reader_may_not_open_a_repair(cast):
    ticket = open_fault(cast, unit=cast.unit1, at=local(2026, 9, 1))
    for user in (cast.customer1, cast.leader):
        with pytest.raises(NotPermitted):
            services.open_repair(ticket=ticket, by=user, fault="x")
    assert not Repair.objects.exists()


def test_a_unit_has_one_open_repair_at_a_time(cast):
    at = local(2026, 9, 1)
    ticket = open_fault(cast, unit=cast.unit1, at=at)
    services.open_repair(ticket=ticket, by=cast.specialist, fault="a", at=at)
    with pytest.raises(Exception, match="already has an open repair"):
        services.open_repair(ticket=ticket, by=cast.specialist, fault="b", at=at)


def test_shipping_is_refused_without_the_backup_acknowledgement_and_the_erasure_record(cast):
    at = local(2026, 9, 1)
    repair = services.open_repair(
        ticket=open_fault(cast, unit=cast.unit1, at=at), by=cast.specialist, fault="无法启动", at=at
    )
    with pytest.raises(InvalidTransition, match="backup acknowledgement"):
        services.move_repair(repair=repair, step="ship_in", by=cast.specialist, details=SHIP, at=at)
    services.acknowledge_backup(repair=repair, by=cast.customer1, confirmed=True, at=at)
    with pytest.raises(InvalidTransition, match="erasure record"):
        services.move_repair(repair=repair, step="ship_in", by=cast.specialist, details=SHIP, at=at)
    repair.refresh_from_db()
    assert repair.status == Status.OPENED
    assert repair.backup_ack_user == cast.customer1
    assert "not liable" in repair.backup_ack_statement
    services.record_erasure(
        repair=repair, by=cast.engineer, method="disk_kept", done_by="客户 王工", done_at=at, at=at
    )
    services.move_repair(repair=repair, step="ship_in", by=cast.specialist, details=SHIP, at=at)
    assert repair.status == Status.SHIPPED_IN
    assert (repair.inbound_carrier, repair.inbound_tracking) == ("顺丰", "SF0001")


def test_the_backup_acknowledgement_needs_the_tick_and_a_user_of_the_organisation(cast):
    at = local(2026, 9, 1)
    repair = services.open_repair(
        ticket=open_fault(cast, unit=cast.unit1, at=at), by=cast.specialist, fault="无法启动", at=at
    )
    with pytest.raises(InvalidInput):
        services.acknowledge_backup(repair=repair, by=cast.customer1, confirmed=False)
    with pytest.raises(NotPermitted):
        services.acknowledge_backup(repair=repair, by=cast.customer2, confirmed=True)
    with pytest.raises(NotPermitted):
        services.acknowledge_backup(repair=repair, by=cast.specialist, confirmed=True)
    repair.refresh_from_db()
    assert repair.backup_ack_at is None


def test_a_specialist_records_an_acknowledgement_given_on_a_call(cast):
    at = local(2026, 9, 1, 15)
    repair = services.open_repair(
        ticket=open_fault(cast, unit=cast.unit1, at=at), by=cast.specialist, fault="无法启动", at=at
    )
    services.record_backup_call(
        repair=repair,
        by=cast.specialist,
        acknowledged_by="王主任",
        acknowledged_at=local(2026, 9, 1, 14),
        at=at,
    )
    assert repair.backup_ack_channel == "call"
    assert repair.backup_ack_name == "王主任"
    assert repair.backup_ack_recorded_by == cast.specialist
    assert repair.backup_ack_at == local(2026, 9, 1, 14)
    with pytest.raises(InvalidInput):
        services.record_backup_call(
            repair=repair,
            by=cast.specialist,
            acknowledged_by="王主任",
            acknowledged_at=local(2026, 9, 2),
            at=at,
        )


def test_the_return_is_due_20_working_days_after_receipt_across_national_day(cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25, 10))
    clock = services.return_clock(repair)
    assert clock.status == Clock.Status.RUNNING
    assert clock.due_at == local(2026, 10, 29, 23, 59).replace(second=59)
    repair.refresh_from_db()
    assert repair.next_due_at == clock.due_at
    assert OutboxMessage.objects.filter(kind="repair_received", reference=repair.number).count() == 1


def test_in_warranty_the_repair_goes_from_diagnosis_to_repaired_and_keeps_the_promise(cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25))
    ends_before = warranty_ends(cast.unit1)
    step(cast, repair, "diagnose", local(2026, 9, 28), diagnosis="电源模块损坏")
    step(cast, repair, "repair", local(2026, 9, 29), work_done="更换电源模块")
    step(cast, repair, "test", local(2026, 9, 30))
    step(cast, repair, "ship_back", local(2026, 10, 9), carrier="顺丰", tracking="SF0002")
    assert repair.status == Status.SHIPPED_BACK
    clock = Clock.objects.get(pk=services.return_clock(repair).pk)
    assert clock.outcome == Outcome.KEPT
    services.move_repair(repair=repair, step="confirm_return", by=cast.customer1, at=local(2026, 10, 12))
    assert repair.status == Status.RETURNED
    cast.unit1.refresh_from_db()
    assert warranty_ends(cast.unit1) == ends_before
    assert not Quote.objects.exists()
    assert OutboxMessage.objects.filter(kind="repair_shipped_back").count() == 1


def test_a_step_out_of_order_is_refused_and_changes_nothing(cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    with pytest.raises(InvalidTransition):
        step(cast, repair, "test", local(2026, 9, 21))
    repair.refresh_from_db()
    assert repair.status == Status.OPENED


def test_out_of_warranty_nothing_is_repaired_before_the_customer_approves_the_quote(cast):
    repair = ready_to_ship(cast, unit=cast.old_unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25))
    step(cast, repair, "diagnose", local(2026, 9, 25, 15), diagnosis="电源模块损坏")
    with pytest.raises(InvalidTransition, match="quote"):
        step(cast, repair, "repair", local(2026, 9, 25, 16), work_done="x")
    services.quote_repair(repair=repair, by=cast.specialist, part_numbers=["PSU-500"], at=local(2026, 9, 28))
    assert repair.status == Status.QUOTED
    quote = Quote.objects.get(pk=repair.quote_id)
    assert quote.status == "issued"
    assert sorted(quote.lines.values_list("code", flat=True)) == ["part:PSU-500", "repair:hsm-3000"]
    with pytest.raises(InvalidTransition, match="approves the quote"):
        step(cast, repair, "repair", local(2026, 9, 28, 11), work_done="x")
    record_customer_decision(
        quote=quote, approved=True, by=cast.customer1, channel="portal", at=local(2026, 9, 29)
    )
    repair.refresh_from_db()
    assert repair.status == Status.APPROVED
    step(cast, repair, "repair", local(2026, 9, 30), work_done="更换电源模块")
    step(cast, repair, "test", local(2026, 10, 9))
    step(cast, repair, "ship_back", local(2026, 10, 10), carrier="顺丰", tracking="SF0003")
    quote.refresh_from_db()
    assert quote.status == "completed"
    assert Charge.objects.filter(quote=quote).count() == 2


def test_waiting_for_the_quote_decision_pauses_the_promise_by_the_paused_working_time(cast):
    repair = ready_to_ship(cast, unit=cast.old_unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25))
    step(cast, repair, "diagnose", local(2026, 9, 25, 15), diagnosis="电源模块损坏")
    # Issued Monday 28 Sep at 10:00, decided Tuesday 29 Sep at 10:00: one working day paused.
    services.quote_repair(repair=repair, by=cast.specialist, at=local(2026, 9, 28))
    clock = services.return_clock(repair)
    assert clock.status == Clock.Status.PAUSED
    repair.refresh_from_db()
    assert repair.next_due_at is None  # nothing is running: the desk shows it waiting
    record_customer_decision(
        quote=Quote.objects.get(pk=repair.quote_id),
        approved=True,
        by=cast.customer1,
        channel="portal",
        at=local(2026, 9, 29),
    )
    clock.refresh_from_db()
    assert clock.status == Clock.Status.RUNNING
    assert clock.due_at == local(2026, 10, 30, 23, 59).replace(second=59)
    repair.refresh_from_db()
    assert repair.next_due_at == clock.due_at


def test_a_refused_quote_sends_the_unit_back_unrepaired_and_meets_the_promise(cast):
    repair = ready_to_ship(cast, unit=cast.old_unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25))
    step(cast, repair, "diagnose", local(2026, 9, 25, 15), diagnosis="主板损坏")
    services.quote_repair(repair=repair, by=cast.specialist, at=local(2026, 9, 28))
    record_customer_decision(
        quote=Quote.objects.get(pk=repair.quote_id),
        approved=False,
        by=cast.customer1,
        channel="portal",
        at=local(2026, 9, 29),
    )
    repair.refresh_from_db()
    assert repair.status == Status.REFUSED
    with pytest.raises(InvalidTransition):
        step(cast, repair, "repair", local(2026, 9, 29, 11), work_done="x")
    step(cast, repair, "ship_back", local(2026, 9, 30), carrier="顺丰", tracking="SF0004")
    clock = Clock.objects.get(pk=services.return_clock(repair).pk)
    assert clock.status == Clock.Status.MET
    assert clock.outcome == Outcome.KEPT


def test_a_free_repair_is_not_quoted(cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25))
    step(cast, repair, "diagnose", local(2026, 9, 25, 15), diagnosis="电源模块损坏")
    with pytest.raises(InvalidTransition, match="free"):
        services.quote_repair(repair=repair, by=cast.specialist, at=local(2026, 9, 28))
    assert not Quote.objects.exists()


def test_late_with_advance_notice_counts_apart_from_late_without(cast):
    told = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    receive(cast, told, local(2026, 9, 25))
    untold = ready_to_ship(cast, unit=cast.unit2, at=local(2026, 9, 20), index=2)
    receive(cast, untold, local(2026, 9, 25))
    services.announce_repair_delay(
        repair=told, by=cast.specialist, new_date=date(2026, 11, 5), reason="备件缺货", at=local(2026, 10, 28)
    )
    assert OutboxMessage.objects.filter(kind="repair_delayed", reference=told.number).count() == 1
    with pytest.raises(InvalidInput, match="due time has passed"):
        services.announce_repair_delay(
            repair=untold,
            by=cast.specialist,
            new_date=date(2026, 11, 5),
            reason="晚了",
            at=local(2026, 10, 30),
        )
    for repair in (told, untold):
        step(cast, repair, "diagnose", local(2026, 10, 9), diagnosis="电源模块损坏")
        step(cast, repair, "repair", local(2026, 10, 30), work_done="更换")
        step(cast, repair, "test", local(2026, 11, 2))
        step(cast, repair, "ship_back", local(2026, 11, 3), carrier="顺丰", tracking="SF9")
    assert Clock.objects.get(reference=told.number).outcome == Outcome.LATE_WITH_NOTICE
    assert Clock.objects.get(reference=untold.number).outcome == Outcome.BROKEN
    assert RepairEvent.objects.filter(repair=told, kind="clock_met").get().data["late"] is True


def test_the_sweep_writes_its_warning_and_breach_on_the_repair_timeline(cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25))
    sweep(now=local(2026, 10, 28, 12))
    sweep(now=local(2026, 10, 30, 9))
    kinds = list(
        RepairEvent.objects.filter(repair=repair, kind__startswith="clock_").values_list("kind", flat=True)
    )
    assert kinds[:2] == ["clock_warning", "clock_breach"]
    repair.refresh_from_db()
    assert repair.has_breach is True


def test_a_factory_swap_gives_a_replacement_that_inherits_the_remaining_term(cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    receive(cast, repair, local(2026, 9, 25))
    ends = warranty_ends(cast.unit1)
    step(cast, repair, "diagnose", local(2026, 9, 28), diagnosis="主板损坏，无法修复")
    step(cast, repair, "repair", local(2026, 9, 29), work_done="整机更换", replacement_serial="SJJ-CQ-NEW1")
    new = repair.replacement_unit
    assert new.serial == "SJJ-CQ-NEW1"
    assert new.replaces_id == cast.unit1.pk
    assert (warranty_ends(new).hardware, warranty_ends(new).software) == (ends.hardware, ends.software)
    cast.unit1.refresh_from_db()
    assert cast.unit1.is_active is False


def test_a_stale_version_is_refused(cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    stale = repair.version - 1
    with pytest.raises(Exception, match="changed by someone else"):
        services.move_repair(
            repair=repair, step="ship_in", by=cast.specialist, details=SHIP, expected_version=stale
        )
    repair.refresh_from_db()
    assert repair.status == Status.OPENED


def test_a_fitted_part_is_recorded_and_handed_to_the_stock_integration_point(cast):
    consumed = []
    services.set_part_consumer(lambda **call: consumed.append(call))
    try:
        repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
        receive(cast, repair, local(2026, 9, 25))
        with pytest.raises(InvalidTransition):
            services.fit_part(
                repair=repair, by=cast.engineer, part_number="PSU-500", at=local(2026, 9, 25, 11)
            )
        step(cast, repair, "diagnose", local(2026, 9, 28), diagnosis="电源模块损坏")
        part = services.fit_part(
            repair=repair, by=cast.engineer, part_number="PSU-500", quantity=2, at=local(2026, 9, 28, 11)
        )
    finally:
        services.set_part_consumer(services.consume_centre_stock)
    assert part.quantity == 2
    assert consumed == [
        {
            "part_number": "PSU-500",
            "quantity": 2,
            "reference": repair.number,
            "by": cast.engineer,
            "at": local(2026, 9, 28, 11),
        }
    ]


def test_a_part_fitted_comes_out_of_the_ticket_centres_stock_when_the_centre_stocks_it(cast):
    from aftersales.core.errors import Conflict
    from aftersales.spares.models import SparePart
    from aftersales.spares.services import receive_parts

    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20))
    centre = repair.ticket.centre
    receive_parts(centre=centre, part_number="PSU-500", name="电源模块", quantity=3, by=cast.manager)
    receive(cast, repair, local(2026, 9, 25))
    step(cast, repair, "diagnose", local(2026, 9, 28), diagnosis="电源模块损坏")

    services.fit_part(
        repair=repair, by=cast.engineer, part_number="PSU-500", quantity=2, at=local(2026, 9, 28, 11)
    )
    assert SparePart.objects.get(centre=centre, part_number="PSU-500").quantity_on_hand == 1
    with pytest.raises(Conflict):
        services.fit_part(repair=repair, by=cast.engineer, part_number="PSU-500", quantity=2)
    assert repair.parts.count() == 1
    # A part no centre stocks comes from the factory's own store: recorded, no stock moves.
    services.fit_part(repair=repair, by=cast.engineer, part_number="FAN-80", at=local(2026, 9, 28, 12))
    assert not SparePart.objects.filter(part_number="FAN-80").exists()
