"""Compliance and the other overview figures against a small hand-computed history."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.commitments import services as clocks
from aftersales.commitments.models import Clock, MeetEvent, Milestone, Outcome, StartEvent
from aftersales.commitments.services import ClockContext
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.reports.queries import (
    Period,
    Tally,
    clock_outcome,
    compliance,
    overview_for,
    report_scope_for,
)
from aftersales.tickets.tests.factories import FollowUpFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 is slow on purpose; these tests never check a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SH = ZoneInfo("Asia/Shanghai")
MARCH = Period(year=2026, month=3)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=SH)


class History:
    """Response promises of two centres and two customers, numbered as subjects 1, 2, 3…"""

    def __init__(self) -> None:
        self.chongqing = ServiceCentreFactory(code="cq", city="重庆")
        self.chengdu = ServiceCentreFactory(code="cd", city="成都")
        self.bank = CustomerFactory(code="bank", name="重庆银行")
        self.insurer = CustomerFactory(code="insurer", name="蜀都保险")
        self.next_subject = 0

    def start(self, *, at, customer=None, centre=None, event=StartEvent.REPORTED) -> int:
        self.next_subject += 1
        customer = customer or self.bank
        centre = centre or self.chongqing
        context = ClockContext(
            customer_id=customer.pk,
            centre_id=centre.pk,
            assignee_id=None,
            ticket_kind="fault",
            severity="severe",
            is_site_covered=True,
            contract_id=None,
            policy_at=at,
        )
        clocks.start_clocks(
            subject_type="ticket",
            subject_id=self.next_subject,
            reference=f"SR-2026-{self.next_subject:06d}",
            event=StartEvent.REPORTED,
            at=at,
            context=context,
        )
        if event != StartEvent.REPORTED:
            clocks.start_clocks(
                subject_type="ticket",
                subject_id=self.next_subject,
                reference=f"SR-2026-{self.next_subject:06d}",
                event=event,
                at=at,
                context=context,
            )
        return self.next_subject

    def respond(self, subject: int, *, at) -> None:
        clocks.meet_clocks(subject_type="ticket", subject_id=subject, event=MeetEvent.FIRST_RESPONSE, at=at)

    def response_clock(self, subject: int) -> Clock:
        return Clock.objects.get(subject_type="ticket", subject_id=subject, milestone=Milestone.RESPONSE)


@pytest.fixture
def march() -> History:
    """In March: 3 response promises kept, 1 late with notice, 2 broken; plus ones that do not count.

    Chongqing has 2 kept, 1 late with notice, 1 broken; Chengdu 1 kept, 1 broken.
    The bank has 2 kept, 1 late, 1 broken; the insurer 1 kept, 1 broken.
    """
    history = History()
    cq, cd, bank, insurer = history.chongqing, history.chengdu, history.bank, history.insurer
    # Kept: answered within 30 minutes.
    for customer, centre, day in [(bank, cq, 2), (bank, cq, 3), (insurer, cd, 4)]:
        subject = history.start(at=T0.replace(day=day), customer=customer, centre=centre)
        history.respond(subject, at=T0.replace(day=day) + timedelta(minutes=12))
    # Late with notice: the customer was told at minute 20 of a new time, met before it.
    late = history.start(at=T0.replace(day=5), customer=bank, centre=cq)
    clocks.record_delay_notice(
        clock=history.response_clock(late),
        at=T0.replace(day=5) + timedelta(minutes=20),
        new_due_at=T0.replace(day=5) + timedelta(hours=2),
    )
    history.respond(late, at=T0.replace(day=5) + timedelta(minutes=75))
    # Broken: answered late without notice; and never answered (found by the sweep).
    broken = history.start(at=T0.replace(day=6), customer=bank, centre=cq)
    history.respond(broken, at=T0.replace(day=6) + timedelta(minutes=45))
    history.start(at=T0.replace(day=7), customer=insurer, centre=cd)
    clocks.sweep(now=T0.replace(day=8))
    # Not counted: a cancelled promise, one still running on time, February's and April's.
    cancelled = history.start(at=T0.replace(day=9), customer=bank, centre=cq)
    clocks.cancel_clocks(subject_type="ticket", subject_id=cancelled, at=T0.replace(day=9))
    history.start(at=NOW - timedelta(minutes=5), customer=bank, centre=cq)
    february = history.start(at=T0.replace(month=2), customer=insurer, centre=cd)
    history.respond(february, at=T0.replace(month=2) + timedelta(minutes=5))
    april = history.start(at=T0.replace(month=4), customer=bank, centre=cq)
    history.respond(april, at=T0.replace(month=4) + timedelta(minutes=50))
    return history


def response_row(rows):
    return next(row for row in rows if row.milestone == Milestone.RESPONSE)


def test_response_compliance_in_march_is_three_kept_one_late_with_notice_two_broken(march):
    row = response_row(compliance(Clock.objects.all(), period=MARCH))

    assert row.month == Tally(kept=3, late_with_notice=1, broken=2)
    assert row.month.kept_percent == 50.0


def test_the_year_adds_other_months_promises_to_the_months_figures(march):
    row = response_row(compliance(Clock.objects.all(), period=MARCH))

    assert row.year == Tally(kept=4, late_with_notice=1, broken=3)


def test_compliance_by_centre_splits_the_same_promises_by_the_centre_that_holds_them(march):
    rows = compliance(Clock.objects.all(), period=MARCH, by="centre")

    by_centre = {row.group: row.month for row in rows if row.milestone == Milestone.RESPONSE}
    assert by_centre == {
        march.chongqing.name: Tally(kept=2, late_with_notice=1, broken=1),
        march.chengdu.name: Tally(kept=1, late_with_notice=0, broken=1),
    }


def test_compliance_by_customer_splits_the_same_promises_by_customer(march):
    rows = compliance(Clock.objects.all(), period=MARCH, by="customer")

    by_customer = {row.group: row.month for row in rows if row.milestone == Milestone.RESPONSE}
    assert by_customer == {
        "重庆银行": Tally(kept=2, late_with_notice=1, broken=1),
        "蜀都保险": Tally(kept=1, late_with_notice=0, broken=1),
    }


def test_each_promise_gets_its_own_row(march):
    onsite = march.start(at=T0.replace(day=10), event=StartEvent.ONSITE_REQUESTED)
    clocks.meet_clocks(
        subject_type="ticket",
        subject_id=onsite,
        event=MeetEvent.LOCAL_ARRIVAL,
        at=T0.replace(day=10) + timedelta(hours=3),
    )

    rows = compliance(Clock.objects.all(), period=MARCH)

    assert [row.milestone for row in rows] == [Milestone.RESPONSE, Milestone.ONSITE_LOCAL]
    assert rows[1].month == Tally(kept=1)


def test_the_database_outcome_agrees_with_the_clocks_own_outcome_in_every_case(march):
    outcomes = dict(Clock.objects.annotate(db_outcome=clock_outcome()).values_list("pk", "db_outcome"))

    python = {clock.pk: clock.outcome for clock in Clock.objects.all()}
    assert outcomes == python
    assert set(python.values()) >= {
        Outcome.KEPT,
        Outcome.LATE_WITH_NOTICE,
        Outcome.BROKEN,
        Outcome.CANCELLED,
        Outcome.OPEN,
    }


def test_compliance_is_one_query_whatever_the_number_of_promises(march, django_assert_num_queries):
    with django_assert_num_queries(1):
        compliance(Clock.objects.all(), period=MARCH, by="customer")


def test_a_month_with_nothing_decided_has_no_kept_share():
    assert Tally().kept_percent is None


def test_a_centre_lead_sees_only_the_figures_of_their_centre(march):
    lead = UserFactory(role=Role.LEAD, centre=march.chengdu)

    rows = compliance(report_scope_for(lead).clocks, period=MARCH)

    assert response_row(rows).month == Tally(kept=1, late_with_notice=0, broken=1)


def test_promises_at_risk_and_breached_ones_still_open_are_counted_now(march):
    leader = UserFactory(role=Role.LEADER)
    march.start(at=NOW - timedelta(minutes=25))  # due in 5 minutes, warned 10 before: at risk

    overview = overview_for(leader, period=MARCH, now=NOW)

    assert overview.at_risk_count == 1
    assert [line.reference for line in overview.at_risk] == ["SR-2026-000011"]
    # The one never answered on 7 March (swept) and the one started 5 minutes ago is still on time.
    assert overview.breached_open_count == 1
    assert overview.breaches_this_month == [(str(Milestone.RESPONSE.label), 3)]


def test_tickets_solved_per_level_and_satisfaction_are_counted_for_the_month_and_the_year():
    leader = UserFactory(role=Role.LEADER)
    for level, month in [("L1", 3), ("L1", 3), ("L2", 3), ("L3", 1)]:
        FollowUpFactory(
            ticket=TicketFactory(status="closed", level_reached=level, resolved_at=T0.replace(month=month)),
            satisfaction={"L1": 5, "L2": 4, "L3": 2}[level],
            created_at=T0.replace(month=month),
        )
    TicketFactory(status="in_progress", severity="severe")

    overview = overview_for(leader, period=MARCH, now=NOW)

    levels = {row.level: (row.month, row.year, row.month_percent) for row in overview.levels}
    assert levels == {"L1": (2, 2, 66.7), "L2": (1, 1, 33.3), "L3": (0, 1, 0.0)}
    assert overview.satisfaction.month_average == pytest.approx(4.67)
    assert overview.satisfaction.month_count == 3
    assert overview.satisfaction.year_average == pytest.approx(4.0)
    severe = next(row for row in overview.open_tickets if row.severity == "severe")
    assert severe.total == 1
    assert overview.open_tickets_total == 1


def test_the_months_bounds_are_local_midnights():
    assert MARCH.month_start == datetime(2026, 3, 1, tzinfo=SH)
    assert MARCH.month_end == datetime(2026, 4, 1, tzinfo=SH)
    assert Period(year=2026, month=12).month_end == datetime(2027, 1, 1, tzinfo=SH)
    assert Period.containing(datetime(2026, 2, 28, 16, 30, tzinfo=ZoneInfo("UTC"))) == MARCH
