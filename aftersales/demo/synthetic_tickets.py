"""Many synthetic tickets at once (``aftersales demo --tickets N``), for load and benchmarks.

A million tickets through ``open_ticket`` would take hours; here they are
written in bulk (``bulk_insert.insert_rows``: ``bulk_create``'s statements with
cheaper value preparation) in batches of 5,000, each batch in its own
transaction: the tickets, their clocks and one *created* event each. What the services
would decide is still decided by the real code, once per distinct case rather
than once per ticket: the centre by ``route_ticket_centre``, the entitlement by
``entitlement_for`` (as of today, per unit), the promises by the service policy
in force (``select_rules``) and every due time by ``business_time``. Numbers
come in one block from the ticket sequence, so they never collide with tickets
opened meanwhile.

40 % of the tickets are open. Clocks that would be overdue are written as the
sweep would have left them (warned, breached, escalated), without replaying a
year of notices into the outbox; the queue's ``next_due_at`` and ``has_breach``
are set as the clock services would set them.

Their search documents are left to the search index's catch-up in the worker,
or built at once with ``aftersales search reindex --all``: segmenting a million
texts would double the load time, and a benchmark rebuilds the index anyway.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.queries import route_ticket_centre
from aftersales.accounts.roles import Role
from aftersales.commitments.models import Clock, CommitmentRule, Milestone
from aftersales.commitments.services import ClockContext, rules_in_force, select_rules
from aftersales.core.business_time import add_minutes, due_after, local_date
from aftersales.core.errors import DomainError
from aftersales.core.numbering import reserve_document_numbers
from aftersales.customers.models import Contact
from aftersales.demo.bulk_insert import insert_rows
from aftersales.demo.progress import ProgressBar
from aftersales.demo.tickets import DEMO_DAYS, SYMPTOMS
from aftersales.tickets.models import (
    OPEN_STATUSES,
    Channel,
    Entitlement,
    Kind,
    Level,
    Severity,
    Status,
    Ticket,
    TicketEvent,
)
from aftersales.tickets.services import NUMBER_PREFIX, SUBJECT_TYPE
from aftersales.units.entitlement import entitlement_for
from aftersales.units.queries import units_for_entitlement

BATCH_SIZE = 5000
SQLITE_CACHE_KIB = 512 * 1024
OPEN_SHARE = 0.40
# Of the open tickets: new, accepted, in progress, waiting; of the rest: resolved, closed, cancelled.
OPEN_MIX = [(Status.NEW, 15), (Status.ACCEPTED, 15), (Status.IN_PROGRESS, 50), (Status.WAITING, 20)]
FINISHED_MIX = [(Status.RESOLVED, 13), (Status.CLOSED, 79), (Status.CANCELLED, 8)]
KIND_MIX = [
    (Kind.FAULT, 70),
    (Kind.CONSULTATION, 12),
    (Kind.UPGRADE, 7),
    (Kind.COMPLAINT, 3),
    (Kind.INSTALLATION, 4),
    (Kind.TRAINING, 2),
    (Kind.MIGRATION, 2),
]
KIND_TITLES = {
    Kind.CONSULTATION: "咨询",
    Kind.UPGRADE: "升级申请",
    Kind.COMPLAINT: "投诉",
    Kind.INSTALLATION: "安装调试",
    Kind.TRAINING: "培训",
    Kind.MIGRATION: "系统移植",
}
CHANNELS = [Channel.PHONE, Channel.PHONE, Channel.EMAIL, Channel.EMAIL, Channel.WEB, Channel.API]


class NoInstalledBase(DomainError):
    """Synthetic tickets need units to be about."""


@dataclass(frozen=True)
class _UnitCase:
    """Everything a synthetic ticket needs about its unit, decided once per unit."""

    unit_id: int
    customer_id: int
    site_id: int | None
    model_name: str
    model_code: str
    centre_id: int | None
    is_covered: bool
    entitlement: str
    entitlement_reason: str
    warranty_ends_on: object
    contract_id: int | None
    reporters: tuple[tuple[int, str, str, str], ...]


class SyntheticTickets:
    """Writes ``count`` tickets in batches; ``run`` returns how many were written."""

    def __init__(self, *, count: int, seed: int, now: datetime, batch_size: int = BATCH_SIZE) -> None:
        self.count = count
        self.rng = random.Random(seed)
        self.now = now
        self.batch_size = batch_size
        self.cases = self._unit_cases()
        self.engineers = self._engineers()
        self._rules: dict[tuple[str, str, bool, int | None], dict[str, CommitmentRule]] = {}

    def _unit_cases(self) -> list[_UnitCase]:
        today = local_date(self.now)
        units = list(units_for_entitlement().filter(is_active=True).order_by("pk"))
        if not units:
            raise NoInstalledBase("There are no units to open tickets about: load the demo first.")
        reporters: dict[int, list[tuple[int, str, str, str]]] = {}
        for row in Contact.objects.order_by("pk").values_list("customer_id", "pk", "name", "mobile", "email"):
            reporters.setdefault(row[0], []).append(row[1:])
        routes: dict[tuple[int | None, int], tuple[ServiceCentre | None, bool]] = {}
        cases = []
        for unit in units:
            key = (unit.site_id, unit.product_model.product_line_id)
            if key not in routes:
                routes[key] = route_ticket_centre(site=unit.site, product_line_id=key[1])
            centre, covered = routes[key]
            verdict = entitlement_for(unit, on=today)
            cases.append(
                _UnitCase(
                    unit_id=unit.pk,
                    customer_id=unit.customer_id,
                    site_id=unit.site_id,
                    model_name=unit.product_model.name,
                    model_code=unit.product_model.code,
                    centre_id=centre.pk if centre else None,
                    is_covered=covered,
                    entitlement=verdict.verdict,
                    entitlement_reason=str(verdict.reason)[:300],
                    warranty_ends_on=verdict.warranty_ends_on,
                    contract_id=verdict.contract.pk if verdict.contract else None,
                    reporters=tuple(reporters.get(unit.customer_id, ())),
                )
            )
        return cases

    def _engineers(self) -> dict[int, list[int]]:
        engineers: dict[int, list[int]] = {}
        rows = User.objects.filter(role=Role.ENGINEER, is_active=True, centre__isnull=False)
        for user_id, centre_id in rows.order_by("pk").values_list("pk", "centre_id"):
            engineers.setdefault(centre_id, []).append(user_id)
        return engineers

    def _rules_for(self, case: _UnitCase, kind: str, severity: str) -> dict[str, CommitmentRule]:
        """The promises the policy makes for this kind of ticket (one lookup per distinct case)."""
        key = (kind, severity, case.is_covered, case.contract_id)
        if key not in self._rules:
            context = ClockContext(
                customer_id=case.customer_id,
                centre_id=case.centre_id,
                assignee_id=None,
                ticket_kind=kind,
                severity=severity,
                is_site_covered=case.is_covered,
                contract_id=case.contract_id,
                policy_at=self.now,
            )
            self._rules[key] = select_rules(
                rules_in_force(at=self.now, contract_id=case.contract_id), context
            )
        return self._rules[key]

    # --- writing ------------------------------------------------------------------------------

    def run(self, progress: ProgressBar | None = None) -> int:
        if connection.vendor == "sqlite":
            # Sixteen indexes on the ticket table: a large page cache keeps their updates in memory.
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        numbers = reserve_document_numbers(NUMBER_PREFIX, self.count, at=self.now)
        written = 0
        while written < self.count:
            size = min(self.batch_size, self.count - written)
            with transaction.atomic():
                self._write_batch([numbers[written + i] for i in range(size)])
            written += size
            if progress is not None:
                progress.advance(size)
        return written

    def _write_batch(self, numbers: list[str]) -> None:
        plans = [self._plan(number) for number in numbers]
        tickets = [plan.ticket for plan in plans]
        insert_rows(Ticket, tickets)
        clocks, events = [], []
        for plan, ticket in zip(plans, tickets, strict=True):
            for clock in plan.clocks:
                clock.subject_id = ticket.pk
                clocks.append(clock)
            events.append(
                TicketEvent(
                    ticket_id=ticket.pk,
                    kind=TicketEvent.Kind.CREATED,
                    at=ticket.reported_at,
                    is_public=True,
                    to_status=Status.NEW,
                    data={"channel": ticket.channel, "kind": ticket.kind, "synthetic": True},
                )
            )
        insert_rows(Clock, clocks)
        insert_rows(TicketEvent, events)

    def _plan(self, number: str) -> _Plan:
        rng = self.rng
        case = rng.choice(self.cases)
        kind = _KINDS.draw(rng)
        severity = ""
        if kind == Kind.FAULT:
            severity = Severity.SEVERE if rng.random() < 0.25 else Severity.GENERAL
        is_open = rng.random() < OPEN_SHARE
        status = (_OPEN if is_open else _FINISHED).draw(rng)
        # Open tickets are recent, finished ones spread over the whole period.
        age_minutes = rng.uniform(1, (3 if status == Status.NEW else 30 if is_open else DEMO_DAYS) * 24 * 60)
        reported_at = self.now - timedelta(minutes=age_minutes)
        reporter = rng.choice(case.reporters) if case.reporters else None
        if kind == Kind.FAULT:
            symptom, detail = rng.choice(SYMPTOMS[case.model_code])
            title, description = f"{case.model_name}：{symptom}", f"{detail}。"
        else:
            title = f"{KIND_TITLES[kind]}：{case.model_name}"
            description = "合成工单：用于容量与性能测试。"
        ticket = Ticket(
            number=number,
            kind=kind,
            channel=rng.choice(CHANNELS),
            severity=severity,
            status=status,
            title=title,
            description=description,
            customer_id=case.customer_id,
            site_id=case.site_id,
            unit_id=case.unit_id if kind != Kind.COMPLAINT else None,
            reporter_id=reporter[0] if reporter else None,
            reporter_name=reporter[1] if reporter else "",
            reporter_phone=reporter[2] if reporter else "",
            reporter_email=reporter[3] if reporter else "",
            centre_id=case.centre_id if kind != Kind.COMPLAINT else None,
            is_site_covered=case.is_covered,
            entitlement=case.entitlement if kind != Kind.COMPLAINT else Entitlement.NOT_APPLICABLE,
            entitlement_reason=case.entitlement_reason if kind != Kind.COMPLAINT else "",
            warranty_ends_on=case.warranty_ends_on if kind != Kind.COMPLAINT else None,
            entitlement_contract_id=case.contract_id if kind != Kind.COMPLAINT else None,
            reported_at=reported_at,
        )
        plan = _Plan(ticket=ticket)
        engineers = self.engineers.get(case.centre_id or 0)
        if status != Status.NEW and engineers:
            ticket.assignee_id = rng.choice(engineers)
        rules = self._rules_for(case, kind, severity)
        response = rules.get(Milestone.COMPLAINT_RESPONSE if kind == Kind.COMPLAINT else Milestone.RESPONSE)
        responded_at = None
        if status != Status.NEW:
            responded_at = min(self.now, add_minutes(reported_at, int(rng.choice([3, 8, 15, 22, 28, 45]))))
            ticket.first_response_at = responded_at
        if response is not None:
            plan.clock(self, ticket, response, started_at=reported_at, met_at=responded_at)
        if status in (Status.RESOLVED, Status.CLOSED):
            ticket.resolved_at = min(self.now, add_minutes(reported_at, rng.randint(60, 5 * 24 * 60)))
            ticket.level_reached = _LEVELS.draw(rng)
            if kind == Kind.FAULT:
                ticket.restored_at = ticket.resolved_at
            if status == Status.CLOSED:
                ticket.closed_at = min(
                    self.now, add_minutes(ticket.resolved_at, rng.randint(60, 3 * 24 * 60))
                )
        onsite = rules.get(Milestone.ONSITE_LOCAL)
        if status in (Status.IN_PROGRESS, Status.WAITING) and onsite is not None and rng.random() < 0.3:
            requested_at = min(self.now, add_minutes(responded_at or reported_at, rng.randint(30, 6 * 60)))
            ticket.onsite_requested_at = requested_at
            ticket.level_reached = Level.L3
            plan.clock(self, ticket, onsite, started_at=requested_at, met_at=None)
        running = [c.due_at for c in plan.clocks if c.status == Clock.Status.RUNNING and c.due_at]
        ticket.next_due_at = min(running, default=None) if is_open else None
        ticket.has_breach = any(c.breached_at is not None for c in plan.clocks)
        return plan


@dataclass
class _Plan:
    """One ticket to write and its clocks (their ``subject_id`` is set once the ticket has its id)."""

    ticket: Ticket
    clocks: list[Clock] = field(default_factory=list)

    def clock(
        self,
        writer: SyntheticTickets,
        ticket: Ticket,
        rule: CommitmentRule,
        *,
        started_at: datetime,
        met_at: datetime | None,
    ) -> None:
        """One clock as the clock services and the sweep would have left it by now."""
        is_open = ticket.status in OPEN_STATUSES
        due = (
            due_after(started_at, calendar=rule.calendar, minutes=rule.target_minutes or 0)
            if rule.has_target
            else None
        )
        due_at = due.at if due else None
        warn_at = max(started_at, add_minutes(due_at, -rule.warn_before_minutes)) if due_at else None
        clock = Clock(
            subject_type=SUBJECT_TYPE,
            subject_id=0,
            reference=ticket.number,
            rule=rule,
            milestone=rule.milestone,
            calendar=rule.calendar,
            started_at=started_at,
            due_at=due_at,
            base_due_at=due_at,
            is_provisional=due.is_provisional if due else False,
            warn_at=warn_at,
            customer_id=ticket.customer_id,
            centre_id=ticket.centre_id,
            assignee_id=ticket.assignee_id,
        )
        now = writer.now
        if met_at is not None:
            clock.status = Clock.Status.MET
            clock.met_at = met_at
            if due_at is not None and met_at > due_at:
                clock.breached_at = due_at
        elif not is_open:
            clock.status = Clock.Status.CANCELLED
        elif due_at is not None:
            if warn_at <= now:
                clock.warned_at = warn_at
            if due_at <= now:
                clock.breached_at = due_at
                escalate_at = add_minutes(due_at, rule.leadership_after_minutes)
                if escalate_at <= now:
                    clock.leadership_at = escalate_at
                else:
                    clock.next_action_at = escalate_at
            else:
                clock.next_action_at = due_at if clock.warned_at else warn_at
        self.clocks.append(clock)


class _Mix:
    """A weighted choice with its cumulative weights worked out once (it is drawn millions of times)."""

    def __init__(self, choices: list[tuple[str, int]]) -> None:
        self.values = [value for value, _ in choices]
        self.cumulative = list(itertools.accumulate(weight for _, weight in choices))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


_KINDS = _Mix(KIND_MIX)
_OPEN = _Mix(OPEN_MIX)
_FINISHED = _Mix(FINISHED_MIX)
_LEVELS = _Mix([(Level.L1, 25), (Level.L2, 55), (Level.L3, 20)])


def add_synthetic_tickets(
    *, count: int, seed: int, now: datetime, progress: ProgressBar | None = None
) -> int:
    """Add ``count`` synthetic tickets to the installed base; returns how many were written."""
    return SyntheticTickets(count=count, seed=seed, now=now).run(progress)
