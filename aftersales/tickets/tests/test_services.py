"""Ticket services: intake, clocks, conflicts, follow-up, auto-close, reopen, duplicates, complaints."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.commitments import services as commitments
from aftersales.commitments.models import Clock, CommitmentRule, Milestone
from aftersales.commitments.subjects import Notice
from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.customers.tests.factories import ContactFactory, SiteFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets import services
from aftersales.tickets.models import (
    Channel,
    Entitlement,
    FollowUp,
    Kind,
    Severity,
    Status,
    Ticket,
    TicketEvent,
    TicketSettings,
)
from aftersales.tickets.tests.factories import HandlingReportFactory, TicketEventFactory, TicketFactory
from aftersales.units.tests.factories import ContractFactory, UnitFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # a Monday morning
DESCRIPTION = "加密卡无法初始化，交易签名失败，日志显示主板通讯超时，已重启两次无效。"


def open_fault(cast, unit, reporter=None, *, severity=Severity.GENERAL, channel=Channel.WEB, at=T0, **extra):
    extra.setdefault("now", at)
    return services.open_ticket(
        by=cast.specialist,
        kind=Kind.FAULT,
        channel=channel,
        customer=unit.customer,
        unit=unit,
        severity=severity,
        reporter=reporter,
        title="主板故障，业务中断",
        description=DESCRIPTION,
        reported_at=at,
        **extra,
    )


def clock_of(ticket, milestone) -> Clock:
    return Clock.objects.exclude(status=Clock.Status.CANCELLED).get(
        subject_type="ticket", subject_id=ticket.pk, milestone=milestone
    )


def milestones_of(ticket) -> set[str]:
    return set(
        Clock.objects.filter(subject_type="ticket", subject_id=ticket.pk)
        .exclude(status=Clock.Status.CANCELLED)
        .values_list("milestone", flat=True)
    )


def in_progress(cast, ticket, at=T0 + timedelta(minutes=5)):
    services.accept_ticket(ticket=ticket, by=cast.engineer, at=at)
    return services.start_work(ticket=ticket, by=cast.engineer, at=at)


# --- intake --------------------------------------------------------------------------------------


@pytest.mark.smoke
def test_opening_a_fault_snapshots_entitlement_routes_it_and_starts_the_response_clock(
    cast, centre, unit, reporter
):
    ticket = open_fault(cast, unit, reporter)

    assert ticket.status == Status.NEW
    assert ticket.entitlement == Entitlement.IN_WARRANTY
    assert ticket.warranty_ends_on is not None
    assert (ticket.centre, ticket.is_site_covered, ticket.site) == (centre, True, unit.site)
    assert ticket.taken_by == cast.specialist
    response = clock_of(ticket, Milestone.RESPONSE)
    assert (response.started_at, response.due_at) == (T0, T0 + timedelta(minutes=30))
    assert Ticket.objects.get(pk=ticket.pk).next_due_at == T0 + timedelta(minutes=30)
    assert Milestone.RESTORED in milestones_of(ticket)
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[:2] == [TicketEvent.Kind.CREATED, TicketEvent.Kind.ACKNOWLEDGEMENT]


def test_the_acknowledgement_tells_the_reporter_the_number_at_once(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter)

    ack = OutboxMessage.objects.get(kind="ticket_acknowledgement")
    assert ack.address == "zhang@bank-a.example"
    assert ticket.number in ack.subject and ticket.number in ack.body
    assert ack.reference == ticket.number
    assert ack.language == "zh-hans"


def test_the_acknowledgement_of_a_severe_fault_shows_the_emergency_contact(cast, unit, reporter):
    open_fault(cast, unit, reporter, severity=Severity.SEVERE)

    assert "王经理 138 0000 0000" in OutboxMessage.objects.get(kind="ticket_acknowledgement").body


@pytest.mark.parametrize(
    ("missing", "message"), [("unit", "needs the unit"), ("severity", "needs a severity")]
)
def test_a_fault_without_unit_or_severity_is_refused(cast, unit, reporter, missing, message):
    values = {"unit": unit, "severity": Severity.GENERAL, missing: None if missing == "unit" else ""}

    with pytest.raises(InvalidInput, match=message):
        services.open_ticket(
            by=cast.specialist,
            kind=Kind.FAULT,
            channel=Channel.PHONE,
            customer=unit.customer,
            title="故障",
            description=DESCRIPTION,
            now=T0,
            **values,
        )
    assert Ticket.objects.count() == 0


def test_a_site_outside_every_centres_coverage_is_uncovered(cast, centre, customers):
    far_unit = UnitFactory(customer=customers.first, site=SiteFactory(customer=customers.first, city="拉萨"))

    ticket = open_fault(cast, far_unit)

    assert ticket.is_site_covered is False


def test_a_customer_user_reports_only_for_their_own_organisation(cast, customers, unit):
    ticket = services.open_ticket(
        by=cast.customer1,
        kind=Kind.CONSULTATION,
        channel=Channel.WEB,
        customer=customers.first,
        title="咨询",
        description="如何升级到 3.3 版本？",
        now=T0,
    )
    assert ticket.taken_by is None

    with pytest.raises(NotPermitted):
        services.open_ticket(
            by=cast.customer2,
            kind=Kind.CONSULTATION,
            channel=Channel.WEB,
            customer=customers.first,
            title="咨询",
            description="如何升级？",
            now=T0,
        )


def test_leadership_cannot_take_a_report(cast, unit):
    with pytest.raises(NotPermitted):
        services.open_ticket(
            by=cast.leader,
            kind=Kind.FAULT,
            channel=Channel.PHONE,
            customer=unit.customer,
            unit=unit,
            severity=Severity.SEVERE,
            title="故障",
            description=DESCRIPTION,
            now=T0,
        )


# --- the response clock --------------------------------------------------------------------------


def test_a_public_reply_meets_the_response_clock(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter)

    services.reply_to_customer(
        ticket=ticket, by=cast.engineer, body="请发送设备日志", at=T0 + timedelta(minutes=12)
    )

    response = clock_of(ticket, Milestone.RESPONSE)
    assert (response.status, response.met_at, response.breached_at) == (
        "met",
        T0 + timedelta(minutes=12),
        None,
    )
    assert ticket.first_response_at == T0 + timedelta(minutes=12)
    assert ticket.events.filter(kind=TicketEvent.Kind.CLOCK_MET).count() == 1
    reply = OutboxMessage.objects.get(kind="ticket_reply")
    assert reply.in_reply_to == OutboxMessage.objects.get(kind="ticket_acknowledgement").message_id


def test_neither_the_acknowledgement_nor_an_internal_note_meets_the_response_clock(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter)
    assert ticket.events.filter(kind=TicketEvent.Kind.ACKNOWLEDGEMENT).exists()

    services.add_internal_note(
        ticket=ticket, by=cast.engineer, body="疑似主板问题", at=T0 + timedelta(minutes=5)
    )

    assert clock_of(ticket, Milestone.RESPONSE).status == Clock.Status.RUNNING
    assert ticket.first_response_at is None
    assert not ticket.events.get(kind=TicketEvent.Kind.NOTE).is_public
    assert not OutboxMessage.objects.filter(kind="ticket_reply").exists()


def test_hotline_guidance_during_the_call_meets_the_response_clock_with_the_call(cast, unit, reporter):
    ticket = open_fault(
        cast,
        unit,
        reporter,
        channel=Channel.PHONE,
        guidance_given=True,
        guidance="指导客户切换到备用加密卡",
        now=T0 + timedelta(minutes=8),
    )

    response = clock_of(ticket, Milestone.RESPONSE)
    assert (response.status, response.met_at) == ("met", T0)
    assert ticket.first_response_at == T0
    assert ticket.events.filter(kind=TicketEvent.Kind.CALL, data__guidance_given=True).exists()


def test_guidance_is_refused_outside_a_phone_report(cast, unit):
    with pytest.raises(InvalidInput):
        open_fault(cast, unit, channel=Channel.WEB, guidance_given=True)


def test_a_call_back_meets_the_response_clock(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter)

    services.log_call(
        ticket=ticket,
        by=cast.specialist,
        direction=services.CALL_OUTBOUND,
        summary="回电确认故障现象",
        at=T0 + timedelta(minutes=20),
    )

    assert clock_of(ticket, Milestone.RESPONSE).met_at == T0 + timedelta(minutes=20)


def test_an_e_mail_reports_clock_starts_when_our_mail_server_received_it(cast, unit, reporter):
    received = T0 - timedelta(minutes=25)

    ticket = open_fault(cast, unit, reporter, channel=Channel.EMAIL, at=received, now=T0)

    response = clock_of(ticket, Milestone.RESPONSE)
    assert response.started_at == received
    assert response.due_at == T0 + timedelta(minutes=5)
    assert ticket.reported_at == received
    assert ticket.next_due_at == T0 + timedelta(minutes=5)


def test_a_report_received_in_the_future_is_refused(cast, unit):
    with pytest.raises(InvalidInput):
        open_fault(cast, unit, at=T0 + timedelta(hours=1), now=T0)


def test_a_late_first_reply_meets_the_clock_as_breached(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter)

    services.reply_to_customer(
        ticket=ticket, by=cast.engineer, body="抱歉久等", at=T0 + timedelta(minutes=45)
    )

    assert clock_of(ticket, Milestone.RESPONSE).breached_at == T0 + timedelta(minutes=30)
    assert Ticket.objects.get(pk=ticket.pk).has_breach is True


# --- severity, on site, restoration -----------------------------------------------------------


def test_a_severity_change_keeps_the_elapsed_time(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter, severity=Severity.GENERAL)
    services.request_onsite(ticket=ticket, by=cast.specialist, at=T0)
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).due_at == T0 + timedelta(hours=24)

    services.change_severity(
        ticket=ticket, by=cast.lead, severity=Severity.SEVERE, reason="业务已中断", at=T0 + timedelta(hours=2)
    )

    onsite = clock_of(ticket, Milestone.ONSITE_LOCAL)
    assert (onsite.started_at, onsite.due_at) == (T0, T0 + timedelta(hours=4))
    assert Ticket.objects.get(pk=ticket.pk).severity == Severity.SEVERE
    change = ticket.events.get(kind=TicketEvent.Kind.FIELD, field="severity")
    assert (change.old_value, change.new_value, change.body) == ("general", "severe", "业务已中断")


def test_a_breached_clock_stays_breached_after_a_severity_change(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter, severity=Severity.SEVERE)
    services.reply_to_customer(ticket=ticket, by=cast.engineer, body="已受理", at=T0 + timedelta(minutes=5))
    services.request_onsite(ticket=ticket, by=cast.specialist, at=T0)

    commitments.sweep(now=T0 + timedelta(hours=5))
    ticket.refresh_from_db()
    assert ticket.has_breach is True
    assert ticket.events.filter(kind=TicketEvent.Kind.CLOCK_BREACHED).count() == 1

    services.change_severity(
        ticket=ticket,
        by=cast.manager,
        severity=Severity.GENERAL,
        reason="客户确认影响轻微",
        at=T0 + timedelta(hours=6),
    )

    onsite = clock_of(ticket, Milestone.ONSITE_LOCAL)
    assert onsite.due_at == T0 + timedelta(hours=24)
    assert onsite.breached_at == T0 + timedelta(hours=4)
    assert Ticket.objects.get(pk=ticket.pk).has_breach is True


def test_a_severity_change_needs_a_reason(cast, unit):
    ticket = open_fault(cast, unit)

    with pytest.raises(InvalidInput, match="reason"):
        services.change_severity(ticket=ticket, by=cast.lead, severity=Severity.SEVERE, reason=" ")


def test_the_r_and_d_clock_starts_only_when_r_and_d_is_requested_on_site(cast, unit):
    ticket = open_fault(cast, unit, severity=Severity.SEVERE)

    services.request_onsite(ticket=ticket, by=cast.specialist, at=T0 + timedelta(minutes=30))
    assert Milestone.ONSITE_LOCAL in milestones_of(ticket)
    assert Milestone.ONSITE_RND not in milestones_of(ticket)

    services.request_onsite(ticket=ticket, by=cast.lead, rnd=True, at=T0 + timedelta(hours=1))
    rnd = clock_of(ticket, Milestone.ONSITE_RND)
    assert (rnd.started_at, rnd.due_at) == (T0 + timedelta(hours=1), T0 + timedelta(hours=25))
    assert ticket.level_reached == "L3"


def test_asking_for_r_and_d_alone_starts_only_the_r_and_d_clock(cast, unit):
    ticket = open_fault(cast, unit, severity=Severity.SEVERE)

    services.request_onsite(ticket=ticket, by=cast.lead, rnd=True, at=T0 + timedelta(hours=1))

    assert Milestone.ONSITE_RND in milestones_of(ticket)
    assert Milestone.ONSITE_LOCAL not in milestones_of(ticket)


def test_an_on_site_request_needs_a_detailed_fault_description(cast, unit):
    ticket = TicketFactory(unit=unit, description="坏了", status=Status.IN_PROGRESS)

    with pytest.raises(InvalidInput, match="at least 20 characters"):
        services.request_onsite(ticket=ticket, by=cast.specialist)
    assert Ticket.objects.get(pk=ticket.pk).onsite_requested_at is None

    services.request_onsite(ticket=ticket, by=cast.specialist, description=DESCRIPTION)
    assert ticket.onsite_requested_at is not None
    assert ticket.events.filter(kind=TicketEvent.Kind.FIELD, field="description").exists()


def test_the_minimum_description_length_is_configurable(cast, unit):
    TicketSettings.objects.update_or_create(pk=1, defaults={"onsite_description_min_length": 2})
    ticket = TicketFactory(unit=unit, description="坏了", status=Status.IN_PROGRESS)

    services.request_onsite(ticket=ticket, by=cast.specialist)

    assert ticket.onsite_requested_at is not None


def test_an_arrival_meets_the_on_site_clock_of_the_engineers_kind(cast, unit):
    ticket = open_fault(cast, unit, severity=Severity.SEVERE)
    services.request_onsite(ticket=ticket, by=cast.specialist, at=T0 + timedelta(minutes=10))
    services.request_onsite(ticket=ticket, by=cast.lead, rnd=True, at=T0 + timedelta(minutes=20))

    services.record_arrival(
        ticket=ticket, engineer=cast.engineer, at=T0 + timedelta(hours=3), now=T0 + timedelta(hours=3)
    )
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).status == Clock.Status.MET
    assert clock_of(ticket, Milestone.ONSITE_RND).status == Clock.Status.RUNNING

    services.record_arrival(
        ticket=ticket, engineer=cast.rnd, at=T0 + timedelta(hours=20), now=T0 + timedelta(hours=20)
    )
    assert clock_of(ticket, Milestone.ONSITE_RND).met_at == T0 + timedelta(hours=20)
    assert (ticket.local_arrived_at, ticket.rnd_arrived_at) == (
        T0 + timedelta(hours=3),
        T0 + timedelta(hours=20),
    )


def test_an_arrival_without_an_on_site_request_is_refused(cast, unit):
    ticket = open_fault(cast, unit)

    with pytest.raises(InvalidTransition, match="No on-site service"):
        services.record_arrival(
            ticket=ticket, engineer=cast.engineer, at=T0 + timedelta(hours=1), now=T0 + timedelta(hours=1)
        )


def test_restoring_service_meets_the_restored_clock_apart_from_resolution(cast, unit):
    ticket = open_fault(cast, unit, severity=Severity.SEVERE)

    services.record_restored(
        ticket=ticket, by=cast.engineer, how=services.RESTORED_BY_SPARE, at=T0 + timedelta(hours=2)
    )

    assert clock_of(ticket, Milestone.RESTORED).met_at == T0 + timedelta(hours=2)
    assert ticket.status == Status.NEW
    with pytest.raises(InvalidTransition, match="already restored"):
        services.record_restored(ticket=ticket, by=cast.engineer, how=services.RESTORED_BY_WORKAROUND)


# --- complaints ------------------------------------------------------------------------------------


def test_a_complaint_goes_to_the_customer_service_manager_with_its_own_clock(cast, customers, reporter):
    ticket = services.open_ticket(
        by=cast.specialist,
        kind=Kind.COMPLAINT,
        channel=Channel.PHONE,
        customer=customers.first,
        reporter=reporter,
        title="工程师迟到",
        description="约定上午九点到场，实际十一点才到。",
        now=T0,
    )

    assert ticket.assignee == cast.manager
    assert ticket.centre is None
    assert clock_of(ticket, Milestone.COMPLAINT_RESPONSE).due_at == T0 + timedelta(hours=2)
    assert Milestone.RESPONSE not in milestones_of(ticket)
    assert OutboxMessage.objects.filter(kind="ticket_assigned", recipient=cast.manager).exists()


def test_a_configured_complaint_owner_receives_complaints(cast, customers):
    owner = UserFactory(username="cs-manager", role=Role.MANAGER)
    TicketSettings.objects.update_or_create(pk=1, defaults={"complaint_owner": owner})

    ticket = services.open_ticket(
        by=cast.specialist,
        kind=Kind.COMPLAINT,
        channel=Channel.WEB,
        customer=customers.first,
        title="投诉",
        description="服务态度差",
        now=T0,
    )

    assert ticket.assignee == owner


def test_a_complaint_resolves_only_with_its_recorded_outcome(cast, customers):
    ticket = TicketFactory(
        kind=Kind.COMPLAINT, unit=None, customer=customers.first, severity="", status=Status.IN_PROGRESS
    )

    with pytest.raises(InvalidTransition, match="outcome"):
        services.resolve_ticket(ticket=ticket, by=cast.manager)
    with pytest.raises(NotPermitted):
        services.record_complaint_outcome(ticket=ticket, by=cast.engineer, outcome="已道歉")

    services.record_complaint_outcome(ticket=ticket, by=cast.manager, outcome="已致电道歉并调整排班")
    services.resolve_ticket(ticket=ticket, by=cast.manager)

    assert ticket.status == Status.RESOLVED
    assert Ticket.objects.get(pk=ticket.pk).complaint_outcome == "已致电道歉并调整排班"


# --- concurrent edits ------------------------------------------------------------------------------


def test_a_save_based_on_an_old_version_is_refused_and_changes_nothing(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.NEW)
    seen_by_both = ticket.version
    stale_copy = Ticket.objects.get(pk=ticket.pk)

    services.accept_ticket(ticket=ticket, by=cast.engineer, expected_version=seen_by_both, at=T0)
    with pytest.raises(Conflict) as refused:
        services.add_internal_note(
            ticket=stale_copy, by=cast.lead, body="我来处理", expected_version=seen_by_both
        )

    assert refused.value.status_code == 409
    assert str(cast.engineer) in refused.value.message
    assert "2026-03-02 09:00" in refused.value.message
    assert "reload" in refused.value.message
    saved = Ticket.objects.get(pk=ticket.pk)
    assert (saved.status, saved.version) == (Status.ACCEPTED, seen_by_both + 1)
    assert not saved.events.filter(kind=TicketEvent.Kind.NOTE).exists()
    assert stale_copy.version == saved.version  # the caller's copy is reloaded to show the news


def test_a_refused_move_leaves_the_callers_object_as_saved(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.NEW)

    with pytest.raises(InvalidTransition):
        services.resolve_ticket(
            ticket=ticket, by=cast.engineer, diagnosis="x", actions_taken="y", level_reached="L2"
        )

    assert (ticket.status, ticket.version) == (Status.NEW, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_of_the_same_version_let_exactly_one_through():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two writers on separate connections")
    engineer = UserFactory(username="engineer", role=Role.ENGINEER)
    ticket = TicketFactory(status=Status.NEW, centre=engineer.centre)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(body):
        try:
            copy = Ticket.objects.get(pk=ticket.pk)
            barrier.wait()
            services.add_internal_note(ticket=copy, by=engineer, body=body, expected_version=1)
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(body,)) for body in ("第一条", "第二条")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).version == 2


# --- resolution and follow-up ------------------------------------------------------------------


def test_resolving_needs_the_handling_report_and_records_the_level(cast, unit, reporter):
    ticket = open_fault(cast, unit, reporter)
    in_progress(cast, ticket)

    with pytest.raises(InvalidTransition, match="handling report"):
        services.resolve_ticket(ticket=ticket, by=cast.engineer, at=T0 + timedelta(hours=1))
    services.write_handling_report(
        ticket=ticket,
        by=cast.engineer,
        diagnosis="加密卡固件异常",
        actions_taken="远程升级固件",
        level_reached="L2",
        at=T0 + timedelta(hours=1),
    )
    services.resolve_ticket(ticket=ticket, by=cast.engineer, at=T0 + timedelta(hours=2))

    assert (ticket.status, ticket.level_reached, ticket.resolved_at) == (
        Status.RESOLVED,
        "L2",
        T0 + timedelta(hours=2),
    )
    assert clock_of(ticket, Milestone.RESTORED).met_at == T0 + timedelta(hours=2)
    notice = OutboxMessage.objects.get(kind="ticket_resolved")
    assert "加密卡固件异常" in notice.body


def test_a_fixed_follow_up_closes_the_ticket_with_the_satisfaction(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED)

    services.record_follow_up(
        ticket=ticket,
        by=cast.specialist,
        is_fixed=True,
        satisfaction=4,
        comment="希望更快",
        at=T0 + timedelta(days=1),
    )

    assert (ticket.status, ticket.closed_at) == (Status.CLOSED, T0 + timedelta(days=1))
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert (follow_up.is_fixed, follow_up.satisfaction, follow_up.comment, follow_up.recorded_by) == (
        True,
        4,
        "希望更快",
        cast.specialist,
    )


@pytest.mark.parametrize("satisfaction", [None, 0, 6])
def test_a_fixed_follow_up_needs_a_satisfaction_from_1_to_5(cast, unit, satisfaction):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED)

    with pytest.raises(InvalidInput, match="1 to 5"):
        services.record_follow_up(ticket=ticket, by=cast.specialist, is_fixed=True, satisfaction=satisfaction)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_a_not_fixed_follow_up_sends_the_ticket_back_and_the_next_resolution_needs_a_new_report(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED)
    HandlingReportFactory(ticket=ticket, created_at=T0 + timedelta(hours=1))

    services.record_follow_up(
        ticket=ticket, by=cast.specialist, is_fixed=False, comment="仍然无法签名", at=T0 + timedelta(days=1)
    )
    assert (ticket.status, ticket.resolved_at) == (Status.IN_PROGRESS, None)

    with pytest.raises(InvalidTransition, match="handling report"):
        services.resolve_ticket(ticket=ticket, by=cast.engineer, at=T0 + timedelta(days=2))
    services.resolve_ticket(
        ticket=ticket,
        by=cast.engineer,
        diagnosis="主板故障",
        actions_taken="现场更换主板",
        level_reached="L3",
        at=T0 + timedelta(days=2),
    )
    assert (ticket.status, ticket.level_reached) == (Status.RESOLVED, "L3")


def test_closing_a_ticket_stops_its_running_clocks(cast, unit):
    ticket = open_fault(cast, unit, severity=Severity.SEVERE)
    services.request_onsite(ticket=ticket, by=cast.specialist, at=T0)
    in_progress(cast, ticket)
    services.resolve_ticket(
        ticket=ticket,
        by=cast.engineer,
        diagnosis="a",
        actions_taken="b",
        level_reached="L2",
        at=T0 + timedelta(hours=1),
    )

    services.record_follow_up(
        ticket=ticket, by=cast.specialist, is_fixed=True, satisfaction=5, at=T0 + timedelta(hours=2)
    )

    assert not Clock.objects.filter(subject_id=ticket.pk, status=Clock.Status.RUNNING).exists()
    assert Ticket.objects.get(pk=ticket.pk).next_due_at is None


# --- auto-close, reopen ----------------------------------------------------------------------------


def test_a_silent_resolved_ticket_closes_by_itself_once_and_says_so(unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED, resolved_at=T0)

    first = services.auto_close_silent_tickets(now=T0 + timedelta(days=7, minutes=1))
    second = services.auto_close_silent_tickets(now=T0 + timedelta(days=7, minutes=2))

    assert [t.pk for t in first] == [ticket.pk]
    assert second == []
    ticket.refresh_from_db()
    assert (ticket.status, ticket.auto_closed, ticket.closed_at) == (
        Status.CLOSED,
        True,
        T0 + timedelta(days=7, minutes=1),
    )
    event = ticket.events.get(kind=TicketEvent.Kind.STATUS)
    assert event.actor is None
    assert event.data["auto_closed"] is True
    assert "automatically" in event.body


def test_a_ticket_is_not_closed_before_the_silence_is_over(unit):
    TicketFactory(unit=unit, status=Status.RESOLVED, resolved_at=T0)

    assert services.auto_close_silent_tickets(now=T0 + timedelta(days=6, hours=23)) == []


def test_contact_with_the_customer_restarts_the_silence(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED, resolved_at=T0)
    services.log_call(
        ticket=ticket,
        by=cast.specialist,
        direction=services.CALL_OUTBOUND,
        summary="客户说还在观察",
        at=T0 + timedelta(days=5),
    )

    assert services.auto_close_silent_tickets(now=T0 + timedelta(days=8)) == []
    assert [t.pk for t in services.auto_close_silent_tickets(now=T0 + timedelta(days=12, minutes=1))] == [
        ticket.pk
    ]


def test_the_silence_is_configurable(unit):
    TicketSettings.objects.update_or_create(pk=1, defaults={"auto_close_after_days": 3})
    ticket = TicketFactory(unit=unit, status=Status.RESOLVED, resolved_at=T0)

    assert [t.pk for t in services.auto_close_silent_tickets(now=T0 + timedelta(days=3))] == [ticket.pk]


def test_a_closed_ticket_reopens_within_the_window(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.CLOSED, closed_at=T0, auto_closed=True)

    services.reopen_ticket(ticket=ticket, by=cast.specialist, reason="故障复现", at=T0 + timedelta(days=29))

    assert (ticket.status, ticket.closed_at, ticket.auto_closed) == (Status.IN_PROGRESS, None, False)


def test_a_reopen_after_the_window_is_refused_with_the_reason(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.CLOSED, closed_at=T0)

    with pytest.raises(InvalidTransition, match="more than 30 days ago"):
        services.reopen_ticket(
            ticket=ticket, by=cast.specialist, reason="故障复现", at=T0 + timedelta(days=31)
        )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


# --- cancel and duplicates --------------------------------------------------------------------------


def test_marking_a_duplicate_links_both_tickets_and_records_it_on_both_timelines(cast, unit):
    original = TicketFactory(unit=unit, status=Status.IN_PROGRESS)
    duplicate = TicketFactory(unit=unit, status=Status.NEW)

    services.cancel_ticket(ticket=duplicate, by=cast.specialist, duplicate_of=original, at=T0)

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of) == (Status.CANCELLED, original)
    assert list(original.duplicates.all()) == [duplicate]
    assert original.events.get(kind=TicketEvent.Kind.DUPLICATE).data == {"duplicate": duplicate.number}
    assert duplicate.events.get(kind=TicketEvent.Kind.DUPLICATE).data == {"duplicate_of": original.number}
    assert Ticket.objects.get(pk=original.pk).status == Status.IN_PROGRESS


@pytest.mark.parametrize("which", ["itself", "other customer", "cancelled"])
def test_a_ticket_cannot_duplicate_itself_another_customers_or_a_cancelled_one(cast, customers, unit, which):
    ticket = TicketFactory(unit=unit, status=Status.NEW)
    original = {
        "itself": ticket,
        "other customer": TicketFactory(unit=UnitFactory(customer=customers.second), status=Status.NEW),
        "cancelled": TicketFactory(unit=unit, status=Status.CANCELLED),
    }[which]

    with pytest.raises(InvalidTransition):
        services.cancel_ticket(ticket=ticket, by=cast.specialist, duplicate_of=original)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_cancelling_needs_a_reason_and_stops_the_clocks(cast, unit):
    ticket = open_fault(cast, unit)

    with pytest.raises(InvalidInput):
        services.cancel_ticket(ticket=ticket, by=cast.specialist, reason="")
    services.cancel_ticket(ticket=ticket, by=cast.specialist, reason="客户误报", at=T0 + timedelta(minutes=3))

    assert milestones_of(ticket) == set()
    assert ticket.next_due_at is None


# --- assignment and entitlement ------------------------------------------------------------------


def test_an_engineer_of_another_centre_cannot_be_assigned_but_r_and_d_can(cast, unit):
    ticket = open_fault(cast, unit)
    chengdu = ServiceCentreFactory(code="cd", city="成都")
    outsider = UserFactory(username="cd-engineer", role=Role.ENGINEER, centre=chengdu)

    with pytest.raises(InvalidInput, match="does not belong"):
        services.assign_ticket(ticket=ticket, by=cast.lead, assignee=outsider)
    with pytest.raises(InvalidInput, match="does not work on tickets"):
        services.assign_ticket(ticket=ticket, by=cast.lead, assignee=cast.leader)
    services.assign_ticket(ticket=ticket, by=cast.lead, assignee=cast.rnd, at=T0 + timedelta(minutes=2))

    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.rnd
    assert clock_of(ticket, Milestone.RESPONSE).assignee == cast.rnd
    assert OutboxMessage.objects.filter(kind="ticket_assigned", recipient=cast.rnd).exists()


def test_only_a_lead_or_manager_assigns(cast, unit):
    ticket = open_fault(cast, unit)

    with pytest.raises(NotPermitted):
        services.assign_ticket(ticket=ticket, by=cast.specialist, assignee=cast.engineer)


def test_forwarding_to_another_centre_takes_the_ticket_from_the_old_centres_engineer(cast, unit):
    ticket = open_fault(cast, unit)
    services.assign_ticket(ticket=ticket, by=cast.lead, assignee=cast.engineer)
    chengdu = ServiceCentreFactory(code="cd", city="成都")

    services.route_ticket(ticket=ticket, by=cast.specialist, centre=chengdu, reason="产品线由成都支持")

    assert (ticket.centre, ticket.assignee) == (chengdu, None)
    assert clock_of(ticket, Milestone.RESPONSE).centre_id == chengdu.pk


def test_a_manager_overrides_the_entitlement_with_a_recorded_reason(cast, customers, unit):
    ticket = open_fault(cast, unit)
    contract = ContractFactory(customer=customers.first, starts_on=date(2026, 1, 1))

    with pytest.raises(NotPermitted):
        services.override_entitlement(
            ticket=ticket, by=cast.engineer, entitlement=Entitlement.CHARGEABLE, reason="x"
        )
    with pytest.raises(InvalidInput):
        services.override_entitlement(
            ticket=ticket, by=cast.manager, entitlement=Entitlement.CHARGEABLE, reason=""
        )
    services.override_entitlement(
        ticket=ticket,
        by=cast.manager,
        entitlement=Entitlement.UNDER_CONTRACT,
        contract=contract,
        reason="补签延保合同",
    )

    saved = Ticket.objects.get(pk=ticket.pk)
    assert (saved.entitlement, saved.entitlement_contract, saved.entitlement_overridden) == (
        Entitlement.UNDER_CONTRACT,
        contract,
        True,
    )
    event = saved.events.get(kind=TicketEvent.Kind.ENTITLEMENT)
    assert (event.old_value, event.new_value, event.body, event.actor) == (
        "in_warranty",
        "under_contract",
        "补签延保合同",
        cast.manager,
    )


# --- timeline and outbox --------------------------------------------------------------------------


def test_timeline_events_cannot_be_edited_or_deleted():
    event = TicketEventFactory()

    event.body = "改写历史"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(RuntimeError):
        TicketEvent.objects.filter(pk=event.pk).update(body="改写历史")
    with pytest.raises(RuntimeError):
        TicketEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(RuntimeError):
        event.ticket.events.all().delete()
    assert TicketEvent.objects.get(pk=event.pk).body == "已联系客户获取日志"


def test_the_acknowledgement_is_written_in_the_tickets_transaction(cast, unit, reporter):
    with pytest.raises(RuntimeError), transaction.atomic():
        open_fault(cast, unit, reporter)
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("the request failed after the service")

    assert Ticket.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_reply_that_fails_after_queueing_leaves_neither_event_nor_outbox_row(
    cast, unit, reporter, monkeypatch
):
    ticket = open_fault(cast, unit, reporter)
    version = ticket.version

    def broken_clock_service(**kwargs):
        raise RuntimeError("clock service down")

    monkeypatch.setattr(services, "meet_clocks", broken_clock_service)
    with pytest.raises(RuntimeError):
        services.reply_to_customer(ticket=ticket, by=cast.engineer, body="请发送日志")

    assert not OutboxMessage.objects.filter(kind="ticket_reply").exists()
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.REPLY).exists()
    assert Ticket.objects.get(pk=ticket.pk).version == version


def test_the_clock_sweep_writes_its_warning_on_the_timeline_and_refreshes_the_queue_fields(
    cast, unit, reporter
):
    ticket = open_fault(cast, unit, reporter)

    commitments.sweep(now=T0 + timedelta(minutes=21))

    warning = ticket.events.get(kind=TicketEvent.Kind.CLOCK_WARNING)
    assert warning.data["milestone"] == Milestone.RESPONSE
    assert str(cast.lead) in warning.body
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version  # a warning is not an edit


def test_the_sweep_ignores_a_clock_whose_ticket_does_not_exist():
    services.record_clock_notices(
        [
            Notice(
                Clock(subject_type="ticket", subject_id=999_999, milestone=Milestone.RESPONSE),
                "warning",
                [],
                T0,
            )
        ]
    )

    assert TicketEvent.objects.count() == 0


def test_a_reporter_without_e_mail_gets_the_acknowledgement_by_sms(cast, unit, customers):
    reporter = ContactFactory(customer=customers.first, email="", mobile="139 0000 1111")

    open_fault(cast, unit, reporter)

    ack = OutboxMessage.objects.get(kind="ticket_acknowledgement")
    assert (ack.channel, ack.address) == ("sms", "139 0000 1111")


# --- waiting for the customer, details ------------------------------------------------------------


def test_waiting_for_the_customer_pauses_a_clock_whose_rule_may_pause(cast, customers):
    CommitmentRule.objects.filter(milestone=Milestone.RESPONSE, ticket_kind=Kind.CONSULTATION).update(
        may_pause=True
    )
    ticket = services.open_ticket(
        by=cast.specialist,
        kind=Kind.CONSULTATION,
        channel=Channel.WEB,
        customer=customers.first,
        title="咨询",
        description="如何导出审计日志？",
        now=T0,
    )
    in_progress(cast, ticket, at=T0 + timedelta(minutes=5))

    services.wait_for_customer(
        ticket=ticket, by=cast.engineer, reason="请提供版本号", at=T0 + timedelta(minutes=10)
    )
    assert clock_of(ticket, Milestone.RESPONSE).status == Clock.Status.PAUSED
    assert ticket.next_due_at is None

    services.customer_replied(ticket=ticket, by=None, body="版本 3.2.1", at=T0 + timedelta(minutes=70))
    assert clock_of(ticket, Milestone.RESPONSE).due_at == T0 + timedelta(minutes=90)
    assert ticket.next_due_at == T0 + timedelta(minutes=90)
    assert ticket.status == Status.IN_PROGRESS


def test_editing_details_records_each_changed_field(cast, unit):
    ticket = TicketFactory(unit=unit, status=Status.IN_PROGRESS)

    services.update_ticket_details(
        ticket=ticket, by=cast.engineer, title="签名服务中断", business_impact="柜面交易停止"
    )

    changes = dict(ticket.events.filter(kind=TicketEvent.Kind.FIELD).values_list("field", "new_value"))
    assert changes == {"title": "签名服务中断", "business_impact": "柜面交易停止"}
    with pytest.raises(InvalidInput, match="Nothing"):
        services.update_ticket_details(ticket=ticket, by=cast.engineer, title="签名服务中断")
