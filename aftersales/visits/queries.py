"""Reads of visits: the dispatcher's board, the engineer's day, billable quantities, the portal's list.

Visits a user may not see are fetched through ``get_visible_visit`` (staff) and
``get_portal_visit`` (customer users), which raise ``Visit.DoesNotExist`` — a 404, never a 403.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.roles import Capability, Role
from aftersales.commitments.models import Clock, Milestone
from aftersales.core.business_time import end_of_local_day, local_date, start_of_local_day
from aftersales.customers.queries import customer_scope_for_user
from aftersales.tickets.models import Ticket
from aftersales.tickets.queries import tickets_visible_to
from aftersales.tickets.services import SUBJECT_TYPE as TICKET_SUBJECT
from aftersales.visits.models import ServiceReport, TravelZone, Visit, VisitEngineer, VisitKind

OPEN = (
    Visit.Status.PLANNED,
    Visit.Status.ACCEPTED,
    Visit.Status.ON_THE_WAY,
    Visit.Status.ON_SITE,
    Visit.Status.LEFT,
)
INSPECTION_KINDS = (VisitKind.INSPECTION, VisitKind.PERIODIC_CONTACT)
JOB_KINDS = (VisitKind.INSTALLATION, VisitKind.TRAINING, VisitKind.MIGRATION)
ONSITE_MILESTONES = (Milestone.ONSITE_LOCAL, Milestone.ONSITE_RND)


# --- overdue ---------------------------------------------------------------------------------------


def is_overdue(visit: Visit, today: date) -> bool:
    """An open visit whose "to be done by" day has passed."""
    return visit.is_open and visit.due_on is not None and visit.due_on < today


def with_overdue(visits: QuerySet[Visit], today: date) -> QuerySet[Visit]:
    """``visits`` annotated with ``overdue`` (the database's answer to ``is_overdue``)."""
    return visits.annotate(
        overdue=Case(
            When(Q(status__in=OPEN, due_on__lt=today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def _crew() -> Prefetch:
    return Prefetch("crew", queryset=VisitEngineer.objects.select_related("engineer").order_by("id"))


def for_lists(visits: QuerySet[Visit], today: date) -> QuerySet[Visit]:
    """What every list of visits shows: the ticket, customer, site, crew, and whether it is overdue."""
    return with_overdue(
        visits.select_related("ticket", "customer", "site", "centre", "report").prefetch_related(_crew()),
        today,
    )


# --- who sees which visit ----------------------------------------------------------------------------


def visits_visible_to(user: User) -> QuerySet[Visit]:
    """Staff see the visits of the tickets they see, their centre's visits and their own; customer users
    their organisation's (a head office also its branches')."""
    visits = Visit.objects.all()
    if not user.is_authenticated or not user.is_active:
        return visits.none()
    if user.is_customer_user:
        return visits.filter(customer__in=customer_scope_for_user(user))
    if user.has_perm(f"aftersales.{Capability.VIEW_ALL_TICKETS}"):
        return visits
    scope = Q(crew__engineer=user) | Q(ticket__in=tickets_visible_to(user))
    if user.centre_id is not None:
        scope |= Q(centre_id=user.centre_id)
    return visits.filter(pk__in=Visit.objects.filter(scope).values("pk"))


def get_visible_visit(user: User, number: str) -> Visit:
    """The visit by number if a staff ``user`` may see it (``Visit.DoesNotExist`` otherwise)."""
    if user.is_customer_user:
        raise Visit.DoesNotExist
    return (
        visits_visible_to(user)
        .select_related("ticket", "customer", "site", "centre", "onsite_contact", "dispatched_by")
        .prefetch_related(_crew())
        .get(number=number)
    )


def get_portal_visit(user: User, number: str) -> Visit:
    """The visit by number if it is the customer user's organisation's (``Visit.DoesNotExist`` otherwise)."""
    if not user.is_customer_user:
        raise Visit.DoesNotExist
    return (
        visits_visible_to(user)
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("ticket", "customer", "site", "onsite_contact")
        .prefetch_related(_crew())
        .get(number=number)
    )


def portal_visits(user: User, today: date) -> QuerySet[Visit]:
    """The organisation's visits, newest first (cancelled ones are not the customer's business)."""
    return for_lists(
        visits_visible_to(user).exclude(status=Visit.Status.CANCELLED)
        if user.is_customer_user
        else Visit.objects.none(),
        today,
    ).order_by("-planned_start")


def ticket_visits(ticket: Ticket, today: date) -> list[Visit]:
    return list(for_lists(ticket.visits.all(), today).order_by("planned_start"))


def board_visits(user: User, today: date, *, centre: ServiceCentre | None = None) -> QuerySet[Visit]:
    """Open visits for the dispatcher's board, earliest first; a centre's only when one is given."""
    visits = visits_visible_to(user).filter(status__in=OPEN)
    if centre is not None:
        visits = visits.filter(centre=centre)
    return for_lists(visits, today).order_by("planned_start")


def my_visits(user: User, today: date) -> list[Visit]:
    """The engineer's open visits and today's, each with the engineer's own slot as ``mine``."""
    slots = (
        VisitEngineer.objects.filter(engineer=user)
        .filter(Q(visit__status__in=OPEN) | Q(visit__planned_start__gte=start_of_local_day(today)))
        .values("visit_id")
    )
    visits = list(for_lists(Visit.objects.filter(pk__in=slots), today).order_by("planned_start"))
    for visit in visits:
        visit.mine = next((slot for slot in visit.crew.all() if slot.engineer_id == user.pk), None)
    return visits


# --- the dispatcher's view of engineers and clocks ---------------------------------------------------


@dataclass
class EngineerDay:
    """One engineer on the board: on duty now, and what they already have that day."""

    engineer: User
    is_on_duty: bool
    visits: list[Visit] = field(default_factory=list)

    @property
    def is_free(self) -> bool:
        return not self.visits


def engineer_days(*, centre: ServiceCentre | None, day: date, now: datetime) -> list[EngineerDay]:
    """The engineers of ``centre`` (and the R&D engineers), whether on duty at ``now`` from the roster,
    and their open visits planned on ``day``: three queries whatever the number of engineers."""
    people = Q(role=Role.RND)
    if centre is not None:
        people |= Q(centre=centre, role__in=(Role.ENGINEER, Role.LEAD))
    engineers = list(User.objects.filter(people, is_active=True).order_by("role", "username"))
    on_duty = set(
        User.objects.filter(
            pk__in=[e.pk for e in engineers], shifts__starts_at__lte=now, shifts__ends_at__gt=now
        ).values_list("pk", flat=True)
    )
    rows = {e.pk: EngineerDay(engineer=e, is_on_duty=e.pk in on_duty) for e in engineers}
    slots = VisitEngineer.objects.filter(
        engineer_id__in=rows,
        visit__status__in=OPEN,
        visit__planned_start__gte=start_of_local_day(day),
        visit__planned_start__lte=end_of_local_day(day),
    ).select_related("visit__customer", "visit__site")
    for slot in slots.order_by("visit__planned_start"):
        rows[slot.engineer_id].visits.append(slot.visit)
    return list(rows.values())


@dataclass(frozen=True)
class ClockRow:
    """One on-site promise of a ticket as the dispatcher sees it."""

    label: str
    due_at: datetime | None
    met_at: datetime | None
    minutes_left: int | None
    minutes_late: int | None
    is_met: bool


def onsite_clocks(ticket: Ticket, *, now: datetime | None = None) -> list[ClockRow]:
    """The ticket's on-site clocks: time left while running, minutes late once breached or met late."""
    now = now or timezone.now()
    rows = []
    clocks = Clock.objects.filter(
        subject_type=TICKET_SUBJECT, subject_id=ticket.pk, milestone__in=ONSITE_MILESTONES
    ).order_by("milestone", "started_at")
    for clock in clocks:
        if clock.status == Clock.Status.CANCELLED:
            continue
        end = clock.met_at or now
        left = late = None
        if clock.due_at is not None:
            delta = (clock.due_at - end).total_seconds() / 60
            if delta >= 0:
                left = None if clock.met_at else math.floor(delta)
            else:
                late = math.ceil(-delta)
        rows.append(
            ClockRow(
                label=str(clock.get_milestone_display()),
                due_at=clock.due_at,
                met_at=clock.met_at,
                minutes_left=left,
                minutes_late=late,
                is_met=clock.met_at is not None,
            )
        )
    return rows


def minutes_late(visit: Visit, slot: VisitEngineer) -> int | None:
    """How late this engineer's arrival was against the ticket's on-site promise of their kind."""
    if visit.ticket_id is None or slot.arrived_at is None:
        return None
    milestone = Milestone.ONSITE_RND if slot.is_rnd else Milestone.ONSITE_LOCAL
    clock = (
        Clock.objects.filter(subject_type=TICKET_SUBJECT, subject_id=visit.ticket_id, milestone=milestone)
        .exclude(due_at=None)
        .order_by("started_at")
        .first()
    )
    if clock is None or slot.arrived_at <= clock.due_at:
        return None
    return math.ceil((slot.arrived_at - clock.due_at).total_seconds() / 60)


# --- what the fee schedule prices --------------------------------------------------------------------


def _half_hours_up(hours: Decimal) -> Decimal:
    return Decimal(math.ceil(hours * 2)) / 2


def billable_lines(visit: Visit) -> list[dict]:
    """The visit's billable quantities by fee item code (the fees area prices them):
    ``onsite_visit`` (``inspection_visit`` for inspections), ``onsite_hour`` (arrival to leave,
    rounded up to half an hour), ``travel_covered``/``travel_elsewhere``, ``part:<number>``."""
    inspection = visit.kind in INSPECTION_KINDS
    lines = [
        {
            "code": "inspection_visit" if inspection else "onsite_visit",
            "quantity": Decimal(1),
            "description": str(visit.get_kind_display()),
        }
    ]
    if visit.hours_on_site:
        lines.append(
            {
                "code": "onsite_hour",
                "quantity": _half_hours_up(visit.hours_on_site),
                "description": str(Visit._meta.get_field("hours_on_site").verbose_name),
            }
        )
    if visit.kind != VisitKind.PERIODIC_CONTACT:
        lines.append(
            {
                "code": f"travel_{visit.travel_zone}",
                "quantity": Decimal(1),
                "description": str(TravelZone(visit.travel_zone).label),
            }
        )
    report = report_of(visit)
    if report is not None:
        parts: dict[str, dict] = {}
        for part in report.parts.all():
            code = f"part:{part.part_number or part.name}"
            line = parts.setdefault(code, {"code": code, "quantity": Decimal(0), "description": part.name})
            line["quantity"] += 1
        lines += parts.values()
    return lines


def report_of(visit: Visit) -> ServiceReport | None:
    """The visit's service report, or None before one is written."""
    try:
        return visit.report
    except ServiceReport.DoesNotExist:
        return None


def today_local(now: datetime | None = None) -> date:
    return local_date(now or timezone.now())
