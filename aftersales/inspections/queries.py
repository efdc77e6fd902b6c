"""Reads of inspections: the board (upcoming, due, overdue, done), plans, checklists, the report.

A visit is **overdue** when it is due before today (``due_on``, Asia/Shanghai) and still open:
neither completed nor cancelled, and its checklist not completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.accounts.models import User
from aftersales.core.business_time import local_date
from aftersales.customers.queries import customer_scope_for_user
from aftersales.inspections.models import ChecklistResult, ChecklistTemplate, InspectionPlan, VisitChecklist
from aftersales.visits.models import Visit, VisitEngineer, VisitKind

INSPECTION_KINDS = (VisitKind.INSPECTION, VisitKind.PERIODIC_CONTACT)
BOARD_STATES = ("upcoming", "due", "overdue", "done")
DUE_SOON_DAYS = 7
BOARD_LIMIT = 200


def _closed() -> Q:
    return Q(status__in=(Visit.Status.COMPLETED, Visit.Status.CANCELLED)) | Q(
        checklist__completed_at__isnull=False
    )


def inspection_visits() -> QuerySet[Visit]:
    return Visit.objects.filter(kind__in=INSPECTION_KINDS)


def overdue_visits(*, today: date) -> QuerySet[Visit]:
    """Open inspection and periodic-contact visits due before ``today``."""
    return inspection_visits().filter(due_on__lt=today).exclude(_closed())


def visit_state(visit: Visit, *, today: date) -> str:
    """upcoming, due (within a week), overdue, done or cancelled, for a visit with its checklist loaded."""
    checklist = getattr(visit, "checklist", None) if hasattr(visit, "checklist") else None
    if visit.status == Visit.Status.CANCELLED:
        return "cancelled"
    if visit.status == Visit.Status.COMPLETED or (checklist is not None and checklist.is_completed):
        return "done"
    if visit.due_on and visit.due_on < today:
        return "overdue"
    if visit.due_on and visit.due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due"
    return "upcoming"


def filter_by_state(visits: QuerySet[Visit], state: str, *, today: date) -> QuerySet[Visit]:
    """Visits in one board state; every open one for an empty or unknown state."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    open_visits = visits.exclude(_closed())
    if state == "overdue":
        return open_visits.filter(due_on__lt=today)
    if state == "due":
        return open_visits.filter(due_on__gte=today, due_on__lte=soon)
    if state == "upcoming":
        return open_visits.filter(Q(due_on__gt=soon) | Q(due_on__isnull=True))
    if state == "done":
        return visits.filter(_closed())
    return open_visits


def _with_board_relations(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    return visits.select_related(
        "customer", "site", "centre", "checklist", "plan_occurrence__plan"
    ).prefetch_related(Prefetch("crew", queryset=VisitEngineer.objects.select_related("engineer")))


@dataclass(frozen=True)
class BoardRow:
    visit: Visit
    state: str
    engineers: str
    plan_name: str


def inspection_board(
    *,
    state: str = "",
    centre_id: int | None = None,
    customer_id: int | None = None,
    now: datetime | None = None,
) -> tuple[list[BoardRow], dict[str, int]]:
    """Rows of one state (all open ones by default) and the count of every state. Four queries."""
    today = local_date(now or timezone.now())
    visits = inspection_visits().exclude(status=Visit.Status.CANCELLED)
    if centre_id:
        visits = visits.filter(centre_id=centre_id)
    if customer_id:
        visits = visits.filter(customer_id=customer_id)
    soon = today + timedelta(days=DUE_SOON_DAYS)
    counts = visits.aggregate(
        overdue=Count("pk", filter=~_closed() & Q(due_on__lt=today)),
        due=Count("pk", filter=~_closed() & Q(due_on__gte=today, due_on__lte=soon)),
        upcoming=Count("pk", filter=~_closed() & (Q(due_on__gt=soon) | Q(due_on__isnull=True))),
        done=Count("pk", filter=_closed()),
    )
    chosen = filter_by_state(visits, state, today=today)
    order = ["-due_on", "-pk"] if state == "done" else ["due_on", "pk"]
    rows = [
        BoardRow(
            visit=visit,
            state=visit_state(visit, today=today),
            engineers=", ".join(
                slot.engineer.get_full_name() or slot.engineer.username for slot in visit.crew.all()
            ),
            plan_name=visit.plan_occurrence.plan.name if hasattr(visit, "plan_occurrence") else "",
        )
        for visit in _with_board_relations(chosen).order_by(*order)[:BOARD_LIMIT]
    ]
    return rows, counts


def plans_with_counts(*, now: datetime | None = None) -> QuerySet[InspectionPlan]:
    """Plans for the plans page with their open, overdue and done visit counts (one query)."""
    today = local_date(now or timezone.now())
    closed = Q(occurrences__visit__status__in=(Visit.Status.COMPLETED, Visit.Status.CANCELLED)) | Q(
        occurrences__visit__checklist__completed_at__isnull=False
    )
    return (
        InspectionPlan.objects.select_related("customer", "template", "engineer", "centre")
        .annotate(
            overdue_count=Count("occurrences", filter=~closed & Q(occurrences__visit__due_on__lt=today)),
            open_count=Count("occurrences", filter=~closed),
            done_count=Count("occurrences", filter=closed),
        )
        .order_by("customer__name", "name")
    )


def get_plan(plan_id: int) -> InspectionPlan:
    try:
        return InspectionPlan.objects.select_related("customer", "template", "engineer", "centre").get(
            pk=plan_id
        )
    except InspectionPlan.DoesNotExist:
        raise Http404(gettext("No such inspection plan.")) from None


def plan_visits(plan: InspectionPlan) -> QuerySet[Visit]:
    return _with_board_relations(Visit.objects.filter(plan_occurrence__plan=plan)).order_by("due_on", "pk")


def templates_with_counts() -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.annotate(item_count=Count("items", distinct=True)).order_by("name")


def get_template(template_id: int) -> ChecklistTemplate:
    try:
        return ChecklistTemplate.objects.prefetch_related("items").get(pk=template_id)
    except ChecklistTemplate.DoesNotExist:
        raise Http404(gettext("No such checklist template.")) from None


def get_inspection_visit(number: str) -> Visit:
    """A staff member's inspection or periodic-contact visit by number (staff see every customer)."""
    try:
        return (
            inspection_visits()
            .select_related(
                "customer__account_manager", "site", "centre", "onsite_contact", "plan_occurrence__plan"
            )
            .get(number=number)
        )
    except Visit.DoesNotExist:
        raise Http404(gettext("No such inspection visit.")) from None


def checklist_results(visit: Visit) -> list[ChecklistResult]:
    return list(visit.checklist_results.select_related("ticket", "unit").order_by("position", "pk"))


def checklist_of(visit: Visit) -> VisitChecklist | None:
    return VisitChecklist.objects.filter(visit=visit).select_related("completed_by", "template").first()


def customer_inspection_visits(user: User) -> QuerySet[Visit]:
    """The inspection visits of the organisations a user sees (a customer: its own and branches)."""
    return _with_board_relations(
        inspection_visits()
        .filter(customer__in=customer_scope_for_user(user))
        .exclude(status=Visit.Status.CANCELLED)
    ).order_by("-due_on", "-pk")


def get_portal_inspection_visit(user: User, number: str) -> Visit:
    """One of the organisation's inspection visits; anything else is a 404."""
    try:
        return (
            inspection_visits()
            .filter(customer__in=customer_scope_for_user(user))
            .select_related("customer", "site", "centre", "plan_occurrence__plan")
            .get(number=number)
        )
    except Visit.DoesNotExist:
        raise Http404(gettext("No such inspection visit.")) from None


def customer_overdue_count(customer_id: int, *, today: date) -> int:
    """How many of a customer's inspection visits are overdue (for the customer page)."""
    return overdue_visits(today=today).filter(customer_id=customer_id).count()
