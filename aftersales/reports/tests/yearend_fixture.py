"""A small customer-year built by hand for the year-end report tests; the figures are worked out
in the docstring of ``build_year`` and asserted exactly by ``test_yearend_figures``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.commitments.models import Clock, CommitmentRule, Milestone
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory
from aftersales.inspections.models import ChecklistResult
from aftersales.tickets.models import Status
from aftersales.tickets.tests.factories import FollowUpFactory, TicketFactory
from aftersales.units.models import Unit, UnitPart
from aftersales.units.tests.factories import (
    ContractFactory,
    ProductModelFactory,
    UnitFactory,
    UnitPartFactory,
)
from aftersales.visits.models import ReportPart, ServiceReport, Visit, VisitKind

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@dataclass
class Year:
    bank: object
    branch: object
    other: object
    manager: object
    units: dict
    tickets: dict


def _clock(
    ticket,
    milestone,
    *,
    started,
    due,
    met=None,
    breached=None,
    notice=None,
    new_due=None,
    status=Clock.Status.MET,
) -> Clock:
    return Clock.objects.create(
        subject_type="ticket",
        subject_id=ticket.pk,
        reference=ticket.number,
        rule=CommitmentRule.objects.filter(milestone=milestone).first() or CommitmentRule.objects.first(),
        milestone=milestone,
        calendar="wall_clock",
        status=status,
        started_at=started,
        due_at=due,
        met_at=met,
        breached_at=breached,
        late_notice_at=notice,
        promised_new_at=new_due,
        customer=ticket.customer,
    )


def build_year() -> Year:
    """The bank (a head office) and its branch in 2026.

    Tickets of the period: T1–T4 and T6 (bank), T5 (branch) → 6; resolved: T1, T2 → 2.
    Promises: T1 response kept (18 min early), T1 restored kept (30 early), T2 response broken
    (20 late), T3 on-site late with notice (90 late), T4 response broken (never met), T5
    response kept (5 early), T6 response still running, T6 restored cancelled (left out).
    → decided 6: kept 3, late with notice 1, broken 2, 50.0 % kept; running 1; average delay of
    the late ones (20 + 90) / 2 = 55.0.
    Follow-ups: T1 5 fixed, T2 2 not fixed, T5 4 fixed, T3 unrated fixed → 4, 3 rated, average
    3.67, scores 1…5 = (0, 1, 0, 1, 1), fixed 3. One in January 2027 is left out.
    Visits: V1 on-site repair for T3 with findings and a part, V2 inspection with results OK,
    attention, fault; a cancelled one and one planned in 2027 left out → 2 visits, 2 completed,
    1 inspection, 1/1/1.
    Parts: the PSU of V1 (also recorded on the unit: counted once) and a fan fitted in October
    without a visit → 2.
    Units: U1 in warranty (hardware to 2028-01-09), U2 warranty ended 2026-06-30 and under the
    extended-warranty contract, U3 (branch) warranty ended 2026-02-28, chargeable, U4 out of
    service; U5 shipped in 2027 left out → 4 units, 3 in service, 1/1/1, 2 ended in the period.
    Contracts: the extended warranty (running at the end) and an inspection plan ended in March;
    one of 2027 left out → 1 running at the end.
    """
    manager = UserFactory(role=Role.ACCOUNT, username="am-bank", email="am@vendor.example")
    bank = CustomerFactory(code="bank", name="重庆银行", account_manager=manager)
    branch = CustomerFactory(code="bank-wz", name="重庆银行万州分行", parent=bank)
    other = CustomerFactory(code="insurer", name="蜀都保险")
    ContactFactory(
        customer=bank,
        name="王敏",
        department="信息科技部",
        email="wang@bank.example",
        receives_reports=True,
        language="zh-hans",
    )
    ContactFactory(
        customer=bank,
        name="Li Lei",
        department="Operations",
        email="li@bank.example",
        receives_reports=True,
        language="en",
    )
    ContactFactory(customer=bank, name="赵强", email="zhao@bank.example", receives_reports=False)

    standard = ProductModelFactory(code="SJJ-1812")
    short = ProductModelFactory(code="SJJ-0912", hardware_warranty_months=12, software_warranty_months=12)
    u1 = UnitFactory(
        serial="U1",
        customer=bank,
        product_model=standard,
        shipped_on=date(2025, 1, 2),
        accepted_on=date(2025, 1, 10),
    )
    u2 = UnitFactory(
        serial="U2",
        customer=bank,
        product_model=short,
        shipped_on=date(2025, 6, 20),
        accepted_on=date(2025, 7, 1),
    )
    u3 = UnitFactory(
        serial="U3",
        customer=branch,
        product_model=standard,
        shipped_on=date(2023, 2, 20),
        accepted_on=date(2023, 3, 1),
    )
    u4 = UnitFactory(
        serial="U4",
        customer=bank,
        product_model=standard,
        shipped_on=date(2020, 1, 1),
        accepted_on=None,
        is_active=False,
    )
    UnitFactory(
        serial="U5", customer=bank, product_model=standard, shipped_on=date(2027, 1, 10), accepted_on=None
    )
    UnitFactory(serial="X1", customer=other, product_model=standard)
    ContractFactory(
        number="HT-EXT", customer=bank, starts_on=date(2026, 7, 1), ends_on=date(2027, 6, 30), units=[u2]
    )
    ContractFactory(
        number="HT-INSP",
        customer=bank,
        kind="inspection_plan",
        starts_on=date(2025, 1, 1),
        ends_on=date(2026, 3, 31),
        units=[u1, u2],
    )
    ContractFactory(number="HT-2027", customer=bank, starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))

    def ticket(number, unit, reported, **extra):
        return TicketFactory(number=number, unit=unit, customer=unit.customer, reported_at=reported, **extra)

    t1 = ticket("SR-T1", u1, at(3, 2), status=Status.CLOSED)
    t2 = ticket("SR-T2", u1, at(5, 10, 10), status=Status.RESOLVED)
    t3 = ticket("SR-T3", u1, at(6, 1, 8), status=Status.IN_PROGRESS)
    t4 = ticket("SR-T4", u2, at(7, 1), status=Status.IN_PROGRESS)
    t5 = ticket("SR-T5", u3, at(8, 1, 8), status=Status.IN_PROGRESS)
    t6 = ticket("SR-T6", u2, at(12, 31, 23), status=Status.NEW)
    before = ticket("SR-OLD", u1, at(12, 31, 23, 59, year=2025), status=Status.NEW)
    after = ticket("SR-NEW", u1, at(1, 1, 0, 0, year=2027), status=Status.NEW)
    ticket("SR-OTHER", Unit.objects.get(serial="X1"), at(4, 1), status=Status.NEW)

    _clock(t1, Milestone.RESPONSE, started=at(3, 2), due=at(3, 2, 9, 30), met=at(3, 2, 9, 12))
    _clock(t1, Milestone.RESTORED, started=at(3, 2), due=at(3, 2, 13), met=at(3, 2, 12, 30))
    _clock(
        t2,
        Milestone.RESPONSE,
        started=at(5, 10, 10),
        due=at(5, 10, 10, 30),
        met=at(5, 10, 10, 50),
        breached=at(5, 10, 10, 30),
    )
    _clock(
        t3,
        Milestone.ONSITE_LOCAL,
        started=at(6, 1, 8),
        due=at(6, 1, 12),
        met=at(6, 1, 13, 30),
        breached=at(6, 1, 12),
        notice=at(6, 1, 11),
        new_due=at(6, 1, 14),
    )
    _clock(
        t4,
        Milestone.RESPONSE,
        started=at(7, 1),
        due=at(7, 1, 9, 30),
        breached=at(7, 1, 9, 30),
        status=Clock.Status.RUNNING,
    )
    _clock(t5, Milestone.RESPONSE, started=at(8, 1, 8), due=at(8, 1, 8, 30), met=at(8, 1, 8, 25))
    _clock(
        t6, Milestone.RESPONSE, started=at(12, 31, 23), due=at(12, 31, 23, 30), status=Clock.Status.RUNNING
    )
    _clock(
        t6,
        Milestone.RESTORED,
        started=at(12, 31, 23),
        due=at(1, 1, 3, year=2027),
        status=Clock.Status.CANCELLED,
    )
    _clock(
        before,
        Milestone.RESPONSE,
        started=before.reported_at,
        due=before.reported_at + timedelta(minutes=30),
        met=before.reported_at + timedelta(minutes=5),
    )
    _clock(
        after,
        Milestone.RESPONSE,
        started=after.reported_at,
        due=after.reported_at + timedelta(minutes=30),
        breached=after.reported_at + timedelta(minutes=30),
        status=Clock.Status.RUNNING,
    )

    FollowUpFactory(ticket=t1, is_fixed=True, satisfaction=5, comment="响应及时", created_at=at(3, 5))
    FollowUpFactory(ticket=t2, is_fixed=False, satisfaction=2, comment="等待时间较长", created_at=at(5, 12))
    FollowUpFactory(ticket=t5, is_fixed=True, satisfaction=4, comment="", created_at=at(8, 3))
    FollowUpFactory(ticket=t3, is_fixed=True, satisfaction=None, comment="", created_at=at(6, 3))
    FollowUpFactory(ticket=t6, is_fixed=True, satisfaction=1, created_at=at(1, 2, year=2027))

    v1 = Visit.objects.create(
        number="VS-1",
        kind=VisitKind.ONSITE_REPAIR,
        status=Visit.Status.COMPLETED,
        ticket=t3,
        customer=bank,
        purpose="电源故障",
        planned_start=at(6, 1, 10),
        completed_at=at(6, 1, 14),
    )
    v1.units.add(u1)
    report = ServiceReport.objects.create(
        visit=v1, findings="电源模块损坏", work_done="更换电源模块，业务恢复"
    )
    ReportPart.objects.create(
        report=report,
        unit=u1,
        name="电源模块",
        part_number="PSU-550",
        serial_out="PSU-OLD",
        serial_in="PSU-NEW",
    )
    v2 = Visit.objects.create(
        number="VS-2",
        kind=VisitKind.INSPECTION,
        status=Visit.Status.COMPLETED,
        customer=bank,
        purpose="年度巡检",
        planned_start=at(9, 15),
        completed_at=at(9, 15, 16),
    )
    ServiceReport.objects.create(visit=v2, findings="风扇转速偏低", work_done="清灰")
    for label, outcome in [("电源冗余", "ok"), ("风扇转速", "attention"), ("日志告警", "fault")]:
        ChecklistResult.objects.create(visit=v2, section="health", label=label, unit=u1, outcome=outcome)
    Visit.objects.create(
        number="VS-3",
        kind=VisitKind.TRAINING,
        status=Visit.Status.CANCELLED,
        customer=bank,
        purpose="培训",
        planned_start=at(10, 1),
    )
    Visit.objects.create(
        number="VS-4",
        kind=VisitKind.INSPECTION,
        status=Visit.Status.PLANNED,
        customer=bank,
        purpose="巡检",
        planned_start=at(1, 5, year=2027),
    )

    old = UnitPartFactory(unit=u1, name="电源模块", serial="PSU-OLD", removed_on=date(2026, 6, 1))
    UnitPartFactory(
        unit=u1,
        name="电源模块",
        serial="PSU-NEW",
        origin=UnitPart.Origin.VENDOR_REPLACEMENT,
        fitted_on=date(2026, 6, 1),
        replaces=old,
    )
    fan = UnitPartFactory(
        unit=u1, name="风扇", part_number="FAN-80", serial="FAN-OLD", removed_on=date(2026, 10, 10)
    )
    UnitPartFactory(
        unit=u1,
        name="风扇",
        part_number="FAN-80",
        serial="FAN-NEW",
        origin=UnitPart.Origin.VENDOR_REPLACEMENT,
        fitted_on=date(2026, 10, 10),
        replaces=fan,
    )
    return Year(
        bank=bank,
        branch=branch,
        other=other,
        manager=manager,
        units={"U1": u1, "U2": u2, "U3": u3, "U4": u4},
        tickets={"T1": t1, "T2": t2, "T3": t3, "T4": t4, "T5": t5, "T6": t6},
    )
