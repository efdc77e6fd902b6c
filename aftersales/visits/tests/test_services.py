"""Dispatch to confirmed arrival: the right on-site clock is met (or breached) only by a confirmed arrival."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from aftersales.commitments.models import Clock, Milestone
from aftersales.core.errors import InvalidInput, InvalidTransition, NotPermitted
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.models import Entitlement
from aftersales.tickets.tests.test_services import clock_of
from aftersales.units.entitlement import entitlement_for, warranty_ends
from aftersales.units.models import Unit, UnitPart
from aftersales.units.tests.factories import UnitPartFactory
from aftersales.visits import queries, services
from aftersales.visits.models import ReportPart, TravelZone, Visit, VisitEngineer
from aftersales.visits.tests.conftest import SIGNATURE, T0, dispatch, open_fault

# Also run on PostgreSQL (make test-postgres): these services take row locks.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def sent_code(contact) -> str:
    message = OutboxMessage.objects.filter(kind="visit_arrival_code", address=contact.mobile).latest("id")
    return re.search(r"(\d{6})\s*$", message.body).group(1)


def test_dispatching_numbers_the_visit_requests_on_site_and_starts_the_local_clock(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)

    visit = dispatch(cast, ticket)

    assert re.fullmatch(r"VS-2026-\d{6}", visit.number)
    ticket.refresh_from_db()
    assert ticket.onsite_requested_at == T0 + timedelta(minutes=30)
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).status == Clock.Status.RUNNING
    assert visit.onsite_contact == contact
    assert visit.travel_zone == TravelZone.COVERED
    assert list(visit.crew.values_list("engineer__username", flat=True)) == ["engineer"]
    assert OutboxMessage.objects.filter(kind="visit_dispatched", recipient=cast.engineer).exists()


def test_in_warranty_the_dispatch_must_say_why_remote_support_was_not_enough(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)
    assert ticket.entitlement == Entitlement.IN_WARRANTY

    with pytest.raises(InvalidInput, match="why remote support"):
        dispatch(cast, ticket, why_remote_failed=" ")

    assert not Visit.objects.exists()
    ticket.refresh_from_db()
    assert ticket.onsite_requested_at is None


def test_only_dispatchers_dispatch_and_only_engineers_of_the_centre_or_rnd_go(cast, unit, contact, centre):
    from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory

    ticket = open_fault(cast, unit, contact)
    other = UserFactory(role="engineer", centre=ServiceCentreFactory(code="sh", city="上海"))
    with pytest.raises(NotPermitted):
        services.dispatch_visit(
            ticket=ticket,
            engineers=[cast.engineer],
            planned_start=T0,
            purpose="x",
            by=cast.engineer,
            why_remote_failed="x",
        )
    with pytest.raises(InvalidInput, match="does not belong"):
        dispatch(cast, ticket, engineers=[other])
    with pytest.raises(InvalidInput, match="not an engineer"):
        dispatch(cast, ticket, engineers=[cast.specialist])
    assert not Visit.objects.exists()


def test_an_unconfirmed_arrival_meets_no_clock_and_the_confirmed_one_meets_it_at_arrival_time(
    cast, unit, contact
):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket)
    arrival = T0 + timedelta(hours=3)

    check = services.check_in(
        visit=visit, engineer=cast.engineer, note="营业部三楼机房", at=arrival, now=arrival
    )

    assert check.code_sent and sent_code(contact) == check.code
    slot = VisitEngineer.objects.get(visit=visit)
    assert slot.is_arrival_unconfirmed and check.code not in slot.code_hash
    assert visit.status == Visit.Status.ON_SITE
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).status == Clock.Status.RUNNING

    later = arrival + timedelta(minutes=7)
    services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=check.code, now=later)

    clock = clock_of(ticket, Milestone.ONSITE_LOCAL)
    assert clock.status == Clock.Status.MET and clock.met_at == arrival and clock.breached_at is None
    ticket.refresh_from_db()
    assert ticket.local_arrived_at == arrival
    slot.refresh_from_db()
    assert slot.confirmation == VisitEngineer.Confirmation.CODE and slot.confirmed_by == "李主任"
    assert queries.minutes_late(visit, slot) is None


def test_a_late_confirmed_arrival_breaches_the_clock_and_shows_the_minutes_late(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket)
    due = clock_of(ticket, Milestone.ONSITE_LOCAL).due_at
    arrival = due + timedelta(minutes=25)

    services.check_in(visit=visit, engineer=cast.engineer, at=arrival, now=arrival)
    services.confirm_arrival_with_signature(
        visit=visit,
        engineer=cast.engineer,
        name="李主任",
        signature=SIGNATURE,
        now=arrival + timedelta(minutes=2),
    )

    clock = clock_of(ticket, Milestone.ONSITE_LOCAL)
    assert clock.met_at == arrival and clock.breached_at is not None
    slot = VisitEngineer.objects.get(visit=visit)
    assert queries.minutes_late(visit, slot) == 25
    rows = queries.onsite_clocks(ticket, now=arrival)
    assert rows[0].minutes_late == 25 and rows[0].is_met


def test_an_rnd_engineers_confirmed_arrival_meets_only_the_rnd_clock(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket, engineers=[cast.rnd])
    ticket.refresh_from_db()
    assert ticket.rnd_onsite_requested_at is not None and ticket.onsite_requested_at is None
    arrival = T0 + timedelta(hours=20)

    check = services.check_in(visit=visit, engineer=cast.rnd, at=arrival, now=arrival)
    services.confirm_arrival_with_code(visit=visit, engineer=cast.rnd, code=check.code, now=arrival)

    assert clock_of(ticket, Milestone.ONSITE_RND).met_at == arrival
    assert not Clock.objects.filter(subject_id=ticket.pk, milestone=Milestone.ONSITE_LOCAL).exists()


def test_a_wrong_code_is_refused_counts_an_attempt_and_runs_out(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket)
    arrival = T0 + timedelta(hours=2)
    check = services.check_in(visit=visit, engineer=cast.engineer, at=arrival, now=arrival)
    wrong = "000000" if check.code != "000000" else "111111"

    with pytest.raises(InvalidInput, match="4 attempts left"):
        services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=wrong, now=arrival)
    for _ in range(4):
        with pytest.raises(InvalidInput):
            services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=wrong, now=arrival)
    with pytest.raises(InvalidInput, match="Too many wrong codes"):
        services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=check.code, now=arrival)

    assert clock_of(ticket, Milestone.ONSITE_LOCAL).status == Clock.Status.RUNNING
    fresh = services.resend_code(visit=visit, engineer=cast.engineer)
    services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=fresh.code, now=arrival)
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).met_at == arrival


def test_replanning_and_cancelling_need_a_reason_and_tell_the_contact_and_crew(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket)

    with pytest.raises(InvalidInput):
        services.replan_visit(visit=visit, planned_start=T0 + timedelta(days=1), reason="", by=cast.lead)
    services.replan_visit(
        visit=visit, planned_start=T0 + timedelta(days=1), reason="客户机房停电", by=cast.lead
    )
    services.cancel_visit(visit=visit, reason="客户已自行恢复", by=cast.lead)

    assert visit.status == Visit.Status.CANCELLED and visit.cancel_reason == "客户已自行恢复"
    sms = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS, address=contact.mobile)
    assert set(sms.values_list("kind", flat=True)) == {"visit_replanned", "visit_cancelled"}
    assert "客户机房停电" in sms.get(kind="visit_replanned").body
    assert OutboxMessage.objects.filter(kind="visit_cancelled", recipient=cast.engineer).exists()
    assert list(visit.events.values_list("kind", flat=True)) == ["planned", "replanned", "status"]
    with pytest.raises(InvalidTransition):
        services.replan_visit(visit=visit, planned_start=T0, reason="again", by=cast.lead)


def _on_site(cast, unit, contact, *, entitlement_unit=None):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket)
    arrival = T0 + timedelta(hours=2)
    check = services.check_in(visit=visit, engineer=cast.engineer, at=arrival, now=arrival)
    services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=check.code, now=arrival)
    return ticket, visit, arrival


def test_a_swapped_in_unit_inherits_the_remaining_warranty_and_a_vendor_part_stays_covered(
    cast, unit, contact
):
    original_end = warranty_ends(unit).hardware
    part = UnitPartFactory(unit=unit, name="主板", part_number="MB-01", serial="MB000001")
    customer_part = UnitPartFactory(
        unit=unit, name="扩展卡", part_number="EX-9", serial="EX000001", origin=UnitPart.Origin.CUSTOMER_ADDED
    )
    _ticket, visit, _arrival = _on_site(cast, unit, contact)

    line = services.record_part_replacement(visit=visit, part=part, new_serial="MB000002", by=cast.engineer)
    services.record_part_replacement(visit=visit, part=customer_part, new_serial="EX000002", by=cast.engineer)

    assert (line.serial_out, line.serial_in, line.was_factory_configured) == ("MB000001", "MB000002", True)
    fitted = UnitPart.objects.get(serial="MB000002")
    assert fitted.origin == UnitPart.Origin.VENDOR_REPLACEMENT
    verdict = entitlement_for(unit, part=fitted, on=date(2027, 6, 1))
    assert verdict.is_free and verdict.warranty_ends_on == original_end
    assert not ReportPart.objects.get(serial_in="EX000002").was_factory_configured
    assert not entitlement_for(
        unit, part=UnitPart.objects.get(serial="EX000002"), on=date(2026, 6, 1)
    ).is_free

    swap = services.record_unit_swap(visit=visit, old_unit=unit, new_serial="HAC-NEW-1", by=cast.engineer)

    new = Unit.objects.get(serial="HAC-NEW-1")
    assert swap.new_unit == new and new.replaces == unit and not Unit.objects.get(pk=unit.pk).is_active
    assert warranty_ends(new).hardware == original_end  # the remaining term, not a fresh three years
    assert new in visit.units.all()


def test_leaving_records_hours_and_the_written_report_completes_the_visit_with_billable_lines(
    cast, unit, contact
):
    part = UnitPartFactory(unit=unit, name="主板", part_number="MB-01", serial="MB000001")
    _ticket, visit, arrival = _on_site(cast, unit, contact)
    services.record_part_replacement(visit=visit, part=part, new_serial="MB000002", by=cast.engineer)
    services.leave_site(
        visit=visit,
        engineer=cast.engineer,
        at=arrival + timedelta(minutes=100),
        now=arrival + timedelta(hours=2),
    )

    assert visit.status == Visit.Status.LEFT and visit.hours_on_site == Decimal("1.67")
    services.write_report(
        visit=visit, by=cast.engineer, findings="主板通讯芯片损坏", work_done="更换主板，测试签名通过"
    )

    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED
    lines = {line["code"]: line["quantity"] for line in queries.billable_lines(visit)}
    assert lines == {
        "onsite_visit": Decimal(1),
        "onsite_hour": Decimal("2.0"),
        "travel_covered": Decimal(1),
        "part:MB-01": Decimal(1),
    }
    assert visit.is_chargeable is False


def test_the_customer_signs_once_and_an_outsider_may_not(cast, unit, contact):
    _ticket, visit, _arrival = _on_site(cast, unit, contact)
    with pytest.raises(InvalidTransition, match="not written"):
        services.sign_report(visit=visit, name="李主任", by=cast.engineer, typed_confirmation=True)
    services.write_report(visit=visit, by=cast.engineer, findings="f", work_done="w")

    with pytest.raises(NotPermitted):
        services.sign_report(visit=visit, name="x", by=cast.customer2, typed_confirmation=True)
    with pytest.raises(InvalidInput, match="Draw the signature"):
        services.sign_report(visit=visit, name="李主任", by=cast.engineer, signature="javascript:alert(1)")
    report = services.sign_report(visit=visit, name="李主任", by=cast.engineer, signature=SIGNATURE)

    assert report.is_signed and report.sign_off == "drawn"
    with pytest.raises(InvalidTransition, match="was signed"):
        services.sign_report(visit=visit, name="x", by=cast.customer1, typed_confirmation=True)


def test_an_open_visit_past_its_day_is_overdue(cast, unit, contact):
    ticket = open_fault(cast, unit, contact)
    visit = dispatch(cast, ticket)
    day = visit.due_on

    assert not queries.is_overdue(visit, day)
    assert queries.is_overdue(visit, day + timedelta(days=1))
    annotated = queries.with_overdue(Visit.objects.all(), day + timedelta(days=1)).get()
    assert annotated.overdue is True
