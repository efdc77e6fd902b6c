"""Figures of the leadership overview: open work, promises at risk, compliance, levels, satisfaction.

Every figure is one aggregate query (``GROUP BY`` with conditional counts) so
the overview costs the same at a thousand tickets as at a million; Python only
reshapes the handful of grouped rows the database returns.

Which period a promise belongs to: the one in which its clock started (the
moment the promise was made), in the business time zone. Only promises with a
target count for compliance ("measured, no target" clocks promise nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Avg, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.backends import PERMISSION_APP
from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability
from aftersales.commitments.models import Clock, Milestone, Outcome
from aftersales.core.business_time import local_date, start_of_local_day
from aftersales.customers.queries import customer_scope_for_user
from aftersales.tickets.models import OPEN_STATUSES, FollowUp, Level, Severity, Status, Ticket
from aftersales.tickets.queries import tickets_visible_to

OPEN_CLOCK_STATUSES = (Clock.Status.RUNNING, Clock.Status.PAUSED)
LIST_LIMIT = 20


# --- the period ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month and its year, in the business time zone."""

    year: int
    month: int

    @classmethod
    def containing(cls, moment: datetime) -> Period:
        day = local_date(moment)
        return cls(year=day.year, month=day.month)

    @property
    def month_start(self) -> datetime:
        return start_of_local_day(date(self.year, self.month, 1))

    @property
    def month_end(self) -> datetime:
        """The first moment after the month (an exclusive bound)."""
        if self.month == 12:
            return start_of_local_day(date(self.year + 1, 1, 1))
        return start_of_local_day(date(self.year, self.month + 1, 1))

    @property
    def year_start(self) -> datetime:
        return start_of_local_day(date(self.year, 1, 1))

    @property
    def year_end(self) -> datetime:
        return start_of_local_day(date(self.year + 1, 1, 1))

    @property
    def month_label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def year_label(self) -> str:
        return str(self.year)


# --- who sees what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """The part of the service a reader's figures cover.

    Leadership, managers and administrators see every ticket and so every
    figure; a centre lead sees the figures of their own centre, with the same
    rule as the ticket queue (``tickets_visible_to``).
    """

    sees_everything: bool
    tickets: QuerySet[Ticket]
    clocks: QuerySet[Clock]

    def follow_ups(self) -> QuerySet[FollowUp]:
        follow_ups = FollowUp.objects.all()
        return follow_ups if self.sees_everything else follow_ups.filter(ticket__in=self.tickets)


def report_scope_for(user: User) -> ReportScope:
    """The tickets and clocks ``user``'s overview counts (one rule, used by the page and the export)."""
    tickets = tickets_visible_to(user)
    if user.has_perm(f"{PERMISSION_APP}.{Capability.VIEW_ALL_TICKETS}"):
        return ReportScope(sees_everything=True, tickets=tickets, clocks=Clock.objects.all())
    if user.centre_id is not None and user.has_perm(f"{PERMISSION_APP}.{Capability.VIEW_CENTRE_TICKETS}"):
        clocks = Clock.objects.filter(centre_id=user.centre_id)
    else:
        clocks = Clock.objects.filter(customer__in=customer_scope_for_user(user))
    return ReportScope(sees_everything=False, tickets=tickets, clocks=clocks)


# --- a promise's outcome, in SQL --------------------------------------------------------------


def clock_outcome() -> Case:
    """``Clock.outcome`` as a database expression, so outcomes can be counted with ``GROUP BY``.

    Kept: met with no breach. Late with notice: breached, but the customer was
    told before the due time and the promise was met by the new date (or is
    still running towards it). Broken: any other breach. Keep in step with
    ``Clock.outcome`` (a test compares the two on every case).
    """
    told_in_time = Q(late_notice_at__isnull=False, late_notice_at__lte=F("due_at"))
    met_by_new_date = Q(met_at__isnull=True) | Q(met_at__lte=F("promised_new_at"))
    return Case(
        When(breached_at__isnull=True, status=Clock.Status.CANCELLED, then=Value(Outcome.CANCELLED.value)),
        When(breached_at__isnull=True, status=Clock.Status.MET, then=Value(Outcome.KEPT.value)),
        When(breached_at__isnull=True, then=Value(Outcome.OPEN.value)),
        When(told_in_time & met_by_new_date, then=Value(Outcome.LATE_WITH_NOTICE.value)),
        default=Value(Outcome.BROKEN.value),
    )


# --- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Kept / late with notice / broken promises of one group in one period."""

    kept: int = 0
    late_with_notice: int = 0
    broken: int = 0

    @property
    def decided(self) -> int:
        return self.kept + self.late_with_notice + self.broken

    @property
    def kept_percent(self) -> float | None:
        """Share kept on time, in percent; None when nothing was decided (not 0 %: nothing to judge)."""
        return round(100 * self.kept / self.decided, 1) if self.decided else None


@dataclass(frozen=True)
class ComplianceRow:
    """One promise (milestone) of one group (everything, a centre, a customer)."""

    group: str
    milestone: str
    milestone_label: str
    month: Tally
    year: Tally


@dataclass(frozen=True)
class OpenTicketsRow:
    severity: str
    severity_label: str
    by_status: list[int]
    total: int


@dataclass(frozen=True)
class ClockLine:
    """A promise at risk or breached, as the overview lists it."""

    reference: str
    subject_type: str
    milestone_label: str
    due_at: datetime | None
    centre: str
    customer: str


@dataclass(frozen=True)
class LevelRow:
    level: str
    label: str
    month: int
    year: int
    month_percent: float | None
    year_percent: float | None


@dataclass(frozen=True)
class Satisfaction:
    month_average: float | None
    month_count: int
    year_average: float | None
    year_count: int


@dataclass
class Overview:
    """Everything the overview page and its Excel export show, for one reader and period."""

    period: Period
    now: datetime
    open_statuses: list[tuple[str, str]]
    open_tickets: list[OpenTicketsRow]
    at_risk_count: int
    at_risk: list[ClockLine]
    breached_open_count: int
    breached_open: list[ClockLine]
    breaches_this_month: list[tuple[str, int]]
    compliance: list[ComplianceRow]
    compliance_by_centre: list[ComplianceRow]
    compliance_by_customer: list[ComplianceRow]
    levels: list[LevelRow]
    satisfaction: Satisfaction
    notes: list[str] = field(default_factory=list)

    @property
    def open_tickets_total(self) -> int:
        return sum(row.total for row in self.open_tickets)

    @property
    def breaches_this_month_total(self) -> int:
        return sum(count for _label, count in self.breaches_this_month)


# --- the figures -----------------------------------------------------------------------------


def open_tickets_by_severity_and_status(tickets: QuerySet[Ticket]) -> list[OpenTicketsRow]:
    """Open tickets counted by severity (faults; blank for other kinds) and status: one query."""
    counts: dict[tuple[str, str], int] = {}
    grouped = (
        tickets.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values_list("severity", "status")
        .annotate(n=Count("pk"))
    )
    for severity, status, n in grouped:
        counts[(severity, status)] = n
    rows = []
    for severity, label in [*Severity.choices, ("", _("No severity (not a fault)"))]:
        by_status = [counts.get((severity, status), 0) for status in OPEN_STATUSES]
        rows.append(OpenTicketsRow(severity, str(label), by_status, sum(by_status)))
    return rows


def _clock_lines(clocks: QuerySet[Clock], limit: int) -> list[ClockLine]:
    labels = dict(Milestone.choices)
    rows = clocks.order_by("due_at", "pk").values_list(
        "reference", "subject_type", "milestone", "due_at", "centre__name", "customer__name"
    )[:limit]
    return [
        ClockLine(
            reference, subject_type, str(labels.get(milestone, milestone)), due_at, centre or "", customer
        )
        for reference, subject_type, milestone, due_at, centre, customer in rows
    ]


def clocks_at_risk(clocks: QuerySet[Clock], *, now: datetime) -> QuerySet[Clock]:
    """Running promises past their warning time, not yet due: the ones someone can still save."""
    return clocks.filter(
        status=Clock.Status.RUNNING, breached_at__isnull=True, warn_at__lte=now, due_at__gt=now
    )


def clocks_breached_open(clocks: QuerySet[Clock], *, now: datetime) -> QuerySet[Clock]:
    """Promises still unmet after their due time: breached, or running past due before the sweep saw it.

    A paused clock's due time moves on when it resumes, so a paused clock counts
    only once it was actually breached.
    """
    running_past_due = Q(status=Clock.Status.RUNNING, due_at__lte=now)
    return clocks.filter(status__in=OPEN_CLOCK_STATUSES).filter(
        Q(breached_at__isnull=False) | running_past_due
    )


def breaches_by_milestone(
    clocks: QuerySet[Clock], *, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    """Promises that breached in ``[start, end)``, per milestone, in the order of ``Milestone``."""
    counts = dict(
        clocks.filter(breached_at__gte=start, breached_at__lt=end)
        .order_by()
        .values_list("milestone")
        .annotate(n=Count("pk"))
    )
    return [(str(label), counts[value]) for value, label in Milestone.choices if value in counts]


_GROUPS = {
    None: (),
    "centre": ("centre__name",),
    "customer": ("customer__name", "customer__code"),
}


def compliance(clocks: QuerySet[Clock], *, period: Period, by: str | None = None) -> list[ComplianceRow]:
    """Kept / late with notice / broken per promise, for the month and the year: one query.

    ``by`` groups the rows by ``"centre"`` or ``"customer"`` as well; without it
    there is one row per promise. Rows come sorted by group, then promise in the
    order of ``Milestone``; promises with nothing decided in the year are left out.
    """
    group_fields = _GROUPS[by]
    in_month = Q(started_at__gte=period.month_start, started_at__lt=period.month_end)
    kept = Q(outcome=Outcome.KEPT)
    late = Q(outcome=Outcome.LATE_WITH_NOTICE)
    broken = Q(outcome=Outcome.BROKEN)
    grouped = (
        clocks.filter(started_at__gte=period.year_start, started_at__lt=period.year_end, due_at__isnull=False)
        .annotate(outcome=clock_outcome())
        .filter(outcome__in=(Outcome.KEPT, Outcome.LATE_WITH_NOTICE, Outcome.BROKEN))
        .order_by()
        .values(*group_fields, "milestone")
        .annotate(
            month_kept=Count("pk", filter=kept & in_month),
            month_late=Count("pk", filter=late & in_month),
            month_broken=Count("pk", filter=broken & in_month),
            year_kept=Count("pk", filter=kept),
            year_late=Count("pk", filter=late),
            year_broken=Count("pk", filter=broken),
        )
    )
    order = {value: index for index, (value, _label) in enumerate(Milestone.choices)}
    labels = dict(Milestone.choices)
    rows = []
    for values in grouped:
        if by == "centre":
            group = values["centre__name"] or _("No centre")
        elif by == "customer":
            group = values["customer__name"]
        else:
            group = ""
        rows.append(
            ComplianceRow(
                group=group,
                milestone=values["milestone"],
                milestone_label=str(labels.get(values["milestone"], values["milestone"])),
                month=Tally(values["month_kept"], values["month_late"], values["month_broken"]),
                year=Tally(values["year_kept"], values["year_late"], values["year_broken"]),
            )
        )
    rows.sort(key=lambda row: (row.group, order.get(row.milestone, len(order))))
    return rows


def solved_by_level(tickets: QuerySet[Ticket], *, period: Period) -> list[LevelRow]:
    """Tickets resolved in the month and the year by the service level that solved them: one query.

    L1 hotline guidance, L2 remote, L3 on site (the letter's three levels);
    cancelled tickets and tickets resolved without a level are left out.
    """
    in_month = Q(resolved_at__gte=period.month_start, resolved_at__lt=period.month_end)
    grouped = {
        level: (month, year)
        for level, month, year in tickets.filter(
            resolved_at__gte=period.year_start, resolved_at__lt=period.year_end
        )
        .exclude(status=Status.CANCELLED)
        .exclude(level_reached="")
        .order_by()
        .values_list("level_reached")
        .annotate(month=Count("pk", filter=in_month), year=Count("pk"))
    }
    month_total = sum(month for month, _year in grouped.values())
    year_total = sum(year for _month, year in grouped.values())
    rows = []
    for level, label in Level.choices:
        month, year = grouped.get(level, (0, 0))
        rows.append(
            LevelRow(
                level=level,
                label=str(label),
                month=month,
                year=year,
                month_percent=round(100 * month / month_total, 1) if month_total else None,
                year_percent=round(100 * year / year_total, 1) if year_total else None,
            )
        )
    return rows


def satisfaction(follow_ups: QuerySet[FollowUp], *, period: Period) -> Satisfaction:
    """Average satisfaction (1–5) of the follow-ups recorded in the month and the year: one query."""
    in_month = Q(created_at__gte=period.month_start, created_at__lt=period.month_end)
    figures = follow_ups.filter(
        satisfaction__isnull=False, created_at__gte=period.year_start, created_at__lt=period.year_end
    ).aggregate(
        month_average=Avg("satisfaction", filter=in_month),
        month_count=Count("pk", filter=in_month),
        year_average=Avg("satisfaction"),
        year_count=Count("pk"),
    )

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(float(value), 2)

    return Satisfaction(
        month_average=rounded(figures["month_average"]),
        month_count=figures["month_count"],
        year_average=rounded(figures["year_average"]),
        year_count=figures["year_count"],
    )


def overview_for(user: User, *, period: Period, now: datetime | None = None) -> Overview:
    """The whole overview for one reader: a fixed number of aggregate queries, whatever the volume."""
    now = now or timezone.now()
    scope = report_scope_for(user)
    at_risk = clocks_at_risk(scope.clocks, now=now)
    breached = clocks_breached_open(scope.clocks, now=now)
    notes = []
    if not scope.sees_everything:
        notes.append(_("These figures cover only the tickets and promises you may see."))
    return Overview(
        period=period,
        now=now,
        open_statuses=[(status, str(Status(status).label)) for status in OPEN_STATUSES],
        open_tickets=open_tickets_by_severity_and_status(scope.tickets),
        at_risk_count=at_risk.count(),
        at_risk=_clock_lines(at_risk, LIST_LIMIT),
        breached_open_count=breached.count(),
        breached_open=_clock_lines(breached, LIST_LIMIT),
        breaches_this_month=breaches_by_milestone(
            scope.clocks, start=period.month_start, end=period.month_end
        ),
        compliance=compliance(scope.clocks, period=period),
        compliance_by_centre=compliance(scope.clocks, period=period, by="centre"),
        compliance_by_customer=compliance(scope.clocks, period=period, by="customer"),
        levels=solved_by_level(scope.tickets, period=period),
        satisfaction=satisfaction(scope.follow_ups(), period=period),
        notes=notes,
    )
