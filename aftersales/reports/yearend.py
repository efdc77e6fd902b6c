"""The figures of a customer's year-end service report (年度服务报告), read in one place.

``year_end_figures(customer, start=…, end=…)`` returns one frozen ``YearEndFigures``: every
ticket reported in the period with each of its promises (kept, late with notice, broken, with
the minutes early or late), the visits and inspections with their findings, the parts replaced,
the units with their warranty and contract standing on the last day of the period, the
satisfaction scores of the follow-ups, and the headline figures of the summary page. It costs a
fixed number of queries whatever the size of the customer (asserted in the tests).

What belongs to the period (local dates, both ends included, Asia/Shanghai):

* a ticket: reported in the period; its promises are all its clocks except cancelled ones
  that were never breached (a cancelled promise promised nothing); a clock still running
  at the end is shown as running and not counted as kept or broken;
* a follow-up: recorded in the period, for a ticket of the customer;
* a visit: completed in the period, or (not completed, not cancelled) planned in it;
  inspections are the visits of kind ``inspection`` with their checklist results;
* a part replaced: a part of one of the customer's units fitted in the period in place of
  another (``UnitPart.replaces``), and the parts listed on the service reports of the
  period's visits that the installed base does not already show;
* a unit: shipped by the end of the period; its warranty ends and its entitlement are
  those of the last day (``units.entitlement``), with the covering contract if any;
* a contract: running at some moment of the period.

A head office's report may include its branches (``include_branches``): every row then names
the organisation it belongs to, and the summary counts them all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from aftersales.commitments.models import Clock, Milestone, Outcome
from aftersales.core.business_time import local_date, start_of_local_day
from aftersales.customers.models import Customer
from aftersales.tickets.models import FollowUp, Ticket
from aftersales.tickets.services import SUBJECT_TYPE as TICKET_SUBJECT_TYPE
from aftersales.units.entitlement import CHARGEABLE, IN_WARRANTY, UNDER_CONTRACT, entitlement_for
from aftersales.units.models import Contract, Unit, UnitPart
from aftersales.units.queries import units_for_entitlement

MAX_PERIOD_DAYS = 3 * 366
DECIDED = (Outcome.KEPT, Outcome.LATE_WITH_NOTICE, Outcome.BROKEN)


# --- the rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    milestone: str
    milestone_label: str
    outcome: str
    outcome_label: str
    started_at: datetime
    due_at: datetime | None
    met_at: datetime | None
    minutes_late: int | None  # negative: early; None while unmet
    late_notice_at: datetime | None

    @property
    def minutes_early(self) -> int | None:
        return None if self.minutes_late is None else max(-self.minutes_late, 0)


@dataclass(frozen=True)
class TicketRow:
    number: str
    title: str
    kind_label: str
    severity_label: str
    status_label: str
    organisation: str
    unit_serial: str
    reported_at: datetime
    resolved_at: datetime | None
    promises: tuple[Promise, ...]


@dataclass(frozen=True)
class FollowUpRow:
    ticket_number: str
    recorded_at: datetime
    is_fixed: bool
    satisfaction: int | None
    comment: str


@dataclass(frozen=True)
class ChecklistRow:
    section_label: str
    label: str
    unit_serial: str
    outcome: str
    outcome_label: str
    note: str


@dataclass(frozen=True)
class VisitRow:
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    organisation: str
    ticket_number: str
    on: date
    units: tuple[str, ...]
    findings: str
    work_done: str
    checklist: tuple[ChecklistRow, ...]

    @property
    def is_inspection(self) -> bool:
        return self.kind == "inspection"

    @property
    def checklist_counts(self) -> dict[str, int]:
        return dict(Counter(row.outcome for row in self.checklist))


@dataclass(frozen=True)
class PartRow:
    on: date | None
    unit_serial: str
    name: str
    part_number: str
    serial_out: str
    serial_in: str
    source: str  # the visit number, or "" for a replacement recorded on the unit


@dataclass(frozen=True)
class UnitRow:
    serial: str
    model: str
    organisation: str
    site: str
    in_service: bool
    hardware_warranty_ends_on: date | None
    software_warranty_ends_on: date | None
    warranty_ended_in_period: bool
    verdict: str
    verdict_label: str
    reason: str
    contract_number: str


@dataclass(frozen=True)
class ContractRow:
    number: str
    kind_label: str
    organisation: str
    starts_on: date
    ends_on: date
    units: int
    running_at_end: bool


@dataclass(frozen=True)
class MilestoneTally:
    milestone: str
    label: str
    kept: int = 0
    late_with_notice: int = 0
    broken: int = 0
    running: int = 0

    @property
    def decided(self) -> int:
        return self.kept + self.late_with_notice + self.broken


@dataclass(frozen=True)
class Headline:
    """The summary page's figures."""

    tickets: int
    tickets_by_kind: tuple[tuple[str, int], ...]
    tickets_resolved: int
    promises_decided: int
    promises_kept: int
    promises_late_with_notice: int
    promises_broken: int
    promises_running: int
    kept_percent: float | None
    average_minutes_late_of_late: float | None  # over promises met after their due time
    by_milestone: tuple[MilestoneTally, ...]
    follow_ups: int
    satisfaction_rated: int
    satisfaction_average: float | None
    satisfaction_counts: tuple[int, int, int, int, int]  # scores 1…5
    fixed_at_follow_up: int
    visits: int
    visits_completed: int
    inspections: int
    checklist_ok: int
    checklist_attention: int
    checklist_fault: int
    parts_replaced: int
    units: int
    units_in_service: int
    units_in_warranty: int
    units_under_contract: int
    units_chargeable: int
    warranties_ended_in_period: int
    contracts_running_at_end: int


@dataclass(frozen=True)
class YearEndFigures:
    customer_id: int
    customer_code: str
    customer_name: str
    organisations: tuple[str, ...]  # the customer first, then the branches included
    include_branches: bool
    start: date
    end: date
    headline: Headline
    tickets: tuple[TicketRow, ...]
    follow_ups: tuple[FollowUpRow, ...]
    visits: tuple[VisitRow, ...]
    parts: tuple[PartRow, ...]
    units: tuple[UnitRow, ...]
    contracts: tuple[ContractRow, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def inspections(self) -> tuple[VisitRow, ...]:
        return tuple(visit for visit in self.visits if visit.is_inspection)

    @property
    def other_visits(self) -> tuple[VisitRow, ...]:
        return tuple(visit for visit in self.visits if not visit.is_inspection)

    @property
    def is_calendar_year(self) -> bool:
        return self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31)

    @property
    def period_label(self) -> str:
        if self.is_calendar_year:
            return str(self.start.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


# --- the period and the organisations ---------------------------------------------------------


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def check_period(start: date, end: date) -> None:
    """Raise ``ValueError`` for a period that ends before it starts or runs past three years."""
    if end < start:
        raise ValueError("the period ends before it starts")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValueError("the period is longer than three years")


def _moments(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as aware moments: its first instant and the first instant after it."""
    return start_of_local_day(start), start_of_local_day(end + timedelta(days=1))


def organisations_of(customer: Customer, *, include_branches: bool) -> list[Customer]:
    """The customer, then its branches by name when asked for (one query; none for a branch)."""
    if not include_branches or customer.parent_id is not None:
        return [customer]
    return [customer, *Customer.objects.filter(parent_id=customer.pk).order_by("name")]


def customers_with_activity(start: date, end: date):
    """Customers with tickets or visits in the period, or units in service at its end (one query)."""
    from aftersales.visits.models import Visit

    first, after = _moments(start, end)
    tickets = Ticket.objects.filter(reported_at__gte=first, reported_at__lt=after).values("customer_id")
    visits = (
        Visit.objects.exclude(status=Visit.Status.CANCELLED)
        .filter(
            Q(completed_at__gte=first, completed_at__lt=after)
            | Q(completed_at__isnull=True, planned_start__gte=first, planned_start__lt=after)
        )
        .values("customer_id")
    )
    units = Unit.objects.filter(is_active=True, shipped_on__lte=end).values("customer_id")
    return (
        Customer.objects.filter(Q(pk__in=tickets) | Q(pk__in=visits) | Q(pk__in=units))
        .select_related("parent", "account_manager")
        .order_by("code")
    )


# --- the figures -----------------------------------------------------------------------------


def _promise(clock: Clock) -> Promise:
    outcome = clock.outcome
    return Promise(
        milestone=clock.milestone,
        milestone_label=str(Milestone(clock.milestone).label),
        outcome=outcome,
        outcome_label=str(Outcome(outcome).label),
        started_at=clock.started_at,
        due_at=clock.due_at,
        met_at=clock.met_at,
        minutes_late=clock.minutes_late,
        late_notice_at=clock.late_notice_at,
    )


def _tickets(ids: list[int], first: datetime, after: datetime) -> tuple[list[TicketRow], list[Promise]]:
    tickets = list(
        Ticket.objects.filter(customer_id__in=ids, reported_at__gte=first, reported_at__lt=after)
        .select_related("customer", "unit")
        .order_by("reported_at", "id")
    )
    clocks_by_ticket: dict[int, list[Clock]] = {}
    if tickets:
        clocks = Clock.objects.filter(
            subject_type=TICKET_SUBJECT_TYPE, subject_id__in=[ticket.pk for ticket in tickets]
        ).order_by("started_at", "id")
        for clock in clocks:
            if clock.outcome == Outcome.CANCELLED:
                continue
            clocks_by_ticket.setdefault(clock.subject_id, []).append(clock)
    rows, promises = [], []
    for ticket in tickets:
        ticket_promises = tuple(_promise(clock) for clock in clocks_by_ticket.get(ticket.pk, []))
        promises.extend(ticket_promises)
        rows.append(
            TicketRow(
                number=ticket.number,
                title=ticket.title,
                kind_label=ticket.get_kind_display(),
                severity_label=ticket.get_severity_display() if ticket.severity else "",
                status_label=ticket.get_status_display(),
                organisation=ticket.customer.name,
                unit_serial=ticket.unit.serial if ticket.unit else "",
                reported_at=ticket.reported_at,
                resolved_at=ticket.resolved_at,
                promises=ticket_promises,
            )
        )
    return rows, promises


def _follow_ups(ids: list[int], first: datetime, after: datetime) -> list[FollowUpRow]:
    follow_ups = (
        FollowUp.objects.filter(ticket__customer_id__in=ids, created_at__gte=first, created_at__lt=after)
        .select_related("ticket")
        .order_by("created_at", "id")
    )
    return [
        FollowUpRow(
            ticket_number=follow_up.ticket.number,
            recorded_at=follow_up.created_at,
            is_fixed=follow_up.is_fixed,
            satisfaction=follow_up.satisfaction,
            comment=follow_up.comment,
        )
        for follow_up in follow_ups
    ]


def _visits(ids: list[int], first: datetime, after: datetime) -> tuple[list[VisitRow], list[PartRow]]:
    from aftersales.inspections.models import ChecklistResult
    from aftersales.visits.models import ReportPart, ServiceReport, Visit

    visits = list(
        Visit.objects.filter(customer_id__in=ids)
        .exclude(status=Visit.Status.CANCELLED)
        .filter(
            Q(completed_at__gte=first, completed_at__lt=after)
            | Q(completed_at__isnull=True, planned_start__gte=first, planned_start__lt=after)
        )
        .select_related("customer", "ticket", "report")
        .prefetch_related(
            Prefetch("units", queryset=Unit.objects.only("id", "serial").order_by("serial")),
            Prefetch(
                "checklist_results",
                queryset=ChecklistResult.objects.select_related("unit").order_by("id"),
            ),
        )
        .order_by("planned_start", "id")
    )
    reports = {visit.pk: _report_of(visit, ServiceReport) for visit in visits}
    report_ids = [report.pk for report in reports.values() if report is not None]
    parts_by_report: dict[int, list[ReportPart]] = {}
    if report_ids:
        for part in ReportPart.objects.filter(report_id__in=report_ids).select_related("unit").order_by("id"):
            parts_by_report.setdefault(part.report_id, []).append(part)
    rows, parts = [], []
    for visit in visits:
        report = reports[visit.pk]
        on = local_date(visit.completed_at or visit.planned_start)
        checklist = tuple(
            ChecklistRow(
                section_label=result.get_section_display(),
                label=result.label,
                unit_serial=result.unit.serial if result.unit else "",
                outcome=result.outcome,
                outcome_label=result.get_outcome_display(),
                note=result.note,
            )
            for result in visit.checklist_results.all()
        )
        rows.append(
            VisitRow(
                number=visit.number,
                kind=visit.kind,
                kind_label=visit.get_kind_display(),
                status=visit.status,
                status_label=visit.get_status_display(),
                organisation=visit.customer.name,
                ticket_number=visit.ticket.number if visit.ticket else "",
                on=on,
                units=tuple(unit.serial for unit in visit.units.all()),
                findings=report.findings if report else "",
                work_done=report.work_done if report else "",
                checklist=checklist,
            )
        )
        for part in parts_by_report.get(report.pk if report else -1, []):
            parts.append(
                PartRow(
                    on=on,
                    unit_serial=part.unit.serial,
                    name=part.name,
                    part_number=part.part_number,
                    serial_out=part.serial_out,
                    serial_in=part.serial_in,
                    source=visit.number,
                )
            )
    return rows, parts


def _report_of(visit, report_model):
    try:
        return visit.report
    except report_model.DoesNotExist:
        return None


def _replaced_parts(ids: list[int], start: date, end: date) -> list[PartRow]:
    parts = (
        UnitPart.objects.filter(
            unit__customer_id__in=ids, replaces__isnull=False, fitted_on__gte=start, fitted_on__lte=end
        )
        .select_related("unit", "replaces")
        .order_by("fitted_on", "id")
    )
    return [
        PartRow(
            on=part.fitted_on,
            unit_serial=part.unit.serial,
            name=part.name,
            part_number=part.part_number,
            serial_out=part.replaces.serial,
            serial_in=part.serial,
            source="",
        )
        for part in parts
    ]


def _merge_parts(recorded: list[PartRow], reported: list[PartRow]) -> list[PartRow]:
    """The installed base's replacements, plus report lines it does not show (same unit and serial)."""
    known = {(part.unit_serial, part.serial_in) for part in recorded if part.serial_in}
    merged = list(recorded)
    for part in reported:
        if part.serial_in and (part.unit_serial, part.serial_in) in known:
            continue
        merged.append(part)
    return sorted(merged, key=lambda part: (part.on or date.min, part.unit_serial, part.serial_in))


def _units(ids: list[int], start: date, end: date) -> list[UnitRow]:
    units = units_for_entitlement(
        Unit.objects.filter(customer_id__in=ids, shipped_on__lte=end).order_by("customer__name", "serial")
    )
    rows = []
    for unit in units:
        verdict = entitlement_for(unit, on=end)
        ends = [d for d in (verdict.hardware_warranty_ends_on, verdict.software_warranty_ends_on) if d]
        rows.append(
            UnitRow(
                serial=unit.serial,
                model=unit.product_model.name,
                organisation=unit.customer.name,
                site=str(unit.site) if unit.site else "",
                in_service=unit.is_active,
                hardware_warranty_ends_on=verdict.hardware_warranty_ends_on,
                software_warranty_ends_on=verdict.software_warranty_ends_on,
                warranty_ended_in_period=bool(ends) and start <= max(ends) < end,
                verdict=verdict.verdict,
                verdict_label=verdict.label,
                reason=verdict.reason,
                contract_number=verdict.contract.number if verdict.contract else "",
            )
        )
    return rows


def _contracts(ids: list[int], start: date, end: date) -> list[ContractRow]:
    contracts = (
        Contract.objects.filter(customer_id__in=ids, starts_on__lte=end, ends_on__gte=start)
        .select_related("customer")
        .annotate(unit_count=Count("units"))
        .order_by("starts_on", "number")
    )
    return [
        ContractRow(
            number=contract.number,
            kind_label=contract.get_kind_display(),
            organisation=contract.customer.name,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            units=contract.unit_count,
            running_at_end=contract.is_active_on(end),
        )
        for contract in contracts
    ]


def _by_milestone(promises: list[Promise]) -> tuple[MilestoneTally, ...]:
    counts: dict[str, Counter] = {}
    for promise in promises:
        counts.setdefault(promise.milestone, Counter())[promise.outcome] += 1
    order = list(Milestone.values)
    return tuple(
        MilestoneTally(
            milestone=milestone,
            label=str(Milestone(milestone).label),
            kept=tally[Outcome.KEPT],
            late_with_notice=tally[Outcome.LATE_WITH_NOTICE],
            broken=tally[Outcome.BROKEN],
            running=tally[Outcome.OPEN],
        )
        for milestone, tally in sorted(counts.items(), key=lambda item: order.index(item[0]))
    )


def _headline(tickets, promises, follow_ups, visits, parts, units, contracts) -> Headline:
    outcomes = Counter(promise.outcome for promise in promises)
    decided = sum(outcomes[outcome] for outcome in DECIDED)
    late = [promise.minutes_late for promise in promises if (promise.minutes_late or 0) > 0]
    scores = [row.satisfaction for row in follow_ups if row.satisfaction is not None]
    kinds = Counter(row.kind_label for row in tickets)
    checklist = Counter(item.outcome for visit in visits for item in visit.checklist)
    verdicts = Counter(unit.verdict for unit in units if unit.in_service)
    return Headline(
        tickets=len(tickets),
        tickets_by_kind=tuple(sorted(kinds.items(), key=lambda item: (-item[1], item[0]))),
        tickets_resolved=sum(1 for row in tickets if row.resolved_at is not None),
        promises_decided=decided,
        promises_kept=outcomes[Outcome.KEPT],
        promises_late_with_notice=outcomes[Outcome.LATE_WITH_NOTICE],
        promises_broken=outcomes[Outcome.BROKEN],
        promises_running=outcomes[Outcome.OPEN],
        kept_percent=round(100 * outcomes[Outcome.KEPT] / decided, 1) if decided else None,
        average_minutes_late_of_late=round(sum(late) / len(late), 1) if late else None,
        by_milestone=_by_milestone(promises),
        follow_ups=len(follow_ups),
        satisfaction_rated=len(scores),
        satisfaction_average=round(sum(scores) / len(scores), 2) if scores else None,
        satisfaction_counts=tuple(scores.count(score) for score in range(1, 6)),
        fixed_at_follow_up=sum(1 for row in follow_ups if row.is_fixed),
        visits=len(visits),
        visits_completed=sum(1 for visit in visits if visit.status == "completed"),
        inspections=sum(1 for visit in visits if visit.is_inspection),
        checklist_ok=checklist["ok"],
        checklist_attention=checklist["attention"],
        checklist_fault=checklist["fault"],
        parts_replaced=len(parts),
        units=len(units),
        units_in_service=sum(1 for unit in units if unit.in_service),
        units_in_warranty=verdicts[IN_WARRANTY],
        units_under_contract=verdicts[UNDER_CONTRACT],
        units_chargeable=verdicts[CHARGEABLE],
        warranties_ended_in_period=sum(1 for unit in units if unit.warranty_ended_in_period),
        contracts_running_at_end=sum(1 for contract in contracts if contract.running_at_end),
    )


def year_end_figures(
    customer: Customer, *, start: date, end: date, include_branches: bool | None = None
) -> YearEndFigures:
    """The whole report of ``customer`` for ``start``…``end`` (local dates, both included).

    ``include_branches`` defaults to True for a head office (a branch has none). Queries:
    at most 13, whatever the number of tickets, visits or units.
    """
    check_period(start, end)
    if include_branches is None:
        include_branches = customer.parent_id is None
    organisations = organisations_of(customer, include_branches=include_branches)
    ids = [organisation.pk for organisation in organisations]
    first, after = _moments(start, end)
    tickets, promises = _tickets(ids, first, after)
    follow_ups = _follow_ups(ids, first, after)
    visits, reported_parts = _visits(ids, first, after)
    parts = _merge_parts(_replaced_parts(ids, start, end), reported_parts)
    units = _units(ids, start, end)
    contracts = _contracts(ids, start, end)
    notes = []
    if include_branches and len(organisations) > 1:
        notes.append(
            _("This report includes the branches: %(branches)s.")
            % {"branches": ", ".join(organisation.name for organisation in organisations[1:])}
        )
    return YearEndFigures(
        customer_id=customer.pk,
        customer_code=customer.code,
        customer_name=customer.name,
        organisations=tuple(organisation.name for organisation in organisations),
        include_branches=include_branches and len(organisations) > 1,
        start=start,
        end=end,
        headline=_headline(tickets, promises, follow_ups, visits, parts, units, contracts),
        tickets=tuple(tickets),
        follow_ups=tuple(follow_ups),
        visits=tuple(visits),
        parts=tuple(parts),
        units=tuple(units),
        contracts=tuple(contracts),
        notes=tuple(notes),
    )
