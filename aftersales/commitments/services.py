"""Clocks: starting, meeting, pausing and re-targeting promises, and the escalation sweep.

Every deadline is computed through ``aftersales.core.business_time``. A clock
keeps ``base_due_at`` (start + target in its calendar) and ``paused_seconds``
(business time spent paused), so ``due_at`` is always ``base_due_at`` moved on by
the paused time: a severity change re-targets from the original start and keeps
the time already spent; a resumed working-day clock keeps the working time it
had left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from aftersales.commitments import subjects
from aftersales.commitments.models import (
    Clock,
    ClockNotice,
    CommitmentRule,
    Coverage,
    MeetEvent,
    ServicePolicy,
    StartEvent,
)
from aftersales.core import business_time

logger = logging.getLogger(__name__)

OPEN = (Clock.Status.RUNNING, Clock.Status.PAUSED)


@dataclass(frozen=True)
class ClockContext:
    """What decides which rule applies to a subject, and who hears about its clocks."""

    customer_id: int
    centre_id: int | None
    assignee_id: int | None
    ticket_kind: str
    severity: str
    is_site_covered: bool
    contract_id: int | None
    policy_at: datetime


@dataclass(frozen=True)
class DueSummary:
    """The denormalised view of a subject's clocks the queue sorts and filters on."""

    next_due_at: datetime | None
    has_breach: bool
    is_provisional: bool


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    leadership: int = 0
    clock_ids: list[int] = field(default_factory=list)

    @property
    def notices(self) -> int:
        return self.warnings + self.breaches + self.leadership


# --- which rules apply ---------------------------------------------------------------------


def rules_in_force(*, at: datetime, contract_id: int | None) -> list[CommitmentRule]:
    """The vendor's rules in force at ``at``, with a contract's own rules overriding by milestone."""
    vendor = (
        ServicePolicy.objects.filter(contract__isnull=True, effective_from__lte=at)
        .order_by("-effective_from")
        .first()
    )
    rules = list(vendor.rules.all()) if vendor else []
    if contract_id is not None:
        own = (
            ServicePolicy.objects.filter(contract_id=contract_id, effective_from__lte=at)
            .order_by("-effective_from")
            .first()
        )
        if own is not None:
            own_rules = list(own.rules.all())
            overridden = {rule.milestone for rule in own_rules}
            rules = [rule for rule in rules if rule.milestone not in overridden] + own_rules
    return rules


def _matches(rule: CommitmentRule, context: ClockContext) -> bool:
    if rule.ticket_kind and rule.ticket_kind != context.ticket_kind:
        return False
    if rule.severity and rule.severity != context.severity:
        return False
    if rule.coverage == Coverage.COVERED and not context.is_site_covered:
        return False
    return not (rule.coverage == Coverage.UNCOVERED and context.is_site_covered)


def _specificity(rule: CommitmentRule) -> int:
    return bool(rule.ticket_kind) + bool(rule.severity) + (rule.coverage != Coverage.ANY)


def select_rules(rules: Iterable[CommitmentRule], context: ClockContext) -> dict[str, CommitmentRule]:
    """The most specific matching rule for each milestone."""
    chosen: dict[str, CommitmentRule] = {}
    for rule in rules:
        if not _matches(rule, context):
            continue
        current = chosen.get(rule.milestone)
        if current is None or _specificity(rule) > _specificity(current):
            chosen[rule.milestone] = rule
    return chosen


# --- deadline arithmetic for one clock -----------------------------------------------------


def _base_due(rule: CommitmentRule, started_at: datetime, cal) -> business_time.Due | None:
    if not rule.has_target:
        return None
    return business_time.due_after(
        started_at,
        calendar=rule.calendar,
        minutes=rule.target_minutes or 0,
        working_days=rule.target_working_days or 0,
        working_calendar=cal,
    )


def _apply_target(clock: Clock, rule: CommitmentRule, cal) -> None:
    """Set base due, due, provisional flag and warning time from the rule and paused time."""
    base = _base_due(rule, clock.started_at, cal)
    if base is None:
        clock.base_due_at = clock.due_at = clock.warn_at = None
        clock.is_provisional = False
        return
    clock.base_due_at = base.at
    due = base
    if clock.paused_seconds:
        due = business_time.extend(
            base.at, clock.paused_seconds, calendar=rule.calendar, working_calendar=cal
        )
    clock.due_at = due.at
    clock.is_provisional = base.is_provisional or due.is_provisional
    clock.warn_at = max(clock.started_at, business_time.add_minutes(due.at, -rule.warn_before_minutes))


def _next_action_at(clock: Clock, rule: CommitmentRule) -> datetime | None:
    """The next moment the sweep must look at this clock, or None."""
    if clock.status != Clock.Status.RUNNING or clock.due_at is None:
        return None
    if clock.breached_at is None:
        if clock.warned_at is None and clock.warn_at is not None and clock.warn_at < clock.due_at:
            return clock.warn_at
        return clock.due_at
    if clock.leadership_at is None:
        return business_time.add_minutes(clock.breached_at, rule.leadership_after_minutes)
    return None


def _open_clocks(subject_type: str, subject_id: int):
    return Clock.objects.select_related("rule").filter(
        subject_type=subject_type, subject_id=subject_id, status__in=OPEN
    )


def _save(clock: Clock, *fields: str) -> None:
    clock.next_action_at = _next_action_at(clock, clock.rule)
    clock.save(update_fields=[*fields, "next_action_at"])


# --- starting, meeting and changing clocks -------------------------------------------------


@transaction.atomic
def start_clocks(
    *,
    subject_type: str,
    subject_id: int,
    reference: str,
    event: StartEvent | str,
    at: datetime,
    context: ClockContext,
) -> list[Clock]:
    """Start the promises that ``event`` starts for this subject.

    Idempotent: a milestone that already has a live clock is left alone, so a
    repeated request (on-site asked twice) never restarts a running promise.
    """
    chosen = select_rules(rules_in_force(at=context.policy_at, contract_id=context.contract_id), context)
    live = set(
        Clock.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .exclude(status=Clock.Status.CANCELLED)
        .values_list("milestone", flat=True)
    )
    cal = None
    started = []
    for milestone, rule in chosen.items():
        if rule.start_event != event or milestone in live:
            continue
        if cal is None and rule.calendar == business_time.CHINA_WORKING_DAYS:
            cal = business_time.WorkingDayCalendar.load()
        clock = Clock(
            subject_type=subject_type,
            subject_id=subject_id,
            reference=reference,
            rule=rule,
            milestone=milestone,
            calendar=rule.calendar,
            started_at=at,
            customer_id=context.customer_id,
            centre_id=context.centre_id,
            assignee_id=context.assignee_id,
        )
        _apply_target(clock, rule, cal)
        clock.next_action_at = _next_action_at(clock, rule)
        clock.save()
        started.append(clock)
    return started


@transaction.atomic
def meet_clocks(*, subject_type: str, subject_id: int, event: MeetEvent | str, at: datetime) -> list[Clock]:
    """Record that ``event`` happened: every open clock it meets stops.

    A clock met after its due time is breached as of its due time (even if the
    sweep had not yet noticed), so a late answer can never count as kept.
    """
    met = []
    for clock in _open_clocks(subject_type, subject_id).select_for_update(of=("self",)):
        if clock.rule.meet_event != event:
            continue
        if clock.status == Clock.Status.PAUSED:
            clock.paused_seconds += business_time.elapsed(clock.paused_at, at, calendar=clock.calendar)
            clock.paused_at = None
            _apply_target(clock, clock.rule, None)
        clock.status = Clock.Status.MET
        clock.met_at = at
        if clock.due_at is not None and at > clock.due_at and clock.breached_at is None:
            clock.breached_at = clock.due_at
        _save(
            clock,
            "status",
            "met_at",
            "breached_at",
            "paused_at",
            "paused_seconds",
            "due_at",
            "base_due_at",
            "warn_at",
        )
        met.append(clock)
    return met


@transaction.atomic
def retarget_clocks(
    *, subject_type: str, subject_id: int, context: ClockContext, at: datetime
) -> list[Clock]:
    """Apply the rules for a changed severity or coverage to the open clocks.

    The start stays, so the time already spent counts against the new target;
    a clock already breached stays breached; a milestone the new rules no longer
    promise is cancelled. Returns the clocks that changed.
    """
    chosen = select_rules(rules_in_force(at=context.policy_at, contract_id=context.contract_id), context)
    changed = []
    cal = None
    for clock in _open_clocks(subject_type, subject_id).select_for_update(of=("self",)):
        rule = chosen.get(clock.milestone)
        if rule is None or rule.start_event != clock.rule.start_event:
            clock.status = Clock.Status.CANCELLED
            _save(clock, "status")
            changed.append(clock)
            continue
        if rule.pk == clock.rule_id:
            continue
        if cal is None and rule.calendar == business_time.CHINA_WORKING_DAYS:
            cal = business_time.WorkingDayCalendar.load()
        clock.rule = rule
        clock.calendar = rule.calendar
        _apply_target(clock, rule, cal)
        _save(clock, "rule", "calendar", "base_due_at", "due_at", "warn_at", "is_provisional")
        changed.append(clock)
    return changed


@transaction.atomic
def update_clock_context(
    *,
    subject_type: str,
    subject_id: int,
    centre_id: int | None,
    assignee_id: int | None,
    customer_id: int | None = None,
) -> None:
    """Keep the clocks' recipients current after an assignment or re-routing; with
    ``customer_id`` (a ticket linked to its real customer) the customer's reports count them."""
    changes: dict[str, int | None] = {"centre_id": centre_id, "assignee_id": assignee_id}
    if customer_id is not None:
        changes["customer_id"] = customer_id
    Clock.objects.filter(subject_type=subject_type, subject_id=subject_id).update(**changes)


@transaction.atomic
def pause_clocks(*, subject_type: str, subject_id: int, at: datetime) -> list[Clock]:
    """Stop the running clocks whose rule allows a pause (e.g. waiting for a quote approval)."""
    paused = []
    for clock in _open_clocks(subject_type, subject_id).select_for_update(of=("self",)):
        if clock.status != Clock.Status.RUNNING or not clock.rule.may_pause:
            continue
        clock.status = Clock.Status.PAUSED
        clock.paused_at = at
        _save(clock, "status", "paused_at")
        paused.append(clock)
    return paused


@transaction.atomic
def resume_clocks(*, subject_type: str, subject_id: int, at: datetime) -> list[Clock]:
    """Restart paused clocks with the business time they had left."""
    resumed = []
    cal = None
    for clock in _open_clocks(subject_type, subject_id).select_for_update(of=("self",)):
        if clock.status != Clock.Status.PAUSED:
            continue
        if cal is None and clock.calendar == business_time.CHINA_WORKING_DAYS:
            cal = business_time.WorkingDayCalendar.load()
        clock.paused_seconds += business_time.elapsed(
            clock.paused_at, at, calendar=clock.calendar, working_calendar=cal
        )
        clock.paused_at = None
        clock.status = Clock.Status.RUNNING
        _apply_target(clock, clock.rule, cal)
        _save(clock, "status", "paused_at", "paused_seconds", "due_at", "warn_at", "is_provisional")
        resumed.append(clock)
    return resumed


@transaction.atomic
def cancel_clocks(*, subject_type: str, subject_id: int, at: datetime) -> None:
    """Stop every open clock of a cancelled subject; cancelled clocks count as neither kept nor broken."""
    Clock.objects.filter(subject_type=subject_type, subject_id=subject_id, status__in=OPEN).update(
        status=Clock.Status.CANCELLED, next_action_at=None
    )


@transaction.atomic
def record_delay_notice(*, clock: Clock, at: datetime, new_due_at: datetime) -> Clock:
    """The customer was told, before the due time, that the promise will be late and when.

    Compliance then counts a late finish as "late, told in advance" instead of
    "broken". A notice given after the due time does not count as advance notice.
    """
    from aftersales.core.errors import InvalidInput

    if not clock.is_open:
        raise InvalidInput(_("This promise is no longer running."))
    if clock.due_at is None:
        raise InvalidInput(_("This promise has no due time."))
    if at > clock.due_at:
        raise InvalidInput(_("The due time has passed: a delay must be announced before it."))
    if new_due_at <= clock.due_at:
        raise InvalidInput(_("The new date must be later than the promised due time."))
    clock.late_notice_at = at
    clock.promised_new_at = new_due_at
    clock.save(update_fields=["late_notice_at", "promised_new_at"])
    return clock


def subject_due_summary(*, subject_type: str, subject_id: int) -> DueSummary:
    """Nearest unmet due time, any breach, any provisional due date: one aggregate query."""
    running = Q(status=Clock.Status.RUNNING)
    agg = Clock.objects.filter(subject_type=subject_type, subject_id=subject_id).aggregate(
        next_due=Min("due_at", filter=running),
        breaches=Min("id", filter=Q(breached_at__isnull=False)),
        provisional=Min("id", filter=Q(is_provisional=True, status__in=OPEN)),
    )
    return DueSummary(
        next_due_at=agg["next_due"],
        has_breach=agg["breaches"] is not None,
        is_provisional=agg["provisional"] is not None,
    )


def subject_due_summaries(*, subject_type: str, subject_ids: Iterable[int]) -> dict[int, DueSummary]:
    """``subject_due_summary`` for many subjects in one grouped query (the sweep's batches)."""
    running = Q(status=Clock.Status.RUNNING)
    rows = (
        Clock.objects.filter(subject_type=subject_type, subject_id__in=list(subject_ids))
        .values("subject_id")
        .annotate(
            next_due=Min("due_at", filter=running),
            breaches=Min("id", filter=Q(breached_at__isnull=False)),
            provisional=Min("id", filter=Q(is_provisional=True, status__in=OPEN)),
        )
    )
    return {
        row["subject_id"]: DueSummary(
            next_due_at=row["next_due"],
            has_breach=row["breaches"] is not None,
            is_provisional=row["provisional"] is not None,
        )
        for row in rows
    }


# --- calendar changes ----------------------------------------------------------------------


@transaction.atomic
def recompute_provisional_clocks(years: set[int] | None = None) -> int:
    """Recompute open working-day clocks after an official schedule was entered.

    Called by the calendar service when an administrator publishes a year; due
    dates that rested on the Monday–Friday fallback move to the official ones.
    """
    cal = business_time.WorkingDayCalendar.load()
    clocks = Clock.objects.select_related("rule").filter(
        status__in=OPEN, calendar=business_time.CHINA_WORKING_DAYS
    )
    if years is not None:
        clocks = clocks.filter(Q(is_provisional=True) | Q(due_at__year__in=years))
    touched: dict[str, set[int]] = {}
    for clock in clocks.select_for_update(of=("self",)):
        before = (clock.due_at, clock.is_provisional)
        _apply_target(clock, clock.rule, cal)
        if (clock.due_at, clock.is_provisional) == before:
            continue
        _save(clock, "base_due_at", "due_at", "warn_at", "is_provisional")
        touched.setdefault(clock.subject_type, set()).add(clock.subject_id)
    for subject_type, ids in touched.items():
        hooks = subjects.hooks_for(subject_type)
        if hooks is not None:
            hooks.on_clocks_changed(sorted(ids))
    return sum(len(ids) for ids in touched.values())


# --- escalation ------------------------------------------------------------------------------


class _Recipients:
    """Who hears of a warning, a breach, an escalation; cached for one sweep."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._centre: dict[tuple[int | None, str], list] = {}
        self._managers: list | None = None
        self._leaders: list | None = None

    def _on_duty_and_leads(self, centre_id: int | None) -> list:
        from aftersales.accounts import queries as people

        key = (centre_id, "warning")
        if key not in self._centre:
            found = []
            if centre_id is not None:
                found = list(people.centre_leads(centre_id)) + list(
                    people.on_duty(centre=centre_id, at=self.at)
                )
            self._centre[key] = found
        return self._centre[key]

    def for_level(self, clock: Clock, level: str) -> list:
        from aftersales.accounts import queries as people

        chosen = []
        if level == ClockNotice.Level.WARNING:
            if clock.assignee is not None:
                chosen.append(clock.assignee)
            chosen += self._on_duty_and_leads(clock.centre_id)
        elif level == ClockNotice.Level.BREACH:
            if self._managers is None:
                self._managers = list(people.managers())
            chosen += self._managers
            chosen += [u for u in self._on_duty_and_leads(clock.centre_id) if u.role != "lead"]
        else:
            if self._leaders is None:
                self._leaders = list(people.leaders())
            chosen += self._leaders
        unique = {}
        for user in chosen:
            if user.is_active:
                unique.setdefault(user.pk, user)
        return list(unique.values())


def _level_due(clock: Clock, now: datetime) -> str | None:
    if clock.status != Clock.Status.RUNNING or clock.due_at is None:
        return None
    if clock.breached_at is None:
        if clock.due_at <= now:
            return ClockNotice.Level.BREACH
        if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
            return ClockNotice.Level.WARNING
        return None
    if clock.leadership_at is None:
        escalate_at = business_time.add_minutes(clock.breached_at, clock.rule.leadership_after_minutes)
        if escalate_at <= now:
            return ClockNotice.Level.LEADERSHIP
    return None


def _notice_text(clock: Clock, level: str) -> tuple[str, str]:
    milestone = clock.get_milestone_display()
    due = timezone.localtime(clock.due_at, business_time.local_zone()).strftime("%Y-%m-%d %H:%M")
    if level == ClockNotice.Level.WARNING:
        subject = _("[%(ref)s] At risk: %(milestone)s due %(due)s")
        body = _("The promise “%(milestone)s” for %(ref)s is due at %(due)s and is not yet met.")
    elif level == ClockNotice.Level.BREACH:
        subject = _("[%(ref)s] Breached: %(milestone)s was due %(due)s")
        body = _("The promise “%(milestone)s” for %(ref)s was due at %(due)s and was not met.")
    else:
        subject = _("[%(ref)s] Escalated to leadership: %(milestone)s")
        body = _("The promise “%(milestone)s” for %(ref)s breached at %(due)s and is still not met.")
    values = {"ref": clock.reference, "milestone": milestone, "due": due}
    return subject % values, body % values


def _notify(notices: list[subjects.Notice], now: datetime) -> None:
    """One outbox row per notice and recipient, in the recipient's language, one insert."""
    from aftersales.notifications.services import queue_notices

    rows = []
    for notice in notices:
        clock = notice.clock
        for user in notice.recipients:
            with override(user.language or "zh-hans"):
                subject, body = _notice_text(clock, notice.level)
            rows.append(
                {
                    "kind": f"clock_{notice.level}",
                    "recipient": user,
                    "subject": subject,
                    "body": body,
                    "reference": clock.reference,
                    "dedupe_key": f"clock:{clock.pk}:{notice.level}:{user.pk}",
                }
            )
    queue_notices(rows, now=now)


def _apply_level(clock: Clock, level: str, now: datetime) -> None:
    if level == ClockNotice.Level.WARNING:
        clock.warned_at = clock.warned_at or now
    elif level == ClockNotice.Level.BREACH:
        clock.breached_at = clock.breached_at or clock.due_at
    else:
        clock.leadership_at = clock.leadership_at or now


def _write_notices(notices: list[subjects.Notice], now: datetime) -> list[subjects.Notice]:
    """Insert the batch's ClockNotice rows; return the notices that are new.

    Under row locks (PostgreSQL) or IMMEDIATE transactions (SQLite) no other
    sweep holds these clocks, so the bulk insert normally succeeds. The unique
    constraint is the backstop: if another writer got there first, fall back to
    one savepoint per notice and keep only ours.
    """
    rows = [
        ClockNotice(clock=n.clock, level=n.level, created_at=now, recipients=[u.pk for u in n.recipients])
        for n in notices
    ]
    try:
        with transaction.atomic():
            ClockNotice.objects.bulk_create(rows)
        return notices
    except IntegrityError:
        fresh = []
        for notice, row in zip(notices, rows, strict=True):
            row.pk = None
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue
            fresh.append(notice)
        return fresh


def _sweep_batch(now: datetime, recipients: _Recipients, result: SweepResult, batch_size: int) -> int:
    """Handle up to ``batch_size`` due clocks in one transaction; return how many were due.

    Clocks another sweep holds are skipped (``SKIP LOCKED``), so two sweeps
    share the work instead of doubling it. All levels a clock has due are
    handled at once (a sweep that was down sends the breach, not a stale warning).
    """
    with transaction.atomic():
        clocks = list(
            Clock.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("rule", "assignee")
            .filter(next_action_at__lte=now)
            .order_by("next_action_at")[:batch_size]
        )
        if not clocks:
            return 0
        notices: list[subjects.Notice] = []
        for clock in clocks:
            level = _level_due(clock, now)
            while level is not None:
                # A breach supersedes a warning that was never sent: no stale "at risk" notice.
                notices.append(subjects.Notice(clock, level, recipients.for_level(clock, level), now))
                _apply_level(clock, level, now)
                level = _level_due(clock, now)
            clock.next_action_at = _next_action_at(clock, clock.rule)
        Clock.objects.bulk_update(
            clocks, ["warned_at", "breached_at", "leadership_at", "next_action_at"], batch_size=250
        )
        fresh = _write_notices(notices, now) if notices else []
        _notify(fresh, now)
        for notice in fresh:
            if notice.level == ClockNotice.Level.WARNING:
                result.warnings += 1
            elif notice.level == ClockNotice.Level.BREACH:
                result.breaches += 1
            else:
                result.leadership += 1
            result.clock_ids.append(notice.clock.pk)
        by_type: dict[str, list[subjects.Notice]] = {}
        for notice in fresh:
            by_type.setdefault(notice.clock.subject_type, []).append(notice)
        for subject_type, group in by_type.items():
            hooks = subjects.hooks_for(subject_type)
            if hooks is not None:
                hooks.on_notices(group)
                hooks.on_clocks_changed(sorted({n.clock.subject_id for n in group}))
        return len(clocks)


def sweep(*, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """Warn before, and escalate at and after, every due promise; safe to run anywhere, twice.

    Only clocks whose ``next_action_at`` has come are read (an indexed range
    scan), so the cost follows the clocks that are due, not the open ones.
    Clocks are handled in batches, each in one short transaction with a
    fixed number of queries plus one outbox row per recipient.
    """
    now = now or timezone.now()
    recipients = _Recipients(now)
    result = SweepResult()
    while _sweep_batch(now, recipients, result, batch_size):
        pass
    if result.notices:
        logger.info(
            "sweep: %s warnings, %s breaches, %s escalations",
            result.warnings,
            result.breaches,
            result.leadership,
        )
    return result
