"""Reads for the staff console: the queue, its export, the ticket page, the inbox.

Which tickets a person may see is decided in one place,
``tickets.queries.tickets_visible_to``; everything here starts from it.

The queue is the page staff keep open all day, so it is built for speed (see
NOTES): the order is the denormalised ``next_due_at`` (nulls last) then id,
read per status so every read is a short range scan of the ``ticket_queue``
index (status, next_due_at) instead of a sort of every open ticket; pages are
keyset pages; the count is capped; the page's rows come from ``values_list``
with the related names joined in and are formatted here, not in the template.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OnCallShift, ServiceCentre, User
from aftersales.accounts.roles import STAFF_ROLES, Capability, capabilities_of
from aftersales.commitments.models import Clock, CommitmentRule, Milestone, Outcome
from aftersales.core.business_time import add_minutes, local_zone
from aftersales.customers.models import Contact, Customer, normalise_phone
from aftersales.customers.queries import customer_scope_for_user, find_contacts_by_phone
from aftersales.desk import countdown
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.models import (
    OPEN_STATUSES,
    Entitlement,
    FollowUp,
    HandlingReport,
    Kind,
    Level,
    Severity,
    Status,
    Ticket,
    TicketEvent,
)
from aftersales.tickets.queries import current_handling_report, tickets_visible_to
from aftersales.tickets.services import SUBJECT_TYPE
from aftersales.units.entitlement import EntitlementVerdict, entitlement_for
from aftersales.units.models import Unit
from aftersales.units.queries import units_for_entitlement

if TYPE_CHECKING:
    from django.http import QueryDict

QUEUE_PAGE_SIZE = 50
QUEUE_COUNT_CAP = 1000
EXPORT_ROW_LIMIT = 10_000
INBOX_LIMIT = 100
UNREAD_CAP = 99
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"
_CURSOR_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class QueueView(models.TextChoices):
    OPEN = "open", _("All open")
    MINE = "mine", _("My tickets")
    CENTRE = "centre", _("My centre")
    UNASSIGNED = "unassigned", _("Unassigned")
    ON_DUTY = "on_duty", _("On duty now")
    FOLLOW_UP = "follow_up", _("Awaiting follow-up")


class Risk(models.TextChoices):
    ATTENTION = "attention", _("At risk or breached")
    AT_RISK = "at_risk", _("At risk (warning time passed)")
    BREACHED = "breached", _("Breached")


STATUS_ALL = "all"

# Short labels for the dense queue; the model's choices carry the long explanations.
SEVERITY_SHORT = {Severity.SEVERE: _("Severe"), Severity.GENERAL: _("General")}


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows: a view (whose tickets) and the filters of the filter bar."""

    view: str = QueueView.OPEN
    status: str = ""
    kind: str = ""
    severity: str = ""
    centre_id: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    risk: str = ""
    provisional: bool = False

    @property
    def statuses(self) -> tuple[str, ...]:
        """Open tickets unless a status is chosen; "awaiting follow-up" is the resolved ones."""
        if self.status == STATUS_ALL:
            return tuple(Status.values)
        if self.status:
            return (self.status,)
        if self.view == QueueView.FOLLOW_UP:
            return (Status.RESOLVED,)
        return tuple(OPEN_STATUSES)


@dataclass(frozen=True)
class Cursor:
    """Where the next queue page starts: after this (next due, id); ``due_at`` None is the tail."""

    due_at: datetime | None
    ticket_id: int

    def encode(self) -> str:
        due = self.due_at.astimezone(UTC).strftime(_CURSOR_FORMAT) if self.due_at else ""
        return f"{due},{self.ticket_id}"

    @classmethod
    def parse(cls, raw: str | None) -> Cursor | None:
        """The cursor from ``after=<due>,<id>``; anything malformed is the first page."""
        if not raw or "," not in raw:
            return None
        due_text, _sep, id_text = raw.rpartition(",")
        try:
            ticket_id = int(id_text)
            due_at = datetime.strptime(due_text, _CURSOR_FORMAT).replace(tzinfo=UTC) if due_text else None
        except ValueError:
            return None
        return cls(due_at=due_at, ticket_id=ticket_id)


@dataclass
class QueuePage:
    rows: list[dict[str, Any]]
    next_cursor: Cursor | None
    count: int
    count_is_capped: bool

    @property
    def count_label(self) -> str:
        return f"{self.count}+" if self.count_is_capped else str(self.count)


# --- the queue ---------------------------------------------------------------------------------


def _on_duty_centres(user: User, now: datetime) -> QuerySet:
    return OnCallShift.objects.filter(user=user, starts_at__lte=now, ends_at__gt=now).values("centre_id")


def _running_clocks() -> QuerySet[Clock]:
    return Clock.objects.filter(
        subject_type=SUBJECT_TYPE, subject_id=OuterRef("pk"), status=Clock.Status.RUNNING
    )


def _breached(now: datetime) -> Q:
    """A promise was broken, or the nearest one is past due (the sweep may not have run yet)."""
    return Q(has_breach=True) | Q(next_due_at__lte=now)


def _at_risk(now: datetime) -> Q:
    """A running promise whose warning time has passed but which is not yet due, none broken.

    Such a promise is due within the longest warning period of any rule, and the
    ticket's nearest due time is no later: that bound is a range of the queue
    index, so only the few tickets in it are checked against their clocks.
    """
    longest_warning = CommitmentRule.objects.aggregate(longest=Max("warn_before_minutes"))["longest"] or 0
    return Q(
        Exists(_running_clocks().filter(warn_at__lte=now, due_at__gt=now)),
        has_breach=False,
        next_due_at__gt=now,
        next_due_at__lte=add_minutes(now, longest_warning),
    )


def queue_tickets(user: User, filters: QueueFilters, *, now: datetime) -> QuerySet[Ticket]:
    """The visible tickets of the view and filters, any status (callers split by ``filters.statuses``)."""
    tickets = tickets_visible_to(user)
    if filters.view == QueueView.MINE:
        tickets = tickets.filter(assignee=user)
    elif filters.view == QueueView.CENTRE:
        tickets = tickets.filter(centre_id=user.centre_id) if user.centre_id else tickets.none()
    elif filters.view == QueueView.UNASSIGNED:
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.view == QueueView.ON_DUTY:
        tickets = tickets.filter(centre_id__in=_on_duty_centres(user, now))
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.severity:
        tickets = tickets.filter(severity=filters.severity)
    if filters.centre_id:
        tickets = tickets.filter(centre_id=filters.centre_id)
    if filters.assignee_id:
        tickets = tickets.filter(assignee_id=filters.assignee_id)
    if filters.customer_id:
        tickets = tickets.filter(customer_id=filters.customer_id)
    if filters.provisional:
        tickets = tickets.filter(is_provisional=True)
    if filters.risk == Risk.BREACHED:
        tickets = tickets.filter(_breached(now))
    elif filters.risk == Risk.AT_RISK:
        tickets = tickets.filter(_at_risk(now))
    elif filters.risk == Risk.ATTENTION:
        tickets = tickets.filter(_breached(now) | _at_risk(now))
    return tickets


_ID, _DUE = 0, 1
_ROW_FIELDS = (
    "pk",
    "next_due_at",
    "number",
    "title",
    "kind",
    "severity",
    "status",
    "has_breach",
    "is_provisional",
    "customer__name",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "centre__name",
)


def _page_rows(ticket_ids: list[int]) -> list[tuple]:
    """The rows of the page's tickets, in the given order, each with its nearest clock's warning.

    Two queries whatever the page size: the tickets with the names joined, and
    their running clocks (for the warning time and the milestone of the nearest
    due time, which colour and label the countdown).
    """
    if not ticket_ids:
        return []
    tickets = {row[0]: row for row in Ticket.objects.filter(pk__in=ticket_ids).values_list(*_ROW_FIELDS)}
    nearest: dict[int, tuple[datetime, datetime | None, str]] = {}
    clocks = Clock.objects.filter(
        subject_type=SUBJECT_TYPE, subject_id__in=ticket_ids, status=Clock.Status.RUNNING
    ).values_list("subject_id", "due_at", "warn_at", "milestone")
    for subject_id, due_at, warn_at, milestone in clocks:
        if due_at is None:
            continue  # measured without a target: nothing to count down
        if subject_id not in nearest or due_at < nearest[subject_id][0]:
            nearest[subject_id] = (due_at, warn_at, milestone)
    rows = []
    for pk in ticket_ids:
        row = tickets.get(pk)
        if row is None:
            continue  # gone since the keys were read
        clock = nearest.get(pk)
        on_due = clock is not None and clock[0] == row[_DUE]
        rows.append((*row, clock[1] if on_due else None, clock[2] if on_due else ""))
    return rows


def _person_name(username: str | None, first: str | None, last: str | None) -> str:
    if not username:
        return ""
    return f"{first or ''} {last or ''}".strip() or username


def _epoch_ms(moment: datetime | None) -> str:
    """A moment for the browser's countdown ticker: milliseconds since the epoch, or ""."""
    return str(int(moment.timestamp() * 1000)) if moment else ""


def format_local(moment: datetime | None) -> str:
    """A moment as staff read it: local business time, to the minute ("" for none)."""
    return timezone.localtime(moment, local_zone()).strftime(DISPLAY_FORMAT) if moment else ""


def _format_rows(raw_rows: list[tuple], *, now: datetime) -> list[dict[str, Any]]:
    """Every cell as the text it shows: the row template only places strings."""
    status_labels = {value: str(label) for value, label in Status.choices}
    kind_labels = {value: str(label) for value, label in Kind.choices}
    severity_labels = {value: str(label) for value, label in SEVERITY_SHORT.items()}
    milestone_labels = {value: str(label) for value, label in Milestone.choices}
    units = countdown.unit_labels()
    ticket_url = reverse("desk:ticket", kwargs={"number": "NUMBER"})
    rows = []
    for (
        _pk,
        due_at,
        number,
        title,
        kind,
        severity,
        status,
        has_breach,
        is_provisional,
        customer,
        username,
        first,
        last,
        centre,
        warn_at,
        milestone,
    ) in raw_rows:
        state = countdown.risk_state(due_at=due_at, warn_at=warn_at, now=now)
        rows.append(
            {
                "number": number,
                "url": ticket_url.replace("NUMBER", number),
                "title": title if len(title) <= 80 else title[:79] + "…",
                "kind": "" if kind == Kind.FAULT else kind_labels.get(kind, kind),
                "customer": customer,
                "severity": severity,
                "severity_label": severity_labels.get(severity, ""),
                "status": status,
                "status_label": status_labels.get(status, status),
                "assignee": _person_name(username, first, last),
                "centre": centre or "",
                "due": _epoch_ms(due_at),
                "warn": _epoch_ms(warn_at),
                "due_local": format_local(due_at),
                "milestone": milestone_labels.get(milestone, "") if milestone else "",
                "countdown": countdown.format_remaining((due_at - now).total_seconds(), units)
                if due_at
                else "—",
                "state": state,
                "has_breach": has_breach,
                "is_provisional": is_provisional,
            }
        )
    return rows


def queue_page(
    user: User,
    filters: QueueFilters,
    *,
    now: datetime,
    after: Cursor | None = None,
    size: int | None = None,
) -> QueuePage:
    """One page of the queue, nearest due first (no due time last), and the cursor of the next.

    First the keys: per status, the ids of the tickets with a due time in
    (next_due_at, id) order, then, if the page is not full, those without one
    in id order; each a short range of the ``ticket_queue`` index, merged here.
    Then the page's rows in two queries (``_page_rows``). The number of queries
    depends on the statuses shown, never on the page size or the table size.
    """
    size = size or QUEUE_PAGE_SIZE
    base = queue_tickets(user, filters, now=now)
    statuses = filters.statuses
    want = size + 1
    keys: list[tuple[int, datetime | None]] = []
    if after is None or after.due_at is not None:
        parts = []
        for status in statuses:
            part = base.filter(status=status, next_due_at__isnull=False)
            if after is not None:
                part = part.filter(
                    Q(next_due_at__gt=after.due_at) | Q(next_due_at=after.due_at, pk__gt=after.ticket_id)
                )
            parts.append(list(part.order_by("next_due_at", "pk").values_list("pk", "next_due_at")[:want]))
        keys = list(islice(heapq.merge(*parts, key=lambda key: (key[_DUE], key[_ID])), want))
    if len(keys) < want:
        missing = want - len(keys)
        parts = []
        for status in statuses:
            part = base.filter(status=status, next_due_at__isnull=True)
            if after is not None and after.due_at is None:
                part = part.filter(pk__gt=after.ticket_id)
            parts.append(list(part.order_by("pk").values_list("pk", "next_due_at")[:missing]))
        keys += list(islice(heapq.merge(*parts, key=lambda key: key[_ID]), missing))
    next_cursor = None
    if len(keys) > size:
        keys = keys[:size]
        next_cursor = Cursor(due_at=keys[-1][_DUE], ticket_id=keys[-1][_ID])
    count = base.filter(status__in=statuses).order_by()[: QUEUE_COUNT_CAP + 1].count()
    return QueuePage(
        rows=_format_rows(_page_rows([key[_ID] for key in keys]), now=now),
        next_cursor=next_cursor,
        count=min(count, QUEUE_COUNT_CAP),
        count_is_capped=count > QUEUE_COUNT_CAP,
    )


def queue_export_rows(
    user: User, filters: QueueFilters, *, now: datetime, limit: int = EXPORT_ROW_LIMIT
) -> Iterator[tuple]:
    """The filtered queue for a spreadsheet, in queue order, at most ``limit`` rows, streamed."""
    tickets = (
        queue_tickets(user, filters, now=now)
        .filter(status__in=filters.statuses)
        .order_by(F("next_due_at").asc(nulls_last=True), "pk")
    )
    status_labels = dict(Status.choices)
    kind_labels = dict(Kind.choices)
    severity_labels = dict(SEVERITY_SHORT)
    entitlement_labels = dict(Entitlement.choices)
    values = tickets.values_list(
        "number",
        "title",
        "kind",
        "customer__name",
        "unit__serial",
        "severity",
        "status",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
        "centre__name",
        "reported_at",
        "next_due_at",
        "has_breach",
        "is_provisional",
        "entitlement",
    )[:limit]
    yes, no = gettext("yes"), ""
    for (
        number,
        title,
        kind,
        customer,
        serial,
        severity,
        status,
        username,
        first,
        last,
        centre,
        reported_at,
        due_at,
        has_breach,
        is_provisional,
        entitlement,
    ) in values.iterator(chunk_size=1000):
        breached = has_breach or (due_at is not None and due_at <= now)
        yield (
            number,
            title,
            str(kind_labels.get(kind, kind)),
            customer,
            serial or "",
            str(severity_labels.get(severity, "")),
            str(status_labels.get(status, status)),
            _person_name(username, first, last),
            centre or "",
            format_local(reported_at),
            format_local(due_at),
            yes if breached else no,
            yes if is_provisional else no,
            str(entitlement_labels.get(entitlement, entitlement)),
        )


def export_headers() -> list[str]:
    """Column titles of the export, in the active language."""
    return [
        gettext("Number"),
        gettext("Title"),
        gettext("Kind"),
        gettext("Customer"),
        gettext("Serial number"),
        gettext("Severity"),
        gettext("Status"),
        gettext("Assignee"),
        gettext("Service centre"),
        gettext("Reported at"),
        gettext("Next due"),
        gettext("Breached"),
        gettext("Provisional due date"),
        gettext("Entitlement"),
    ]


@dataclass
class FilterOptions:
    centres: list[tuple[int, str]]
    assignees: list[tuple[int, str]]
    customers: list[tuple[int, str]]


def queue_filter_options(user: User) -> FilterOptions:
    """The choices of the filter bar: three queries, whatever the number of tickets."""
    workers = [role for role in STAFF_ROLES if Capability.REPLY_TICKET in capabilities_of(role)]
    people = (
        User.objects.filter(is_active=True, role__in=workers)
        .order_by("first_name", "username")
        .values_list("pk", "username", "first_name", "last_name")
    )
    return FilterOptions(
        centres=list(ServiceCentre.objects.order_by("name").values_list("pk", "name")),
        assignees=[(pk, _person_name(username, first, last)) for pk, username, first, last in people],
        customers=list(customer_scope_for_user(user).order_by("name").values_list("pk", "name")),
    )


def parse_id(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value > 0 else None


def parse_queue_filters(params: QueryDict) -> QueueFilters:
    """The filters from the query string; unknown values are ignored, never an error."""
    view = params.get("view", "")
    status = params.get("status", "")
    kind = params.get("kind", "")
    severity = params.get("severity", "")
    risk = params.get("risk", "")
    return QueueFilters(
        view=view if view in QueueView.values else QueueView.OPEN,
        status=status if status in (*Status.values, STATUS_ALL) else "",
        kind=kind if kind in Kind.values else "",
        severity=severity if severity in Severity.values else "",
        centre_id=parse_id(params.get("centre")),
        assignee_id=parse_id(params.get("assignee")),
        customer_id=parse_id(params.get("customer")),
        risk=risk if risk in Risk.values else "",
        provisional=params.get("provisional") in ("1", "on", "true"),
    )


def queue_views_for(user: User) -> list[tuple[str, str]]:
    """The view tabs that make sense for the person: no "my centre" without a centre."""
    views = [(QueueView.OPEN, QueueView.OPEN.label)]
    if user.has_perm(f"aftersales.{Capability.REPLY_TICKET}") or user.has_perm(
        f"aftersales.{Capability.ACCEPT_TICKET}"
    ):
        views.append((QueueView.MINE, QueueView.MINE.label))
    if user.centre_id:
        views.append((QueueView.CENTRE, QueueView.CENTRE.label))
    views.append((QueueView.UNASSIGNED, QueueView.UNASSIGNED.label))
    views.append((QueueView.ON_DUTY, QueueView.ON_DUTY.label))
    if user.has_perm(f"aftersales.{Capability.RECORD_FOLLOWUP}"):
        views.append((QueueView.FOLLOW_UP, QueueView.FOLLOW_UP.label))
    return [(value, str(label)) for value, label in views]


# --- the ticket page ----------------------------------------------------------------------------


@dataclass
class ClockLine:
    milestone: str
    target: str
    started: str
    due: str
    due_ms: str
    warn_ms: str
    countdown: str
    state: str
    state_label: str
    risk: str
    detail: str
    is_provisional: bool


@dataclass
class TimelineEntry:
    kind: str
    label: str
    at: str
    actor: str
    body: str
    detail: str
    is_internal: bool


@dataclass
class TicketPageData:
    ticket: Ticket
    clocks: list[ClockLine]
    timeline: list[TimelineEntry]
    reports: list[HandlingReport]
    current_report: HandlingReport | None
    follow_ups: list[FollowUp]


def _minutes_text(minutes: int) -> str:
    if abs(minutes) >= 120:
        hours, rest = divmod(abs(minutes), 60)
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    return gettext("%(minutes)s min") % {"minutes": abs(minutes)}


def _clock_line(clock: Clock, now: datetime, units: dict[str, str]) -> ClockLine:
    """A clock as the ticket page shows it: running, paused, met, late, breached or cancelled."""
    outcome = clock.outcome
    risk = countdown.MET
    remaining = ""
    detail = ""
    if clock.status == Clock.Status.RUNNING:
        risk = countdown.risk_state(due_at=clock.due_at, warn_at=clock.warn_at, now=now)
        if clock.due_at is not None:
            remaining = countdown.format_remaining((clock.due_at - now).total_seconds(), units)
        if clock.breached_at is not None or risk == countdown.BREACHED:
            state, state_label = "breached", gettext("Breached")
            risk = countdown.BREACHED
        else:
            state, state_label = "running", gettext("Running")
    elif clock.status == Clock.Status.PAUSED:
        state, state_label = "paused", gettext("Paused")
    elif clock.status == Clock.Status.CANCELLED:
        state, state_label = "cancelled", gettext("Cancelled")
    else:
        late = clock.minutes_late
        if clock.breached_at is None:
            state, state_label = "met", gettext("Met")
            if late is not None:
                detail = gettext("%(time)s early") % {"time": _minutes_text(late)}
        else:
            state, state_label = "late", gettext("Met late")
            risk = countdown.BREACHED
            if late is not None:
                detail = gettext("%(time)s late") % {"time": _minutes_text(late)}
        if clock.met_at is not None:
            met = gettext("met %(when)s") % {"when": format_local(clock.met_at)}
            detail = f"{met} · {detail}" if detail else met
    if outcome == Outcome.LATE_WITH_NOTICE:
        told = gettext("customer told in advance; new date %(when)s") % {
            "when": format_local(clock.promised_new_at)
        }
        detail = f"{detail} · {told}" if detail else told
    return ClockLine(
        milestone=clock.get_milestone_display(),
        target=clock.rule.target_label,
        started=format_local(clock.started_at),
        due=format_local(clock.due_at) or gettext("no target"),
        due_ms=_epoch_ms(clock.due_at) if clock.status == Clock.Status.RUNNING else "",
        warn_ms=_epoch_ms(clock.warn_at),
        countdown=remaining,
        state=state,
        state_label=state_label,
        risk=risk,
        detail=detail,
        is_provisional=clock.is_provisional,
    )


_CHOICE_FIELDS = {
    "status": dict(Status.choices),
    "severity": dict(Severity.choices),
    "kind": dict(Kind.choices),
    "level_reached": dict(Level.choices),
    "entitlement": dict(Entitlement.choices),
}


def _field_label(name: str) -> str:
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except Exception:  # a field recorded by an older version of the model
        return name


def _value_label(name: str, value: str) -> str:
    labels = _CHOICE_FIELDS.get(name)
    if labels and value in labels:
        return str(labels[value])
    return value or "—"


def _timeline_entry(event: TicketEvent) -> TimelineEntry:
    detail = ""
    if event.kind == TicketEvent.Kind.STATUS:
        detail = f"{_value_label('status', event.from_status)} → {_value_label('status', event.to_status)}"
    elif event.kind in (TicketEvent.Kind.FIELD, TicketEvent.Kind.ENTITLEMENT):
        old = _value_label(event.field, event.old_value)
        new = _value_label(event.field, event.new_value)
        detail = f"{_field_label(event.field)}: {old} → {new}"
    elif event.kind == TicketEvent.Kind.CALL:
        direction = event.data.get("direction")
        detail = gettext("Outbound call") if direction == "outbound" else gettext("Inbound call")
        if event.data.get("guidance_given"):
            detail += " · " + gettext("guidance given")
    elif event.kind == TicketEvent.Kind.FOLLOW_UP:
        if event.data.get("is_fixed"):
            detail = gettext("Fixed; satisfaction %(score)s/5") % {"score": event.data.get("satisfaction")}
        else:
            detail = gettext("Not fixed")
    internal_kinds = (TicketEvent.Kind.NOTE,)
    return TimelineEntry(
        kind=event.kind,
        label=event.get_kind_display(),
        at=format_local(event.at),
        actor=str(event.actor) if event.actor_id else gettext("System"),
        body=event.body,
        detail=detail,
        is_internal=event.kind in internal_kinds or not event.is_public,
    )


def ticket_page_data(ticket: Ticket, *, now: datetime) -> TicketPageData:
    """Everything the ticket page shows besides the forms: a fixed number of queries.

    Clocks (with their rules), the timeline (with actors), the handling
    reports and follow-ups: one query each, plus two for the current handling
    report, however long the ticket's history.
    """
    units = countdown.unit_labels()
    clocks = list(
        Clock.objects.filter(subject_type=SUBJECT_TYPE, subject_id=ticket.pk)
        .select_related("rule")
        .order_by("started_at", "pk")
    )
    events = list(ticket.events.select_related("actor").order_by("at", "pk"))
    reports = list(ticket.handling_reports.select_related("author").order_by("-created_at", "-pk"))
    follow_ups = list(ticket.follow_ups.select_related("recorded_by").order_by("-created_at", "-pk"))
    return TicketPageData(
        ticket=ticket,
        clocks=[_clock_line(clock, now, units) for clock in clocks],
        timeline=[_timeline_entry(event) for event in events],
        reports=reports,
        current_report=current_handling_report(ticket) if reports else None,
        follow_ups=follow_ups,
    )


def get_ticket_for_page(user: User, number: str) -> Ticket:
    """The ticket if ``user`` may see it (``Ticket.DoesNotExist`` otherwise), with what its page shows."""
    return (
        tickets_visible_to(user)
        .select_related(
            "customer__parent",
            "site",
            "unit__product_model",
            "part",
            "reporter",
            "onsite_contact",
            "centre",
            "assignee",
            "taken_by",
            "entitlement_contract",
            "duplicate_of",
        )
        .get(number=number)
    )


def find_visible_ticket(user: User, number: str) -> Ticket | None:
    """Another ticket by number, for "duplicate of": only one the person may see."""
    return tickets_visible_to(user).filter(number=number.strip().upper()).first()


def ticket_workers() -> QuerySet[User]:
    """People who work on tickets (assignees, engineers arriving on site), by name."""
    workers = [role for role in STAFF_ROLES if Capability.REPLY_TICKET in capabilities_of(role)]
    return (
        User.objects.filter(is_active=True, role__in=workers)
        .select_related("centre")
        .order_by("role", "first_name", "username")
    )


# --- the inbox -----------------------------------------------------------------------------------


def inbox_messages(user: User, *, limit: int = INBOX_LIMIT) -> list[dict[str, Any]]:
    """The person's latest notices (the outbox rows addressed to them), newest first."""
    channels = dict(OutboxMessage.Channel.choices)
    rows = (
        OutboxMessage.objects.filter(recipient=user)
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_at", "subject", "body", "reference", "channel", "read_at")[:limit]
    )
    ticket_url = reverse("desk:ticket", kwargs={"number": "NUMBER"})
    return [
        {
            "id": pk,
            "at": format_local(created_at),
            "subject": subject,
            "body": body,
            "preview": _preview(body),
            "reference": reference,
            "url": ticket_url.replace("NUMBER", reference) if reference.startswith("SR-") else "",
            "channel": str(channels.get(channel, channel)),
            "is_unread": read_at is None,
        }
        for pk, created_at, subject, body, reference, channel, read_at in rows
    ]


def _preview(body: str, length: int = 120) -> str:
    line = " ".join(body.split())
    return line if len(line) <= length else line[: length - 1] + "…"


def unread_count(user: User, *, cap: int = UNREAD_CAP) -> int:
    """Unread notices, counted up to ``cap`` + 1 (the header shows "99+"): one bounded query."""
    unread = OutboxMessage.objects.filter(recipient=user, read_at__isnull=True).order_by()
    return unread.values("pk")[: cap + 1].count()


# --- phone intake --------------------------------------------------------------------------------


@dataclass
class CallerMatches:
    """Who may be calling: contacts by phone number, units by serial, customers by name."""

    contacts: list[Contact]
    units: list[Unit]
    customers: list[Customer]

    @property
    def is_empty(self) -> bool:
        return not (self.contacts or self.units or self.customers)


def _looks_like_phone(text: str) -> bool:
    return len(normalise_phone(text)) >= 7 and sum(ch.isdigit() for ch in text) * 2 > len(text)


def find_callers(user: User, *, number: str, text: str, limit: int = 10) -> CallerMatches:
    """The candidates for the caller among the customers the person may see.

    The caller ID (or a number typed in) is matched on the normalised phone
    columns, so ``+86 138-0000-1234`` finds ``13800001234``; the search text
    matches a serial number (exactly, else by its start) or a customer's name
    or code. A number typed in the search box is looked up as a phone too.
    """
    scope = customer_scope_for_user(user)
    numbers = [value for value in (number, text if _looks_like_phone(text) else "") if value]
    contacts: list[Contact] = []
    for value in numbers:
        found = find_contacts_by_phone(value).filter(customer__in=scope).select_related("customer")[:limit]
        contacts += [contact for contact in found if contact not in contacts]
    units: list[Unit] = []
    customers: list[Customer] = []
    if text:
        in_scope = Unit.objects.filter(customer__in=scope).select_related("customer", "product_model", "site")
        units = list(in_scope.filter(serial__iexact=text)[:1]) or list(
            in_scope.filter(serial__istartswith=text).order_by("serial")[:limit]
        )
        customers = list(
            scope.filter(Q(name__icontains=text) | Q(code__iexact=text)).order_by("name")[:limit]
        )
    return CallerMatches(contacts=contacts, units=units, customers=customers)


@dataclass
class UnitVerdict:
    unit: Unit
    verdict: EntitlementVerdict

    @property
    def label(self) -> str:
        return str(dict(Entitlement.choices).get(self.verdict.verdict, self.verdict.verdict))


def intake_units(customer: Customer, *, on: date) -> list[UnitVerdict]:
    """The customer's units in service with today's entitlement verdict: two queries for any number."""
    units = units_for_entitlement(Unit.objects.filter(customer=customer, is_active=True)).order_by("serial")
    return [UnitVerdict(unit=unit, verdict=entitlement_for(unit, on=on)) for unit in units]


@dataclass
class CallerChoice:
    """Who is calling and about what, as far as the specialist has chosen (or the lookup could tell)."""

    matches: CallerMatches
    contact: Contact | None
    unit: Unit | None
    customer: Customer | None
    units: list[UnitVerdict]


def choose_caller(
    user: User,
    *,
    number: str,
    text: str,
    contact_id: int | None,
    unit_id: int | None,
    customer_id: int | None,
    on: date,
) -> CallerChoice:
    """The caller's contact, unit and customer: those chosen, else those the lookup leaves no doubt about.

    One contact with the caller's number, or one unit with the serial, or one
    customer by name is taken without asking; the customer's only unit too.
    Everything is limited to the customers the person may see.
    """
    matches = find_callers(user, number=number, text=text)
    scope = customer_scope_for_user(user)
    contacts = Contact.objects.filter(customer__in=scope).select_related("customer")
    units_in_scope = Unit.objects.filter(customer__in=scope).select_related("customer")
    contact = contacts.filter(pk=contact_id).first() if contact_id else None
    unit = units_in_scope.filter(pk=unit_id).first() if unit_id else None
    customer = scope.select_related("parent").filter(pk=customer_id).first() if customer_id else None
    if not (contact_id or unit_id or customer_id):
        contact = matches.contacts[0] if len(matches.contacts) == 1 else None
        unit = matches.units[0] if len(matches.units) == 1 else None
        if not matches.contacts and not matches.units and len(matches.customers) == 1:
            customer = matches.customers[0]
    customer = customer or (contact.customer if contact else unit.customer if unit else None)
    if unit is not None and unit.customer_id != customer.pk:
        unit = None  # a serial of another customer than the caller's
    units = intake_units(customer, on=on) if customer is not None else []
    if unit is None and len(units) == 1:
        unit = units[0].unit
    return CallerChoice(matches=matches, contact=contact, unit=unit, customer=customer, units=units)


def response_clock(ticket: Ticket) -> Clock | None:
    """The ticket's response promise (or a complaint's), for the read-back page."""
    return (
        Clock.objects.filter(
            subject_type=SUBJECT_TYPE,
            subject_id=ticket.pk,
            milestone__in=(Milestone.RESPONSE, Milestone.COMPLAINT_RESPONSE),
        )
        .exclude(status=Clock.Status.CANCELLED)
        .first()
    )
