"""Clocks: which rule applies, start and meet, re-targeting, pauses, and the escalation sweep."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import OnCallShiftFactory, ServiceCentreFactory, UserFactory
from aftersales.commitments import services
from aftersales.commitments.models import (
    Clock,
    ClockNotice,
    CommitmentRule,
    MeetEvent,
    Milestone,
    Outcome,
    ServicePolicy,
    StartEvent,
)
from aftersales.commitments.services import ClockContext
from aftersales.core.errors import InvalidInput
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.units.tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)


def context(
    customer,
    *,
    severity="severe",
    kind="fault",
    covered=True,
    centre=None,
    assignee=None,
    contract=None,
    at=T0,
) -> ClockContext:
    return ClockContext(
        customer_id=customer.pk,
        centre_id=centre.pk if centre else None,
        assignee_id=assignee.pk if assignee else None,
        ticket_kind=kind,
        severity=severity,
        is_site_covered=covered,
        contract_id=contract.pk if contract else None,
        policy_at=at,
    )


def start(ctx, event=StartEvent.REPORTED, at=T0, subject_id=1):
    return services.start_clocks(
        subject_type="ticket",
        subject_id=subject_id,
        reference=f"SR-2026-{subject_id:06d}",
        event=event,
        at=at,
        context=ctx,
    )


def clock_of(milestone, subject_id=1) -> Clock:
    return Clock.objects.exclude(status=Clock.Status.CANCELLED).get(
        subject_type="ticket", subject_id=subject_id, milestone=milestone
    )


@pytest.fixture
def customer():
    return CustomerFactory()


def test_a_reported_fault_starts_the_30_minute_response_and_the_restored_measure(customer):
    started = start(context(customer))
    assert {c.milestone for c in started} == {Milestone.RESPONSE, Milestone.RESTORED}
    response = clock_of(Milestone.RESPONSE)
    assert response.due_at == T0 + timedelta(minutes=30)
    assert response.warn_at == T0 + timedelta(minutes=20)
    assert response.next_action_at == response.warn_at
    restored = clock_of(Milestone.RESTORED)
    assert restored.due_at is None
    assert restored.next_action_at is None


def test_starting_twice_does_not_restart_a_running_promise(customer):
    start(context(customer))
    again = start(context(customer), at=T0 + timedelta(minutes=10))
    assert again == []
    assert clock_of(Milestone.RESPONSE).started_at == T0


def test_onsite_targets_follow_severity_and_coverage(customer):
    start(context(customer, severity="severe"), StartEvent.ONSITE_REQUESTED, subject_id=1)
    start(context(customer, severity="general"), StartEvent.ONSITE_REQUESTED, subject_id=2)
    start(context(customer, severity="severe", covered=False), StartEvent.ONSITE_REQUESTED, subject_id=3)
    assert clock_of(Milestone.ONSITE_LOCAL, 1).due_at == T0 + timedelta(hours=4)
    assert clock_of(Milestone.ONSITE_LOCAL, 2).due_at == T0 + timedelta(hours=24)
    assert clock_of(Milestone.ONSITE_LOCAL, 3).due_at == T0 + timedelta(hours=24)


def test_the_rnd_clock_starts_only_when_rnd_is_requested_on_site(customer):
    start(context(customer), StartEvent.REPORTED)
    start(context(customer), StartEvent.ONSITE_REQUESTED)
    milestones = set(Clock.objects.values_list("milestone", flat=True))
    assert Milestone.ONSITE_RND not in milestones
    start(context(customer), StartEvent.RND_ONSITE_REQUESTED, at=T0 + timedelta(hours=1))
    assert clock_of(Milestone.ONSITE_RND).due_at == T0 + timedelta(hours=25)


def test_a_contract_policy_overrides_the_vendor_promise_for_its_milestone(customer):
    contract = ContractFactory(customer=customer, kind="premium_support")
    policy = ServicePolicy.objects.create(
        name="Premium", effective_from=T0 - timedelta(days=30), contract=contract
    )
    CommitmentRule.objects.create(
        policy=policy,
        milestone=Milestone.ONSITE_LOCAL,
        ticket_kind="fault",
        severity="severe",
        coverage="any",
        calendar="wall_clock",
        target_minutes=120,
        start_event=StartEvent.ONSITE_REQUESTED,
        meet_event=MeetEvent.LOCAL_ARRIVAL,
    )
    start(context(customer, contract=contract), StartEvent.REPORTED)
    start(context(customer, contract=contract), StartEvent.ONSITE_REQUESTED)
    assert clock_of(Milestone.ONSITE_LOCAL).due_at == T0 + timedelta(hours=2)
    assert clock_of(Milestone.RESPONSE).due_at == T0 + timedelta(minutes=30)  # vendor rule still applies


def test_the_policy_version_in_force_when_reported_applies(customer):
    newer = ServicePolicy.objects.create(name="2026-06", effective_from=datetime(2026, 6, 1, tzinfo=SH))
    CommitmentRule.objects.create(
        policy=newer,
        milestone=Milestone.RESPONSE,
        ticket_kind="fault",
        calendar="wall_clock",
        target_minutes=15,
        start_event=StartEvent.REPORTED,
        meet_event=MeetEvent.FIRST_RESPONSE,
    )
    start(context(customer, at=T0), subject_id=1)
    june = datetime(2026, 6, 2, tzinfo=SH)
    start(context(customer, at=june), at=june, subject_id=2)
    assert clock_of(Milestone.RESPONSE, 1).due_at == T0 + timedelta(minutes=30)
    assert clock_of(Milestone.RESPONSE, 2).due_at == june + timedelta(minutes=15)


def test_a_timely_first_response_keeps_the_promise(customer):
    start(context(customer))
    met = services.meet_clocks(
        subject_type="ticket", subject_id=1, event=MeetEvent.FIRST_RESPONSE, at=T0 + timedelta(minutes=12)
    )
    assert [c.milestone for c in met] == [Milestone.RESPONSE]
    clock = clock_of(Milestone.RESPONSE)
    assert clock.outcome == Outcome.KEPT
    assert clock.minutes_late == -18
    assert clock.next_action_at is None
    assert clock_of(Milestone.RESTORED).status == Clock.Status.RUNNING


def test_a_late_first_response_is_breached_as_of_the_due_time(customer):
    start(context(customer))
    services.meet_clocks(
        subject_type="ticket", subject_id=1, event=MeetEvent.FIRST_RESPONSE, at=T0 + timedelta(minutes=45)
    )
    clock = clock_of(Milestone.RESPONSE)
    assert clock.breached_at == T0 + timedelta(minutes=30)
    assert clock.outcome == Outcome.BROKEN
    assert clock.minutes_late == 15


def test_a_severity_change_keeps_the_time_already_spent(customer):
    start(context(customer, severity="general"), StartEvent.ONSITE_REQUESTED)
    assert clock_of(Milestone.ONSITE_LOCAL).due_at == T0 + timedelta(hours=24)
    services.retarget_clocks(
        subject_type="ticket",
        subject_id=1,
        context=context(customer, severity="severe"),
        at=T0 + timedelta(hours=3),
    )
    clock = clock_of(Milestone.ONSITE_LOCAL)
    assert clock.started_at == T0
    assert clock.due_at == T0 + timedelta(hours=4)


def test_a_breached_clock_stays_breached_after_a_severity_change(customer):
    start(context(customer, severity="severe"), StartEvent.ONSITE_REQUESTED)
    services.sweep(now=T0 + timedelta(hours=5))
    assert clock_of(Milestone.ONSITE_LOCAL).breached_at is not None
    services.retarget_clocks(
        subject_type="ticket",
        subject_id=1,
        context=context(customer, severity="general"),
        at=T0 + timedelta(hours=5),
    )
    clock = clock_of(Milestone.ONSITE_LOCAL)
    assert clock.due_at == T0 + timedelta(hours=24)
    assert clock.breached_at == T0 + timedelta(hours=4)
    assert clock.outcome == Outcome.BROKEN


def test_downgrading_to_general_cancels_the_rnd_promise(customer):
    start(context(customer, severity="severe"), StartEvent.RND_ONSITE_REQUESTED)
    services.retarget_clocks(
        subject_type="ticket",
        subject_id=1,
        context=context(customer, severity="general"),
        at=T0 + timedelta(hours=1),
    )
    assert not Clock.objects.filter(milestone=Milestone.ONSITE_RND).exclude(status="cancelled").exists()


def test_a_paused_working_day_clock_resumes_with_the_working_time_it_had_left(customer):
    received = datetime(2026, 9, 18, 10, 0, tzinfo=SH)
    start(context(customer, kind="repair"), StartEvent.REPAIR_RECEIVED, at=received)
    clock = clock_of(Milestone.REPAIR_RETURN)
    assert clock.due_at == datetime(2026, 10, 22, 23, 59, 59, tzinfo=SH)
    # Paused from Monday 2026-09-21 00:00 to Wednesday 2026-09-23 00:00: two working days.
    services.pause_clocks(subject_type="ticket", subject_id=1, at=datetime(2026, 9, 21, tzinfo=SH))
    assert clock_of(Milestone.REPAIR_RETURN).next_action_at is None
    services.resume_clocks(subject_type="ticket", subject_id=1, at=datetime(2026, 9, 23, tzinfo=SH))
    clock = clock_of(Milestone.REPAIR_RETURN)
    assert clock.status == Clock.Status.RUNNING
    # Two working days later than before: 10-23 (Fri) then 10-26 (Mon).
    assert clock.due_at == datetime(2026, 10, 26, 23, 59, 59, tzinfo=SH)


def test_a_pause_over_a_weekend_costs_no_working_time(customer):
    received = datetime(2026, 3, 2, 10, 0, tzinfo=SH)
    start(context(customer, kind="repair"), StartEvent.REPAIR_RECEIVED, at=received)
    before = clock_of(Milestone.REPAIR_RETURN).due_at
    services.pause_clocks(subject_type="ticket", subject_id=1, at=datetime(2026, 3, 7, 9, tzinfo=SH))
    services.resume_clocks(subject_type="ticket", subject_id=1, at=datetime(2026, 3, 8, 20, tzinfo=SH))
    assert clock_of(Milestone.REPAIR_RETURN).due_at == before


def test_seeded_ticket_rules_do_not_pause(customer):
    start(context(customer))
    assert services.pause_clocks(subject_type="ticket", subject_id=1, at=T0 + timedelta(minutes=5)) == []
    assert clock_of(Milestone.RESPONSE).status == Clock.Status.RUNNING


def test_cancelling_stops_every_open_clock(customer):
    start(context(customer))
    services.cancel_clocks(subject_type="ticket", subject_id=1, at=T0)
    assert set(Clock.objects.values_list("status", flat=True)) == {Clock.Status.CANCELLED}
    assert services.subject_due_summary(subject_type="ticket", subject_id=1).next_due_at is None


def test_due_summary_gives_the_nearest_unmet_due_and_any_breach(customer):
    start(context(customer))
    start(context(customer), StartEvent.ONSITE_REQUESTED)
    summary = services.subject_due_summary(subject_type="ticket", subject_id=1)
    assert summary.next_due_at == T0 + timedelta(minutes=30)
    assert summary.has_breach is False
    services.meet_clocks(
        subject_type="ticket", subject_id=1, event=MeetEvent.FIRST_RESPONSE, at=T0 + timedelta(minutes=40)
    )
    summary = services.subject_due_summary(subject_type="ticket", subject_id=1)
    assert summary.next_due_at == T0 + timedelta(hours=4)
    assert summary.has_breach is True


def test_a_delay_announced_before_the_due_time_counts_as_late_with_notice(customer):
    received = datetime(2026, 9, 18, 10, 0, tzinfo=SH)
    start(context(customer, kind="repair"), StartEvent.REPAIR_RECEIVED, at=received)
    clock = clock_of(Milestone.REPAIR_RETURN)
    new_date = clock.due_at + timedelta(days=5)
    services.record_delay_notice(clock=clock, at=clock.due_at - timedelta(days=2), new_due_at=new_date)
    services.meet_clocks(
        subject_type="ticket",
        subject_id=1,
        event=MeetEvent.REPAIR_SHIPPED_BACK,
        at=clock.due_at + timedelta(days=3),
    )
    assert clock_of(Milestone.REPAIR_RETURN).outcome == Outcome.LATE_WITH_NOTICE


def test_a_delay_announced_after_the_due_time_is_refused(customer):
    start(context(customer, kind="repair"), StartEvent.REPAIR_RECEIVED, at=T0)
    clock = clock_of(Milestone.REPAIR_RETURN)
    with pytest.raises(InvalidInput, match="before it"):
        services.record_delay_notice(
            clock=clock, at=clock.due_at + timedelta(hours=1), new_due_at=clock.due_at + timedelta(days=3)
        )
    assert clock_of(Milestone.REPAIR_RETURN).late_notice_at is None


# --- the sweep -------------------------------------------------------------------------------


@pytest.fixture
def cast():
    centre = ServiceCentreFactory(code="cq", city="重庆")
    engineer = UserFactory(username="engineer", role=Role.ENGINEER, centre=centre)
    lead = UserFactory(username="lead", role=Role.LEAD, centre=centre)
    manager = UserFactory(username="manager", role=Role.MANAGER)
    leader = UserFactory(username="leader", role=Role.LEADER)
    night = OnCallShiftFactory(
        centre=centre,
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=12),
        user=UserFactory(username="night", role=Role.ENGINEER, centre=centre),
    )
    return {
        "centre": centre,
        "engineer": engineer,
        "lead": lead,
        "manager": manager,
        "leader": leader,
        "night": night.user,
    }


def test_the_sweep_warns_the_assignee_lead_and_whoever_is_on_duty(customer, cast):
    start(context(customer, centre=cast["centre"], assignee=cast["engineer"]))
    result = services.sweep(now=T0 + timedelta(minutes=21))
    assert (result.warnings, result.breaches) == (1, 0)
    usernames = set(
        OutboxMessage.objects.filter(kind="clock_warning").values_list("recipient__username", flat=True)
    )
    assert usernames == {"engineer", "lead", "night"}
    clock = clock_of(Milestone.RESPONSE)
    assert clock.warned_at == T0 + timedelta(minutes=21)
    assert clock.next_action_at == T0 + timedelta(minutes=30)


def test_the_sweep_escalates_a_breach_to_the_manager_and_later_to_leadership(customer, cast):
    start(context(customer, centre=cast["centre"], assignee=cast["engineer"]))
    services.sweep(now=T0 + timedelta(minutes=31))
    breach = set(
        OutboxMessage.objects.filter(kind="clock_breach").values_list("recipient__username", flat=True)
    )
    assert "manager" in breach and "leader" not in breach
    clock = clock_of(Milestone.RESPONSE)
    assert clock.breached_at == T0 + timedelta(minutes=30)
    assert clock.next_action_at == T0 + timedelta(minutes=90)
    assert services.sweep(now=T0 + timedelta(minutes=60)).notices == 0
    services.sweep(now=T0 + timedelta(minutes=91))
    lead_rows = OutboxMessage.objects.filter(kind="clock_leadership")
    assert set(lead_rows.values_list("recipient__username", flat=True)) == {"leader"}


def test_a_sweep_that_was_down_sends_the_breach_not_a_stale_warning(customer, cast):
    start(context(customer, centre=cast["centre"]))
    result = services.sweep(now=T0 + timedelta(minutes=35))
    assert (result.warnings, result.breaches) == (0, 1)


def test_running_the_sweep_twice_notifies_once(customer, cast):
    start(context(customer, centre=cast["centre"], assignee=cast["engineer"]))
    services.sweep(now=T0 + timedelta(minutes=21))
    again = services.sweep(now=T0 + timedelta(minutes=22))
    assert again.notices == 0
    assert ClockNotice.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="clock_warning", recipient__username="engineer").count() == 1


def test_a_met_clock_is_never_escalated(customer, cast):
    start(context(customer, centre=cast["centre"]))
    services.meet_clocks(
        subject_type="ticket", subject_id=1, event=MeetEvent.FIRST_RESPONSE, at=T0 + timedelta(minutes=5)
    )
    assert services.sweep(now=T0 + timedelta(hours=3)).notices == 0


def test_the_sweep_reads_only_due_clocks(customer, cast):
    for subject_id in range(1, 41):
        start(context(customer, centre=cast["centre"]), subject_id=subject_id)
    with CaptureQueriesContext(connection) as captured:
        assert services.sweep(now=T0 + timedelta(minutes=1)).notices == 0
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1
    assert "next_action_at" in statements[0]


def test_a_batch_of_due_clocks_costs_a_fixed_number_of_queries(customer, cast):
    def due_batch_queries(count: int, first_id: int) -> int:
        for subject_id in range(first_id, first_id + count):
            start(
                context(customer, centre=cast["centre"]),
                subject_id=subject_id,
                at=T0 + timedelta(days=first_id),
            )
        with CaptureQueriesContext(connection) as captured:
            services.sweep(now=T0 + timedelta(days=first_id, minutes=21))
        return sum("SAVEPOINT" not in q["sql"] for q in captured.captured_queries)

    # SQLite splits a bulk UPDATE or INSERT by its parameter limit (999): 80 outbox rows go in two
    # INSERTs, one more than PostgreSQL needs — hence bounds rather than equality.
    few, many = due_batch_queries(5, 1000), due_batch_queries(40, 2000)
    assert many <= few + 3
    assert many <= 13


def test_notices_are_written_in_the_recipients_language(customer, cast):
    cast["manager"].language = "en"
    cast["manager"].save()
    start(context(customer, centre=cast["centre"]))
    services.sweep(now=T0 + timedelta(minutes=31))
    english = OutboxMessage.objects.get(kind="clock_breach", recipient=cast["manager"])
    assert english.subject.startswith("[SR-2026-000001] Breached")
    assert english.language == "en"


def test_cancelling_a_ticket_never_hides_a_breach(customer, cast):
    start(context(customer, centre=cast["centre"]))
    services.sweep(now=T0 + timedelta(minutes=31))
    services.cancel_clocks(subject_type="ticket", subject_id=1, at=T0 + timedelta(hours=1))
    assert clock_of_any(Milestone.RESPONSE).outcome == Outcome.BROKEN
    assert clock_of_any(Milestone.RESTORED).outcome == Outcome.CANCELLED


def clock_of_any(milestone, subject_id=1) -> Clock:
    return Clock.objects.get(subject_type="ticket", subject_id=subject_id, milestone=milestone)
