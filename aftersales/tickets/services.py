"""Changes to tickets: intake, the workflow moves, clocks, replies, reports and follow-ups.

Every service runs in one transaction, checks the workflow table
(``tickets.workflow``), appends a ``TicketEvent`` for what it changed, and
saves with ``update_fields``. Nothing else assigns ``Ticket.status``.

Optimistic concurrency: each mutating service takes ``expected_version`` (the
version the user's form was built from) and bumps ``version`` with
``UPDATE … SET version = version + 1 WHERE version = expected``; of two saves
based on the same version only one can match, the other is refused with
``Conflict``. ``expected_version=None`` skips the comparison (system work,
scripts) but still bumps the version and locks the row.

Clocks (``commitments``) are started and met here at the moments the letter
names; after each clock change the ticket's denormalised ``next_due_at``,
``has_breach`` and ``is_provisional`` are refreshed in the same transaction.
Notices to people are outbox rows written in the same transaction too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, Model, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.roles import Capability, Role, capabilities_of
from aftersales.commitments.models import Clock, MeetEvent, StartEvent
from aftersales.commitments.services import (
    ClockContext,
    cancel_clocks,
    meet_clocks,
    pause_clocks,
    resume_clocks,
    retarget_clocks,
    start_clocks,
    subject_due_summaries,
    subject_due_summary,
    update_clock_context,
)
from aftersales.commitments.subjects import Notice
from aftersales.core.business_time import add_minutes, local_date, local_zone
from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.core.numbering import next_document_number
from aftersales.customers.models import Contact, Customer, Site
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import queue_notice
from aftersales.tickets import guards, queries, workflow
from aftersales.tickets.models import (
    Attachment,
    Channel,
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
from aftersales.units.models import Contract, Unit, UnitPart

SUBJECT_TYPE = "ticket"
NUMBER_PREFIX = "SR"
CALL_INBOUND = "inbound"
CALL_OUTBOUND = "outbound"
RESTORED_BY_WORKAROUND = "workaround"
RESTORED_BY_SPARE = "spare"
# An e-mail server's clock may run a little ahead of ours; beyond this a "received at" is a typo.
_FUTURE_TOLERANCE_MINUTES = 5
_VALUE_MAX = 300  # TicketEvent.old_value / new_value


# --- helpers -------------------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
    return at or timezone.now()


def _format_moment(moment: datetime) -> str:
    return timezone.localtime(moment, local_zone()).strftime("%Y-%m-%d %H:%M")


def _conflict(ticket: Ticket) -> Conflict:
    last = queries.last_change(ticket)
    if last is None:
        return Conflict(gettext("This ticket was changed by someone else — reload and try again."))
    who = str(last.actor) if last.actor else gettext("the system")
    return Conflict(
        gettext("This ticket was changed by %(who)s at %(when)s — reload and try again.")
        % {"who": who, "when": _format_moment(last.at)}
    )


def _claim(ticket: Ticket, expected_version: int | None) -> None:
    """Take the ticket for this change: compare-and-bump its version, then reload it.

    The conditional UPDATE both locks the row and compares, so of two requests
    built from the same version exactly one passes, on SQLite and PostgreSQL.
    """
    rows = Ticket.objects.filter(pk=ticket.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(version=F("version") + 1):
        raise _conflict(ticket)
    ticket.refresh_from_db()


@contextmanager
def _changing(
    ticket: Ticket, expected_version: int | None, *, also_lock: Ticket | None = None
) -> Iterator[None]:
    """One service's transaction on ``ticket``: claimed first; on refusal the caller's object is
    reloaded, so it never shows a change that was rolled back.

    ``also_lock`` is a second ticket the change touches; both rows are locked in
    id order so two crossed changes cannot deadlock.
    """
    try:
        with transaction.atomic():
            if also_lock is not None:
                list(
                    Ticket.objects.select_for_update()
                    .filter(pk__in=(ticket.pk, also_lock.pk))
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            _claim(ticket, expected_version)
            yield
    except Exception:
        for touched in (ticket, also_lock):
            if touched is not None:
                with suppress(DatabaseError, Ticket.DoesNotExist):
                    touched.refresh_from_db()
        raise


def _save(ticket: Ticket, *fields: str) -> None:
    ticket.save(update_fields=sorted({*fields, "updated_at"}))


def _record(
    ticket: Ticket,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    body: str = "",
    is_public: bool = False,
    from_status: str = "",
    to_status: str = "",
    field: str = "",
    old_value: Any = "",
    new_value: Any = "",
    data: dict | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        at=at,
        actor=by,
        body=body,
        is_public=is_public,
        from_status=from_status,
        to_status=to_status,
        field=field,
        old_value=str(old_value or "")[:_VALUE_MAX],
        new_value=str(new_value or "")[:_VALUE_MAX],
        data=data or {},
    )


def _system_text(message: str, values: dict[str, Any]) -> str:
    """A timeline text the system writes, in the vendor's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % values


def _move(
    ticket: Ticket,
    move_name: str,
    *,
    by: User | None,
    at: datetime,
    why: str = "",
    inputs: dict[str, Any] | None = None,
    data: dict | None = None,
) -> workflow.Move:
    """Check ``move_name`` against the table and change the status: the one place that assigns it."""
    move = workflow.check_move(ticket, move_name, user=by, at=at, inputs=inputs)
    previous = ticket.status
    ticket.status = move.target
    _record(
        ticket,
        TicketEvent.Kind.STATUS,
        by=by,
        at=at,
        body=why,
        is_public=True,
        from_status=previous,
        to_status=move.target,
        data={"move": move.name, **(data or {})},
    )
    return move


def _require_text(value: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message)
    return text


def _not_in_future(moment: datetime, now: datetime, what: str) -> None:
    if moment > add_minutes(now, _FUTURE_TOLERANCE_MINUTES):
        raise InvalidInput(gettext("%(what)s cannot be in the future.") % {"what": what})


# --- clocks --------------------------------------------------------------------------------------


def _clock_context(ticket: Ticket) -> ClockContext:
    return ClockContext(
        customer_id=ticket.customer_id,
        centre_id=ticket.centre_id,
        assignee_id=ticket.assignee_id,
        ticket_kind=ticket.kind,
        severity=ticket.severity,
        is_site_covered=ticket.is_site_covered,
        contract_id=ticket.entitlement_contract_id,
        policy_at=ticket.reported_at,
    )


def _refresh_due(ticket: Ticket) -> tuple[str, ...]:
    """Copy the clocks' summary onto the ticket (the queue sorts on it); returns the fields."""
    summary = subject_due_summary(subject_type=SUBJECT_TYPE, subject_id=ticket.pk)
    ticket.next_due_at = summary.next_due_at
    ticket.has_breach = summary.has_breach
    ticket.is_provisional = summary.is_provisional
    return ("next_due_at", "has_breach", "is_provisional")


def _start(ticket: Ticket, event: str, at: datetime) -> list[Clock]:
    return start_clocks(
        subject_type=SUBJECT_TYPE,
        subject_id=ticket.pk,
        reference=ticket.number,
        event=event,
        at=at,
        context=_clock_context(ticket),
    )


def _meet(ticket: Ticket, event: str, *, at: datetime, by: User | None) -> list[Clock]:
    """Meet the clocks ``event`` meets and put each on the timeline (late ones say so)."""
    met = meet_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, event=event, at=at)
    for clock in met:
        late = clock.breached_at is not None
        values = {
            "milestone": clock.get_milestone_display(),
            "due": _format_moment(clock.due_at) if clock.due_at else "",
        }
        if clock.due_at is None:
            body = _system_text(gettext_noop("“%(milestone)s” reached (measured, no target)."), values)
        elif late:
            body = _system_text(gettext_noop("Promise “%(milestone)s” met late (was due %(due)s)."), values)
        else:
            body = _system_text(gettext_noop("Promise “%(milestone)s” met (due %(due)s)."), values)
        _record(
            ticket,
            TicketEvent.Kind.CLOCK_MET,
            by=by,
            at=at,
            body=body,
            data={
                "clock": clock.pk,
                "milestone": clock.milestone,
                "due_at": clock.due_at.isoformat() if clock.due_at else None,
                "late": late,
            },
        )
    return met


def _first_response(ticket: Ticket, *, at: datetime, by: User | None) -> tuple[str, ...]:
    """A human answered the customer: the response promise (faults or complaints) is met."""
    _meet(ticket, MeetEvent.FIRST_RESPONSE, at=at, by=by)
    if ticket.first_response_at is None:
        ticket.first_response_at = at
        return ("first_response_at",)
    return ()


# --- notices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Addressee:
    recipient: User | None
    address: str
    channel: str
    language: str


def _reporter_addressee(ticket: Ticket) -> _Addressee | None:
    """Where the customer hears from us: the reporter's e-mail, else an SMS to their phone."""
    contact = ticket.reporter
    language = contact.language if contact else settings.LANGUAGE_CODE
    recipient = contact.user if contact and contact.user_id else None
    email = (contact.email if contact else "") or ticket.reporter_email
    if email:
        return _Addressee(recipient, email, OutboxMessage.Channel.EMAIL, language)
    phone = (contact.mobile if contact else "") or ticket.reporter_phone
    if phone:
        return _Addressee(recipient, phone, OutboxMessage.Channel.SMS, language)
    return None


def _render(template: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    base = {
        "vendor_name": settings.AFTERSALES["VENDOR_NAME"],
        "site_url": settings.AFTERSALES["SITE_URL"],
        **context,
    }
    with translation.override(language):
        subject = render_to_string(f"tickets/email/{template}_subject.txt", base).strip()
        body = render_to_string(f"tickets/email/{template}_body.txt", base)
    return subject, body


def _thread_id(ticket: Ticket) -> str:
    """The acknowledgement's Message-ID, so the customer's mail client threads our replies."""
    return (
        OutboxMessage.objects.filter(dedupe_key=f"ticket:{ticket.pk}:ack")
        .values_list("message_id", flat=True)
        .first()
        or ""
    )


def _notify_reporter(
    ticket: Ticket, template: str, *, kind: str, context: dict[str, Any], dedupe_key: str | None = None
) -> OutboxMessage | None:
    addressee = _reporter_addressee(ticket)
    if addressee is None:
        return None
    subject, body = _render(template, addressee.language, {"ticket": ticket, **context})
    return queue_notice(
        kind=kind,
        recipient=addressee.recipient,
        address=addressee.address,
        channel=addressee.channel,
        language=addressee.language,
        subject=subject,
        body=body,
        reference=ticket.number,
        dedupe_key=dedupe_key,
        in_reply_to="" if dedupe_key and dedupe_key.endswith(":ack") else _thread_id(ticket),
    )


def _emergency_contact(ticket: Ticket) -> str:
    """For a severe fault the acknowledgement shows the after-sales manager's direct line."""
    if ticket.severity != Severity.SEVERE:
        return ""
    own = ticket.centre.emergency_contact if ticket.centre is not None else ""
    return own or settings.AFTERSALES_EMERGENCY_CONTACT


# --- access ----------------------------------------------------------------------------------


def _require_capability(user: User, capability: str, label: str) -> None:
    if not user.is_active or user.is_customer_user or not user.has_perm(f"aftersales.{capability}"):
        raise NotPermitted(gettext("%(user)s may not “%(action)s”.") % {"user": user, "action": label})


# --- intake --------------------------------------------------------------------------------------


def _complaint_owner() -> User | None:
    """The customer-service manager who owns complaints (ticket settings, else the first manager)."""
    from aftersales.accounts.queries import managers

    owner = queries.ticket_settings().complaint_owner
    if owner is not None and owner.is_active:
        return owner
    return next(iter(managers()), None)


def _route(site: Site | None, unit: Unit | None) -> tuple[ServiceCentre | None, bool]:
    """The centre for the site and product line, and whether the site is covered at all.

    Without a known site the on-site promises for uncovered sites apply: we
    cannot promise a local engineer where we do not know where to go.
    """
    from aftersales.accounts.queries import route_ticket_centre

    product_line_id = unit.product_model.product_line_id if unit is not None else None
    return route_ticket_centre(site=site, product_line_id=product_line_id)


def _snapshot_entitlement(ticket: Ticket) -> None:
    """The verdict the ticket is opened with; it stays unless a manager overrides it."""
    from aftersales.units.entitlement import entitlement_for

    if ticket.unit is None:
        ticket.entitlement = Entitlement.NOT_APPLICABLE
        return
    verdict = entitlement_for(ticket.unit, part=ticket.part, on=local_date(ticket.reported_at))
    ticket.entitlement = verdict.verdict
    ticket.warranty_ends_on = verdict.warranty_ends_on
    ticket.entitlement_contract = verdict.contract
    ticket.entitlement_reason = str(verdict.reason)[:_VALUE_MAX]


def _validate_intake(
    *,
    by: User | None,
    kind: str,
    channel: str,
    severity: str,
    customer: Customer,
    site: Site | None,
    unit: Unit | None,
    part: UnitPart | None,
    reporter: Contact | None,
    onsite_contact: Contact | None,
    guidance_given: bool,
) -> None:
    if by is not None:
        if by.is_customer_user:
            if not by.is_active or not workflow.is_customer_contact(by, customer):
                raise NotPermitted(gettext("You can report only for your own organisation."))
        else:
            _require_capability(by, Capability.TAKE_REPORT, gettext("take a report"))
    if kind not in Kind.values:
        raise InvalidInput(gettext("Unknown ticket kind “%(kind)s”.") % {"kind": kind})
    if channel not in Channel.values:
        raise InvalidInput(gettext("Unknown channel “%(channel)s”.") % {"channel": channel})
    if severity and severity not in Severity.values:
        raise InvalidInput(gettext("Unknown severity “%(severity)s”.") % {"severity": severity})
    if kind == Kind.FAULT:
        if unit is None:
            raise InvalidInput(gettext("A fault needs the unit (serial number) it concerns."))
        if not severity:
            raise InvalidInput(gettext("A fault needs a severity: severe (business interrupted) or general."))
    if unit is not None and unit.customer_id != customer.pk:
        raise InvalidInput(gettext("Unit %(serial)s belongs to another customer.") % {"serial": unit.serial})
    if site is not None and site.customer_id != customer.pk:
        raise InvalidInput(gettext("The site belongs to another customer."))
    if part is not None and (unit is None or part.unit_id != unit.pk):
        raise InvalidInput(gettext("The part is not a part of this unit."))
    for contact in (reporter, onsite_contact):
        if contact is not None and contact.customer_id not in (customer.pk, customer.parent_id):
            raise InvalidInput(gettext("%(name)s is a contact of another customer.") % {"name": contact.name})
    if guidance_given and channel != Channel.PHONE:
        raise InvalidInput(gettext("Guidance during the call applies to phone reports only."))


def open_ticket(
    *,
    by: User | None,
    kind: str,
    channel: str,
    customer: Customer,
    title: str,
    description: str,
    reported_at: datetime | None = None,
    severity: str = "",
    unit: Unit | None = None,
    part: UnitPart | None = None,
    site: Site | None = None,
    reporter: Contact | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    onsite_contact: Contact | None = None,
    business_impact: str = "",
    centre: ServiceCentre | None = None,
    guidance_given: bool = False,
    guidance: str = "",
    acknowledge: bool = True,
    now: datetime | None = None,
) -> Ticket:
    """Turn a report into a ticket with its number, clocks and acknowledgement.

    ``reported_at`` is when the report reached us and starts the response
    clock: for e-mail the time our mail server received it (not when it was
    fetched), for the phone the call's start, for the web the submission.
    The number's year is the Asia/Shanghai year of creation. ``by`` is the
    specialist taking the report, the customer user reporting on the portal,
    or None for a channel the system reads by itself (the mailbox).
    A phone report with ``guidance_given`` meets the response promise with the
    call itself (L1 hotline guidance). ``acknowledge=False`` queues no
    acknowledgement (mail intake, when one sender has had too many this hour).
    """
    now = _moment(now)
    reported_at = reported_at or now
    site = site or (unit.site if unit is not None else None)
    _validate_intake(
        by=by,
        kind=kind,
        channel=channel,
        severity=severity,
        customer=customer,
        site=site,
        unit=unit,
        part=part,
        reporter=reporter,
        onsite_contact=onsite_contact,
        guidance_given=guidance_given,
    )
    title = _require_text(title, gettext("A ticket needs a title."))
    description = _require_text(description, gettext("A ticket needs a description of the problem."))
    _not_in_future(reported_at, now, gettext("The time the report reached us"))

    with transaction.atomic():
        routed_centre, is_covered = _route(site, unit)
        ticket = Ticket(
            number=next_document_number(NUMBER_PREFIX, at=now),
            kind=kind,
            channel=channel,
            severity=severity,
            status=Status.NEW,
            title=title,
            description=description,
            business_impact=business_impact.strip(),
            customer=customer,
            site=site,
            unit=unit,
            part=part,
            reporter=reporter,
            reporter_name=reporter_name or (reporter.name if reporter else ""),
            reporter_phone=reporter_phone or (reporter.mobile or reporter.phone if reporter else ""),
            reporter_email=reporter_email or (reporter.email if reporter else ""),
            onsite_contact=onsite_contact,
            centre=centre or (None if kind == Kind.COMPLAINT else routed_centre),
            taken_by=by if by is not None and by.is_vendor_staff else None,
            is_site_covered=is_covered,
            reported_at=reported_at,
        )
        if kind == Kind.COMPLAINT:
            ticket.assignee = _complaint_owner()
        _snapshot_entitlement(ticket)
        ticket.save()
        _record(
            ticket,
            TicketEvent.Kind.CREATED,
            by=by,
            at=reported_at,
            is_public=True,
            to_status=Status.NEW,
            data={
                "channel": channel,
                "kind": kind,
                "severity": severity,
                "entitlement": ticket.entitlement,
                "centre": ticket.centre_id,
                "assignee": ticket.assignee_id,
                "is_site_covered": is_covered,
                "entered_at": now.isoformat(),
            },
        )
        _start(ticket, StartEvent.REPORTED, reported_at)
        fields: tuple[str, ...] = ()
        if guidance_given:
            _record(
                ticket,
                TicketEvent.Kind.CALL,
                by=by,
                at=reported_at,
                body=guidance.strip(),
                data={"direction": CALL_INBOUND, "guidance_given": True},
            )
            fields = _first_response(ticket, at=reported_at, by=by)
        message = None
        if acknowledge:
            message = _notify_reporter(
                ticket,
                "acknowledgement",
                kind="ticket_acknowledgement",
                context={"emergency_contact": _emergency_contact(ticket)},
                dedupe_key=f"ticket:{ticket.pk}:ack",
            )
        if message is not None:
            _record(
                ticket,
                TicketEvent.Kind.ACKNOWLEDGEMENT,
                by=None,
                at=now,
                is_public=True,
                body=message.subject,
                data={"outbox": message.pk, "channel": message.channel},
            )
        fields = (*fields, *_refresh_due(ticket))
        if ticket.assignee is not None:
            _notify_assignee(ticket, by=by)
        _save(ticket, *fields)
    return ticket


# --- details -------------------------------------------------------------------------------------


def update_ticket_details(
    *,
    ticket: Ticket,
    by: User,
    title: str | None = None,
    description: str | None = None,
    business_impact: str | None = None,
    onsite_contact: Contact | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Correct what the customer told us; each changed field goes on the timeline."""
    at = _moment(at)
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "edit", user=by)
        changes = {}
        if title is not None:
            changes["title"] = _require_text(title, gettext("A ticket needs a title."))
        if description is not None:
            changes["description"] = _require_text(
                description, gettext("A ticket needs a description of the problem.")
            )
        if business_impact is not None:
            changes["business_impact"] = business_impact.strip()
        if onsite_contact is not None:
            if onsite_contact.customer_id not in (ticket.customer_id, ticket.customer.parent_id):
                raise InvalidInput(
                    gettext("%(name)s is a contact of another customer.") % {"name": onsite_contact.name}
                )
            changes["onsite_contact"] = onsite_contact
        changed = _apply_changes(ticket, changes, by=by, at=at)
        if not changed:
            raise InvalidInput(gettext("Nothing was changed."))
        _save(ticket, *changed)
    return ticket


def _apply_changes(ticket: Ticket, changes: dict[str, Any], *, by: User | None, at: datetime) -> list[str]:
    changed = []
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old == value:
            continue
        setattr(ticket, name, value)
        ids = {}
        if isinstance(old, Model) or isinstance(value, Model):
            ids = {"old_id": getattr(old, "pk", None), "new_id": getattr(value, "pk", None)}
        _record(
            ticket, TicketEvent.Kind.FIELD, by=by, at=at, field=name, old_value=old, new_value=value, data=ids
        )
        changed.append(name)
    return changed


# --- the workflow moves --------------------------------------------------------------------------


def accept_ticket(
    *, ticket: Ticket, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Ticket:
    """The centre (or the complaint owner) takes the ticket on."""
    at = _moment(at)
    with _changing(ticket, expected_version):
        _move(ticket, "accept", by=by, at=at)
        _save(ticket, "status")
    return ticket


def start_work(
    *, ticket: Ticket, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Ticket:
    at = _moment(at)
    with _changing(ticket, expected_version):
        _move(ticket, "start_work", by=by, at=at)
        _save(ticket, "status")
    return ticket


def wait_for_customer(
    *,
    ticket: Ticket,
    by: User,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Work stops until the customer answers (logs, access, a test window); pausable clocks pause."""
    at = _moment(at)
    reason = _require_text(reason, gettext("Say what we are waiting for from the customer."))
    with _changing(ticket, expected_version):
        _move(ticket, "wait_for_customer", by=by, at=at, why=reason)
        pause_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, at=at)
        _save(ticket, "status", *_refresh_due(ticket))
    return ticket


def customer_replied(
    *,
    ticket: Ticket,
    by: User | None,
    body: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """The customer answered: back to work, paused clocks resume with the time they had left.

    ``by`` is the staff member recording it, the customer user on the portal,
    or None when the answer arrived by mail.
    """
    at = _moment(at)
    with _changing(ticket, expected_version):
        _move(ticket, "customer_replied", by=by, at=at)
        _record(ticket, TicketEvent.Kind.CUSTOMER_REPLY, by=by, at=at, body=body.strip(), is_public=True)
        resume_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, at=at)
        _save(ticket, "status", *_refresh_due(ticket))
    return ticket


def _write_report(
    ticket: Ticket,
    *,
    by: User,
    at: datetime,
    diagnosis: str,
    actions_taken: str,
    level_reached: str,
    root_cause: str,
) -> HandlingReport:
    diagnosis = _require_text(diagnosis, gettext("The handling report needs the diagnosis."))
    actions_taken = _require_text(actions_taken, gettext("The handling report needs what was done."))
    if level_reached not in Level.values:
        raise InvalidInput(gettext("The handling report needs the level reached: L1, L2 or L3."))
    report = HandlingReport.objects.create(
        ticket=ticket,
        diagnosis=diagnosis,
        actions_taken=actions_taken,
        level_reached=level_reached,
        root_cause=root_cause.strip(),
        author=by,
        created_at=at,
    )
    _record(
        ticket,
        TicketEvent.Kind.HANDLING_REPORT,
        by=by,
        at=at,
        body=diagnosis,
        data={"report": report.pk, "level_reached": level_reached},
    )
    return report


def write_handling_report(
    *,
    ticket: Ticket,
    by: User,
    diagnosis: str,
    actions_taken: str,
    level_reached: str,
    root_cause: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> HandlingReport:
    """The centre's handling report (处理报告), which the specialist reads before the follow-up."""
    at = _moment(at)
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "write_handling_report", user=by)
        report = _write_report(
            ticket,
            by=by,
            at=at,
            diagnosis=diagnosis,
            actions_taken=actions_taken,
            level_reached=level_reached,
            root_cause=root_cause,
        )
        _save(ticket)
    return report


def resolve_ticket(
    *,
    ticket: Ticket,
    by: User,
    diagnosis: str = "",
    actions_taken: str = "",
    level_reached: str = "",
    root_cause: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Resolve with the centre's handling report (given here, or written since the last reopening).

    The ticket records the service level at which it was solved; a fault not
    yet marked restored is restored now; the customer is asked to confirm (a
    human answer, so it meets the response promise if nothing had yet).
    """
    at = _moment(at)
    has_new_report = any(value.strip() for value in (diagnosis, actions_taken, level_reached))
    with _changing(ticket, expected_version):
        current = None if has_new_report else queries.current_handling_report(ticket)
        move_inputs = {"has_new_report": has_new_report, "has_current_report": current is not None}
        workflow.check_move(ticket, "resolve", user=by, at=at, inputs=move_inputs)
        if has_new_report:
            current = _write_report(
                ticket,
                by=by,
                at=at,
                diagnosis=diagnosis,
                actions_taken=actions_taken,
                level_reached=level_reached,
                root_cause=root_cause,
            )
        _move(ticket, "resolve", by=by, at=at, inputs=move_inputs)
        ticket.resolved_at = at
        fields = ["status", "resolved_at", "level_reached", "restored_at"]
        if current is not None:
            ticket.level_reached = current.level_reached
        if ticket.kind == Kind.FAULT and ticket.restored_at is None:
            ticket.restored_at = at
            _meet(ticket, MeetEvent.RESTORED, at=at, by=by)
        # Telling the customer it is solved is a human answer, if nobody had answered yet.
        fields += _first_response(ticket, at=at, by=by)
        _notify_reporter(ticket, "resolved", kind="ticket_resolved", context={"report": current})
        _save(ticket, *fields, *_refresh_due(ticket))
    return ticket


def record_follow_up(
    *,
    ticket: Ticket,
    by: User,
    is_fixed: bool,
    satisfaction: int | None = None,
    comment: str = "",
    channel: str = Channel.PHONE,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """The follow-up (回访): fixed → satisfaction 1–5 and comment → closed; not fixed → back to work."""
    at = _moment(at)
    comment = comment.strip()
    if is_fixed and (not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5):
        raise InvalidInput(gettext("Record the customer's satisfaction from 1 to 5."))
    if not is_fixed and not comment:
        raise InvalidInput(gettext("Say what is still not working."))
    if channel not in Channel.values:
        raise InvalidInput(gettext("Unknown channel “%(channel)s”.") % {"channel": channel})
    with _changing(ticket, expected_version):
        workflow.check_move(ticket, "confirm_fixed" if is_fixed else "not_fixed", user=by, at=at)
        if is_fixed and (blocks := guards.close_blocks(ticket)):
            raise InvalidTransition(
                _blocked_close_message(blocks)
                + " "
                + gettext("Settle it first; a manager may close the ticket anyway with an override reason."),
                code="close_blocked",
            )
        follow_up = FollowUp.objects.create(
            ticket=ticket,
            is_fixed=is_fixed,
            satisfaction=satisfaction if is_fixed else None,
            comment=comment,
            recorded_by=by,
            channel=channel,
            created_at=at,
        )
        _record(
            ticket,
            TicketEvent.Kind.FOLLOW_UP,
            by=by,
            at=at,
            body=comment,
            data={"follow_up": follow_up.pk, "is_fixed": is_fixed, "satisfaction": follow_up.satisfaction},
        )
        if is_fixed:
            _move(ticket, "confirm_fixed", by=by, at=at)
            ticket.closed_at = at
            cancel_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, at=at)
        else:
            _move(ticket, "not_fixed", by=by, at=at, why=comment)
            ticket.resolved_at = None
        _save(ticket, "status", "closed_at", "resolved_at", *_refresh_due(ticket))
    return ticket


def _blocked_close_message(blocks: list[guards.CloseBlock]) -> str:
    return gettext("The ticket cannot close yet: %(reasons)s") % {
        "reasons": " ".join(block.message for block in blocks)
    }


def _check_close_guards(ticket: Ticket, *, by: User | None, at: datetime, override_reason: str = "") -> None:
    """Refuse to close while a guard objects, unless a manager gives an override reason.

    The override is written on the timeline (who, when, why, which records were
    still open), so the exception stays visible after the ticket closed.
    """
    blocks = guards.close_blocks(ticket)
    if not blocks:
        return
    override_reason = (override_reason or "").strip()
    if not override_reason:
        raise InvalidTransition(
            _blocked_close_message(blocks)
            + " "
            + gettext("A manager may close it anyway with an override reason."),
            code="close_blocked",
        )
    if by is None or not by.has_perm(f"aftersales.{Capability.GRANT_APPROVAL}"):
        raise NotPermitted(
            _blocked_close_message(blocks) + " " + gettext("Only a manager may close it anyway."),
            code="close_blocked",
        )
    _record(
        ticket,
        TicketEvent.Kind.NOTE,
        by=by,
        at=at,
        body=override_reason,
        data={
            "close_override": True,
            "blocks": [{"guard": b.guard, "reference": b.reference, "message": b.message} for b in blocks],
        },
    )


def close_ticket(
    *,
    ticket: Ticket,
    by: User,
    reason: str,
    override_reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Close a resolved ticket without the follow-up call (the customer confirmed another way).

    While a close guard objects (a loan still out) only a manager may close, with
    ``override_reason``, which goes on the timeline.
    """
    at = _moment(at)
    reason = _require_text(reason, gettext("Say why the ticket is closed without a follow-up."))
    with _changing(ticket, expected_version):
        workflow.check_move(ticket, "close", user=by, at=at)
        _check_close_guards(ticket, by=by, at=at, override_reason=override_reason)
        _move(ticket, "close", by=by, at=at, why=reason)
        ticket.closed_at = at
        cancel_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, at=at)
        _save(ticket, "status", "closed_at", *_refresh_due(ticket))
    return ticket


_CUSTOMER_CONTACT_KINDS = (
    TicketEvent.Kind.CUSTOMER_REPLY,
    TicketEvent.Kind.CALL,
    TicketEvent.Kind.REPLY,
    TicketEvent.Kind.FOLLOW_UP,
)


def _last_contact_at(ticket: Ticket) -> datetime | None:
    return (
        ticket.events.filter(kind__in=_CUSTOMER_CONTACT_KINDS)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def auto_close_silent_tickets(*, now: datetime | None = None) -> list[Ticket]:
    """Close resolved tickets whose customer stayed silent for the configured days.

    Silence counts from the resolution or the last contact with the customer
    (a reply, a call, a follow-up attempt), whichever is later. Idempotent and
    safe on two workers: each ticket is closed in its own transaction after
    re-reading it under a row lock, so a ticket closed (or reopened) meanwhile
    is skipped. The timeline says it was closed automatically.
    """
    now = _moment(now)
    days = queries.ticket_settings().auto_close_after_days
    cutoff = add_minutes(now, -days * workflow.MINUTES_PER_DAY)
    recent_contact = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), kind__in=_CUSTOMER_CONTACT_KINDS, at__gt=cutoff
    )
    candidates = list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
        .exclude(Exists(recent_contact))
        .order_by("resolved_at")
        .values_list("pk", flat=True)
    )
    closed = []
    for pk in candidates:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=pk, status=Status.RESOLVED).first()
            if ticket is None:
                continue
            try:
                workflow.check_move(
                    ticket,
                    "auto_close",
                    user=None,
                    at=now,
                    inputs={"last_contact_at": _last_contact_at(ticket)},
                )
            except InvalidTransition:
                continue
            if guards.close_blocks(ticket):
                continue  # e.g. a loan still out: closing it needs a person
            _claim(ticket, None)
            why = _system_text(
                gettext_noop(
                    "Closed automatically: no reply from the customer for %(days)s days after resolution."
                ),
                {"days": days},
            )
            _move(ticket, "auto_close", by=None, at=now, why=why, data={"auto_closed": True, "days": days})
            ticket.closed_at = now
            ticket.auto_closed = True
            cancel_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, at=now)
            _save(ticket, "status", "closed_at", "auto_closed", *_refresh_due(ticket))
            closed.append(ticket)
    return closed


def reopen_ticket(
    *,
    ticket: Ticket,
    by: User,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """The problem came back soon after closing: back to work (within the reopen window)."""
    at = _moment(at)
    reason = _require_text(reason, gettext("Say why the ticket is reopened."))
    with _changing(ticket, expected_version):
        _move(ticket, "reopen", by=by, at=at, why=reason)
        ticket.closed_at = None
        ticket.resolved_at = None
        ticket.auto_closed = False
        _save(ticket, "status", "closed_at", "resolved_at", "auto_closed")
    return ticket


def cancel_ticket(
    *,
    ticket: Ticket,
    by: User,
    reason: str = "",
    duplicate_of: Ticket | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Cancel an open ticket with a reason, or as a duplicate of another (both timelines say so)."""
    at = _moment(at)
    reason = (reason or "").strip()
    if duplicate_of is None and not reason:
        raise InvalidInput(gettext("Say why the ticket is cancelled."))
    with _changing(ticket, expected_version, also_lock=duplicate_of):
        if duplicate_of is None:
            _move(ticket, "cancel", by=by, at=at, why=reason)
            fields = ["status"]
        else:
            duplicate_of.refresh_from_db()
            _move(
                ticket,
                "mark_duplicate",
                by=by,
                at=at,
                why=reason,
                inputs={"duplicate_of": duplicate_of},
                data={"duplicate_of": duplicate_of.number},
            )
            ticket.duplicate_of = duplicate_of
            fields = ["status", "duplicate_of"]
            _claim(duplicate_of, None)
            _record(
                duplicate_of,
                TicketEvent.Kind.DUPLICATE,
                by=by,
                at=at,
                is_public=True,
                body=_system_text(
                    gettext_noop("%(number)s was marked as a duplicate of this ticket."),
                    {"number": ticket.number},
                ),
                data={"duplicate": ticket.number},
            )
            _record(
                ticket,
                TicketEvent.Kind.DUPLICATE,
                by=by,
                at=at,
                is_public=True,
                body=_system_text(gettext_noop("Duplicate of %(number)s."), {"number": duplicate_of.number}),
                data={"duplicate_of": duplicate_of.number},
            )
            _save(duplicate_of)
        cancel_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, at=at)
        _save(ticket, *fields, *_refresh_due(ticket))
    return ticket


# --- conversation ----------------------------------------------------------------------------------


def reply_to_customer(
    *,
    ticket: Ticket,
    by: User,
    body: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """A public reply, sent to the reporter; the first one meets the response promise."""
    at = _moment(at)
    body = _require_text(body, gettext("The reply is empty."))
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "reply", user=by)
        event = _record(ticket, TicketEvent.Kind.REPLY, by=by, at=at, body=body, is_public=True)
        _notify_reporter(
            ticket,
            "reply",
            kind="ticket_reply",
            context={"body": body, "author": by},
            dedupe_key=f"ticket:{ticket.pk}:reply:{event.pk}",
        )
        fields = _first_response(ticket, at=at, by=by)
        _save(ticket, *fields, *_refresh_due(ticket))
    return ticket


def add_internal_note(
    *,
    ticket: Ticket,
    by: User,
    body: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """A note for colleagues only: never shown to the customer, never a response."""
    at = _moment(at)
    body = _require_text(body, gettext("The note is empty."))
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "note", user=by)
        _record(ticket, TicketEvent.Kind.NOTE, by=by, at=at, body=body)
        _save(ticket)
    return ticket


def log_call(
    *,
    ticket: Ticket,
    by: User,
    direction: str,
    summary: str,
    contact: Contact | None = None,
    guidance_given: bool = False,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """A phone call with the customer. Calling the customer back is a human response, and so is
    an inbound call in which we gave guidance; either meets the response promise."""
    at = _moment(at)
    if direction not in (CALL_INBOUND, CALL_OUTBOUND):
        raise InvalidInput(gettext("A call is inbound or outbound."))
    summary = _require_text(summary, gettext("Summarise the call."))
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "log_call", user=by)
        if contact is not None and contact.customer_id not in (ticket.customer_id, ticket.customer.parent_id):
            raise InvalidInput(gettext("%(name)s is a contact of another customer.") % {"name": contact.name})
        _record(
            ticket,
            TicketEvent.Kind.CALL,
            by=by,
            at=at,
            body=summary,
            data={
                "direction": direction,
                "contact": contact.pk if contact else None,
                "guidance_given": guidance_given,
            },
        )
        fields: tuple[str, ...] = ()
        if direction == CALL_OUTBOUND or guidance_given:
            fields = _first_response(ticket, at=at, by=by)
        _save(ticket, *fields, *_refresh_due(ticket))
    return ticket


# --- assignment, severity, entitlement ---------------------------------------------------------


def _notify_assignee(ticket: Ticket, *, by: User | None) -> None:
    assignee = ticket.assignee
    if assignee is None or assignee == by:
        return
    language = assignee.language or settings.LANGUAGE_CODE
    subject, body = _render("assigned", language, {"ticket": ticket, "assignee": assignee, "by": by})
    queue_notice(
        kind="ticket_assigned",
        recipient=assignee,
        language=language,
        subject=subject,
        body=body,
        reference=ticket.number,
    )


def _check_assignee(assignee: User, centre: ServiceCentre | None) -> None:
    if not assignee.is_active or not assignee.is_vendor_staff:
        raise InvalidInput(gettext("%(user)s is not active vendor staff.") % {"user": assignee})
    if Capability.REPLY_TICKET not in capabilities_of(assignee.role):
        raise InvalidInput(gettext("%(user)s does not work on tickets.") % {"user": assignee})
    if assignee.role in (Role.ENGINEER, Role.LEAD) and (centre is None or assignee.centre_id != centre.pk):
        raise InvalidInput(
            gettext("%(user)s does not belong to %(centre)s.")
            % {"user": assignee, "centre": centre or gettext("the ticket's centre")}
        )


def _assignee_stays(assignee: User | None, centre: ServiceCentre | None) -> bool:
    """Whether the current assignee may keep the ticket at ``centre`` (R&D and head office may)."""
    if assignee is None:
        return True
    return assignee.role not in (Role.ENGINEER, Role.LEAD) or (
        centre is not None and assignee.centre_id == centre.pk
    )


def _after_assignment(ticket: Ticket, changed: list[str], *, by: User, at: datetime, reason: str) -> None:
    if reason.strip():
        _record(ticket, TicketEvent.Kind.NOTE, by=by, at=at, body=reason.strip())
    update_clock_context(
        subject_type=SUBJECT_TYPE,
        subject_id=ticket.pk,
        centre_id=ticket.centre_id,
        assignee_id=ticket.assignee_id,
    )
    if "assignee" in changed:
        _notify_assignee(ticket, by=by)
    _save(ticket, *changed)


def route_ticket(
    *,
    ticket: Ticket,
    by: User,
    centre: ServiceCentre,
    reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Forward the ticket to another technical support centre (overriding the automatic routing).

    An engineer of the old centre loses the ticket; the clocks' escalation
    recipients follow the new centre.
    """
    at = _moment(at)
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "route", user=by)
        if centre.is_rnd:
            raise InvalidInput(gettext("The R&D team supports every centre; route the ticket to a centre."))
        changes: dict[str, Any] = {"centre": centre}
        if not _assignee_stays(ticket.assignee, centre):
            changes["assignee"] = None
        changed = _apply_changes(ticket, changes, by=by, at=at)
        if not changed:
            raise InvalidInput(gettext("The ticket is already at %(centre)s.") % {"centre": centre})
        _after_assignment(ticket, changed, by=by, at=at, reason=reason)
    return ticket


def assign_ticket(
    *,
    ticket: Ticket,
    by: User,
    assignee: User | None,
    reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Give the ticket to a person (None: back to the centre's pool).

    An engineer or lead must belong to the ticket's centre; R&D engineers and
    head-office staff work across centres. A ticket without a centre goes to
    the engineer's. The clocks' escalation recipients follow the assignee.
    """
    at = _moment(at)
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "assign", user=by)
        changes: dict[str, Any] = {"assignee": assignee}
        if assignee is not None:
            centre = ticket.centre
            if centre is None and assignee.role in (Role.ENGINEER, Role.LEAD):
                centre = changes["centre"] = assignee.centre
            _check_assignee(assignee, centre)
        changed = _apply_changes(ticket, changes, by=by, at=at)
        if not changed:
            raise InvalidInput(gettext("The ticket is already assigned so."))
        _after_assignment(ticket, changed, by=by, at=at, reason=reason)
    return ticket


def change_severity(
    *,
    ticket: Ticket,
    by: User,
    severity: str,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Re-classify a fault. Its clocks take the new targets from their original start, so the
    time already spent counts; a promise already breached stays breached."""
    at = _moment(at)
    if severity not in Severity.values:
        raise InvalidInput(gettext("Unknown severity “%(severity)s”.") % {"severity": severity})
    reason = _require_text(reason, gettext("A severity change needs a reason."))
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "change_severity", user=by)
        if ticket.severity == severity:
            raise InvalidInput(gettext("The fault already has this severity."))
        old = ticket.severity
        ticket.severity = severity
        _record(
            ticket,
            TicketEvent.Kind.FIELD,
            by=by,
            at=at,
            field="severity",
            old_value=old,
            new_value=severity,
            body=reason,
        )
        retarget_clocks(
            subject_type=SUBJECT_TYPE, subject_id=ticket.pk, context=_clock_context(ticket), at=at
        )
        _save(ticket, "severity", *_refresh_due(ticket))
    return ticket


def override_entitlement(
    *,
    ticket: Ticket,
    by: User,
    entitlement: str,
    reason: str,
    contract: Contract | None = None,
    warranty_ends_on: date | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """A manager overrides the verdict the ticket was opened with (goodwill, a contract found late).

    A covering contract with its own promises re-targets the clocks.
    """
    at = _moment(at)
    if entitlement not in Entitlement.values:
        raise InvalidInput(gettext("Unknown entitlement “%(value)s”.") % {"value": entitlement})
    reason = _require_text(reason, gettext("An entitlement override needs a reason."))
    if entitlement == Entitlement.UNDER_CONTRACT and contract is None:
        raise InvalidInput(gettext("Name the contract that covers the ticket."))
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "override_entitlement", user=by)
        if contract is not None and contract.customer_id not in (
            ticket.customer_id,
            ticket.customer.parent_id,
        ):
            raise InvalidInput(
                gettext("Contract %(number)s belongs to another customer.") % {"number": contract.number}
            )
        old = ticket.entitlement
        old_contract = ticket.entitlement_contract_id
        ticket.entitlement = entitlement
        ticket.entitlement_contract = contract
        if warranty_ends_on is not None:
            ticket.warranty_ends_on = warranty_ends_on
        ticket.entitlement_reason = reason[:_VALUE_MAX]
        ticket.entitlement_overridden = True
        _record(
            ticket,
            TicketEvent.Kind.ENTITLEMENT,
            by=by,
            at=at,
            field="entitlement",
            old_value=old,
            new_value=entitlement,
            body=reason,
            data={"contract": contract.pk if contract else None, "previous_contract": old_contract},
        )
        fields: tuple[str, ...] = ()
        if ticket.entitlement_contract_id != old_contract:
            retarget_clocks(
                subject_type=SUBJECT_TYPE, subject_id=ticket.pk, context=_clock_context(ticket), at=at
            )
            fields = _refresh_due(ticket)
        _save(
            ticket,
            "entitlement",
            "entitlement_contract",
            "warranty_ends_on",
            "entitlement_reason",
            "entitlement_overridden",
            *fields,
        )
    return ticket


def record_complaint_outcome(
    *,
    ticket: Ticket,
    by: User,
    outcome: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """What the customer-service manager did about a complaint; resolving a complaint needs it."""
    at = _moment(at)
    outcome = _require_text(outcome, gettext("Describe the outcome of the complaint."))
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "record_complaint_outcome", user=by)
        changed = _apply_changes(ticket, {"complaint_outcome": outcome}, by=by, at=at)
        _save(ticket, *changed)
    return ticket


# --- on site and restoration ---------------------------------------------------------------------


def request_onsite(
    *,
    ticket: Ticket,
    by: User,
    rnd: bool = False,
    description: str | None = None,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Ask for an engineer on site (L3); ``rnd=True`` asks for an R&D engineer and starts only
    the R&D promise. The letter wants a detailed fault description first: a short one is refused
    (``description`` replaces the ticket's in the same step)."""
    at = _moment(at)
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "request_onsite", user=by)
        fields = []
        if description is not None:
            fields += _apply_changes(
                ticket,
                {
                    "description": _require_text(
                        description, gettext("A ticket needs a description of the problem.")
                    )
                },
                by=by,
                at=at,
            )
        minimum = queries.ticket_settings().onsite_description_min_length
        length = len(ticket.description.strip())
        if length < minimum:
            raise InvalidInput(
                gettext(
                    "On-site service needs a detailed fault description: at least %(minimum)s characters "
                    "(now %(length)s)."
                )
                % {"minimum": minimum, "length": length}
            )
        already = ticket.rnd_onsite_requested_at if rnd else ticket.onsite_requested_at
        if already is not None:
            raise InvalidTransition(
                gettext("On-site service by %(who)s was already requested at %(when)s.")
                % {
                    "who": gettext("an R&D engineer") if rnd else gettext("a local engineer"),
                    "when": _format_moment(already),
                }
            )
        if rnd:
            ticket.rnd_onsite_requested_at = at
            fields.append("rnd_onsite_requested_at")
        else:
            ticket.onsite_requested_at = at
            fields.append("onsite_requested_at")
        ticket.level_reached = Level.L3
        _record(
            ticket,
            TicketEvent.Kind.ONSITE,
            by=by,
            at=at,
            body=note.strip(),
            is_public=True,
            data={"requested": "rnd" if rnd else "local"},
        )
        _start(ticket, StartEvent.RND_ONSITE_REQUESTED if rnd else StartEvent.ONSITE_REQUESTED, at)
        _save(ticket, *fields, "level_reached", *_refresh_due(ticket))
    return ticket


def record_arrival(
    *,
    ticket: Ticket,
    engineer: User,
    at: datetime,
    by: User | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """An engineer arrived on site: meets the on-site promise of the engineer's kind (R&D or local).

    Called by ``visits.services`` once the customer's on-site contact has confirmed the arrival
    (a code or a signature), with the arrival time; the ticket page offers no bare button for it,
    so a promise is never met by a status change alone.
    """
    now = _moment(now)
    by = by or engineer
    _not_in_future(at, now, gettext("The arrival"))
    if not engineer.is_active or not engineer.is_vendor_staff:
        raise InvalidInput(gettext("%(user)s is not active vendor staff.") % {"user": engineer})
    is_rnd = engineer.role == Role.RND
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "record_arrival", user=by)
        requested = [m for m in (ticket.onsite_requested_at, ticket.rnd_onsite_requested_at) if m]
        if not requested:
            raise InvalidTransition(
                gettext("No on-site service was requested for %(number)s.") % {"number": ticket.number}
            )
        if at < min(requested):
            raise InvalidInput(gettext("The arrival cannot precede the on-site request."))
        field = "rnd_arrived_at" if is_rnd else "local_arrived_at"
        fields = ["level_reached"]
        if getattr(ticket, field) is None:
            setattr(ticket, field, at)
            fields.append(field)
        ticket.level_reached = Level.L3
        _record(
            ticket,
            TicketEvent.Kind.ONSITE,
            by=by,
            at=at,
            is_public=True,
            body=_system_text(gettext_noop("%(engineer)s arrived on site."), {"engineer": engineer}),
            data={"arrived": "rnd" if is_rnd else "local", "engineer": engineer.pk},
        )
        _meet(ticket, MeetEvent.RND_ARRIVAL if is_rnd else MeetEvent.LOCAL_ARRIVAL, at=at, by=by)
        _save(ticket, *fields, *_refresh_due(ticket))
    return ticket


def record_restored(
    *,
    ticket: Ticket,
    by: User,
    how: str,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Service restored (by a workaround or a spare unit): measured apart from the final fix."""
    at = _moment(at)
    if how not in (RESTORED_BY_WORKAROUND, RESTORED_BY_SPARE):
        raise InvalidInput(gettext("Service is restored by a workaround or a spare unit."))
    with _changing(ticket, expected_version):
        workflow.check_action(ticket, "record_restored", user=by)
        if ticket.restored_at is not None:
            raise InvalidTransition(
                gettext("Service was already restored at %(when)s.")
                % {"when": _format_moment(ticket.restored_at)}
            )
        ticket.restored_at = at
        _record(
            ticket,
            TicketEvent.Kind.RESTORED,
            by=by,
            at=at,
            body=note.strip(),
            is_public=True,
            data={"how": how},
        )
        _meet(ticket, MeetEvent.RESTORED, at=at, by=by)
        _save(ticket, "restored_at", *_refresh_due(ticket))
    return ticket


# --- hooks for the escalation sweep (registered in TicketsConfig.ready) --------------------------

_NOTICE_EVENT = {
    "warning": TicketEvent.Kind.CLOCK_WARNING,
    "breach": TicketEvent.Kind.CLOCK_BREACHED,
    "leadership": TicketEvent.Kind.ESCALATED,
}
_NOTICE_TEXT = {
    "warning": gettext_noop("Promise “%(milestone)s” due %(due)s is at risk; told %(people)s."),
    "breach": gettext_noop("Promise “%(milestone)s” due %(due)s was breached; escalated to %(people)s."),
    "leadership": gettext_noop(
        "Promise “%(milestone)s” due %(due)s is still not met; escalated to %(people)s."
    ),
}


def record_clock_notices(notices: list[Notice]) -> None:
    """One timeline event per clock notice, written inside the sweep's transaction.

    Batched: the sweep hands over a whole batch, written with one insert. Does
    not bump the tickets' versions: a warning is not an edit, and must not make
    someone's pending save conflict.
    """
    ticket_ids = {notice.clock.subject_id for notice in notices}
    # A clock may name a ticket id that is not (or no longer) a ticket.
    existing = set(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", flat=True))
    events = []
    for notice in notices:
        clock = notice.clock
        if clock.subject_id not in existing:
            continue
        body = _system_text(
            _NOTICE_TEXT[notice.level],
            {
                "milestone": clock.get_milestone_display(),
                "due": _format_moment(clock.due_at) if clock.due_at else "-",
                "people": ", ".join(str(user) for user in notice.recipients) or "-",
            },
        )
        events.append(
            TicketEvent(
                ticket_id=clock.subject_id,
                kind=_NOTICE_EVENT[notice.level],
                at=notice.at,
                body=body,
                data={
                    "clock": clock.pk,
                    "milestone": clock.milestone,
                    "level": notice.level,
                    "recipients": [user.pk for user in notice.recipients],
                },
            )
        )
    TicketEvent.objects.bulk_create(events, batch_size=500)


def refresh_tickets_due(subject_ids: list[int]) -> None:
    """Refresh the queue's denormalised due fields after the sweep changed clocks."""
    summaries = subject_due_summaries(subject_type=SUBJECT_TYPE, subject_ids=subject_ids)
    tickets = [
        Ticket(
            pk=ticket_id,
            next_due_at=summary.next_due_at,
            has_breach=summary.has_breach,
            is_provisional=summary.is_provisional,
        )
        for ticket_id, summary in summaries.items()
    ]
    Ticket.objects.bulk_update(tickets, ["next_due_at", "has_breach", "is_provisional"], batch_size=250)


# --- customer messages and attachments -----------------------------------------------------------


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel received it: mail intake builds these from MIME parts.

    ``content`` is None when the channel already knows it will not keep the
    file (then ``size`` says how large it was); the portal may pass Django
    ``UploadedFile`` objects to ``attach_files`` instead.
    """

    name: str
    content_type: str
    content: bytes | None
    size: int | None = None


def max_attachment_bytes() -> int:
    """The configured size limit (``AFTERSALES_MAX_ATTACHMENT_MB``, default 25 MB)."""
    return int(float(settings.AFTERSALES_MAX_ATTACHMENT_MB) * 1024 * 1024)


_NAME_UNSAFE = str.maketrans({"\r": " ", "\n": " ", "\x00": "", "/": "_", "\\": "_"})


def _display_name(name: str) -> str:
    """The sender's file name, for display only: no path, no control characters."""
    return name.translate(_NAME_UNSAFE).strip()[:255]


def _as_incoming(upload: IncomingFile | File) -> IncomingFile:
    if isinstance(upload, IncomingFile):
        return upload
    content = b"".join(upload.chunks())
    return IncomingFile(
        name=upload.name or "",
        content_type=getattr(upload, "content_type", "") or "application/octet-stream",
        content=content,
        size=len(content),
    )


def attach_files(
    *,
    ticket: Ticket,
    files: Iterable[IncomingFile | File],
    at: datetime,
    by: User | None = None,
    event: TicketEvent | None = None,
    is_public: bool = True,
) -> list[Attachment]:
    """Keep the files sent with a ticket under generated names, in the caller's transaction.

    A file over the configured limit is recorded as refused, without content,
    and an internal note tells staff what was not kept: the message it came
    with is still taken in. Call inside the transaction that records ``event``.
    """
    limit = max_attachment_bytes()
    kept = []
    refused_names = []
    for upload in files:
        incoming = _as_incoming(upload)
        size = incoming.size if incoming.size is not None else len(incoming.content or b"")
        attachment = Attachment(
            ticket=ticket,
            event=event,
            original_name=_display_name(incoming.name),
            content_type=(incoming.content_type or "application/octet-stream")[:120],
            size=size,
            is_public=is_public,
            uploaded_by=by,
            created_at=at,
        )
        if incoming.content is None or size > limit:
            attachment.refused = True
            attachment.refusal_reason = _system_text(
                gettext_noop("Larger than the %(limit)s MB limit (%(size)s bytes); not kept."),
                {"limit": settings.AFTERSALES_MAX_ATTACHMENT_MB, "size": size},
            )[:300]
            refused_names.append(attachment.original_name or "-")
        else:
            attachment.sha256 = hashlib.sha256(incoming.content).hexdigest()
            attachment.file.save(incoming.name or "file", ContentFile(incoming.content), save=False)
        attachment.save()
        kept.append(attachment)
    if refused_names:
        _record(
            ticket,
            TicketEvent.Kind.NOTE,
            by=None,
            at=at,
            body=_system_text(
                gettext_noop(
                    "Attachments refused for exceeding the %(limit)s MB limit: %(names)s. "
                    "Ask the customer for another way to send them."
                ),
                {"limit": settings.AFTERSALES_MAX_ATTACHMENT_MB, "names": ", ".join(refused_names)},
            ),
            data={"refused_attachments": [a.pk for a in kept if a.refused]},
        )
    return kept


def _check_message_author(ticket: Ticket, by: User | None) -> None:
    if by is None:
        return
    if by.is_customer_user:
        if not by.is_active or not workflow.is_customer_contact(by, ticket.customer):
            raise NotPermitted(gettext("You can write only about your own organisation's tickets."))
        return
    _require_capability(by, Capability.REPLY_TICKET, gettext("record a customer's message"))


def _customer_may_reopen(ticket: Ticket, mover: User | None, at: datetime) -> bool:
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return False
    try:
        workflow.check_move(ticket, "customer_reopened", user=mover, at=at)
    except InvalidTransition:
        return False
    return True


def add_customer_message(
    *,
    ticket: Ticket,
    body: str,
    channel: str,
    at: datetime | None = None,
    by: User | None = None,
    attachments: Iterable[IncomingFile | File] = (),
    message_id: str = "",
) -> TicketEvent:
    """Put a customer's message (mail, portal) on the ticket and move the ticket as they expect.

    Waiting → in progress (paused clocks resume); resolved, or closed within
    the reopen window → reopened, back to work; new, accepted or in progress
    → just recorded. A message about a cancelled ticket, or a closed one past
    the window, is recorded with a note for a specialist, who decides whether
    it is a new report: a ticket is never opened behind their back.
    ``by`` is the customer user on the portal, staff recording it, or None for
    mail. With a ``message_id`` a second delivery of the same message returns
    the first event. Returns the public customer-reply event (``event.ticket``
    is the updated ticket; its ``attachments`` the files).
    """
    at = _moment(at)
    files = list(attachments)
    body = (body or "").strip()
    if not body and not files:
        raise InvalidInput(gettext("The message is empty."))
    if channel not in Channel.values:
        raise InvalidInput(gettext("Unknown channel “%(channel)s”.") % {"channel": channel})
    _check_message_author(ticket, by)
    with _changing(ticket, None):
        if message_id:
            earlier = ticket.events.filter(
                kind=TicketEvent.Kind.CUSTOMER_REPLY, data__message_id=message_id
            ).first()
            if earlier is not None:
                return earlier
        fields: list[str] = []
        # The reopening is the customer's doing: staff recording their message reopen as the system.
        mover = by if by is None or by.is_customer_user else None
        if ticket.status == Status.WAITING:
            _move(ticket, "customer_replied", by=by, at=at)
            resume_clocks(subject_type=SUBJECT_TYPE, subject_id=ticket.pk, at=at)
            fields += ["status", *_refresh_due(ticket)]
        elif _customer_may_reopen(ticket, mover, at):
            _move(
                ticket,
                "customer_reopened",
                by=mover,
                at=at,
                why=_system_text(gettext_noop("Reopened by the customer's message."), {}),
                data={"channel": channel},
            )
            ticket.closed_at = None
            ticket.resolved_at = None
            ticket.auto_closed = False
            fields += ["status", "closed_at", "resolved_at", "auto_closed"]
        event = _record(
            ticket,
            TicketEvent.Kind.CUSTOMER_REPLY,
            by=by,
            at=at,
            body=body,
            is_public=True,
            data={"channel": channel, "message_id": message_id, "attachments": len(files)},
        )
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            _record(
                ticket,
                TicketEvent.Kind.NOTE,
                by=None,
                at=at,
                body=_system_text(
                    gettext_noop(
                        "The customer wrote about %(number)s, which is %(status)s and cannot be reopened: "
                        "a specialist should decide whether to open a new ticket."
                    ),
                    {"number": ticket.number, "status": Status(ticket.status).label},
                ),
                data={"needs_review": True, "message_id": message_id},
            )
        attach_files(ticket=ticket, files=files, at=at, by=by, event=event, is_public=True)
        _save(ticket, *fields)
    return event


def add_system_note(
    *, ticket: Ticket, body: str, at: datetime | None = None, data: dict | None = None
) -> TicketEvent:
    """A staff-only note the system writes (mail intake: an auto-reply or a bounce about the
    ticket, a sender to link to a customer). Not an edit: the version stays, so nobody's
    pending save conflicts with it."""
    at = _moment(at)
    body = _require_text(body, gettext("The note is empty."))
    with transaction.atomic():
        return _record(ticket, TicketEvent.Kind.NOTE, by=None, at=at, body=body, data=data)


# --- linking a ticket to its customer ------------------------------------------------------------


def _contact_of(contact: Contact | None, customer: Customer) -> Contact | None:
    """The contact if it speaks for ``customer`` (its own or its head office's), else None."""
    if contact is None or contact.customer_id not in (customer.pk, customer.parent_id):
        return None
    return contact


def link_ticket_to_customer(
    *,
    ticket: Ticket,
    customer: Customer,
    by: User,
    reporter: Contact | None = None,
    unit: Unit | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Put a ticket on its real customer, e.g. one mail intake opened for a sender no contact
    matched (it waits on a placeholder customer until a specialist links it).

    The ticket keeps its number, reported_at and clocks: the response promise
    runs from when the report reached us, however long it took to find out who
    sent it. The centre is routed again for the unit's site and product line and
    the clocks' escalations follow it; a newly named unit's entitlement is judged
    again, unless a manager overrode it.
    """
    at = _moment(at)
    _require_capability(by, Capability.TAKE_REPORT, gettext("link a ticket to its customer"))
    if reporter is not None and _contact_of(reporter, customer) is None:
        raise InvalidInput(
            gettext("%(name)s is not a contact of %(customer)s.")
            % {"name": reporter.name, "customer": customer}
        )
    if unit is not None and unit.customer_id != customer.pk:
        raise InvalidInput(
            gettext("Unit %(serial)s does not belong to %(customer)s.")
            % {"serial": unit.serial, "customer": customer}
        )
    with _changing(ticket, expected_version):
        if ticket.customer_id == customer.pk:
            raise InvalidInput(
                gettext("%(number)s is already linked to %(customer)s.")
                % {"number": ticket.number, "customer": customer}
            )
        if unit is None and ticket.unit is not None:
            if ticket.unit.customer_id != customer.pk:
                raise InvalidInput(
                    gettext("Unit %(serial)s does not belong to %(customer)s: name the customer's unit.")
                    % {"serial": ticket.unit.serial, "customer": customer}
                )
            unit = ticket.unit
        if unit is not None:
            site = unit.site
        else:
            site = ticket.site if ticket.site is not None and ticket.site.customer_id == customer.pk else None
        routed_centre, is_covered = _route(site, unit)
        centre = None if ticket.kind == Kind.COMPLAINT else routed_centre
        old_customer = ticket.customer
        ticket.customer = customer
        _record(
            ticket,
            TicketEvent.Kind.FIELD,
            by=by,
            at=at,
            field="customer",
            old_value=old_customer,
            new_value=customer,
            body=_system_text(
                gettext_noop("%(user)s linked the ticket to the customer %(customer)s."),
                {"user": by, "customer": customer},
            ),
            data={"old_id": old_customer.pk, "new_id": customer.pk},
        )
        old_unit_id, old_contract_id = ticket.unit_id, ticket.entitlement_contract_id
        old_entitlement = ticket.entitlement
        changes: dict[str, Any] = {
            "reporter": reporter or _contact_of(ticket.reporter, customer),
            "onsite_contact": _contact_of(ticket.onsite_contact, customer),
            "unit": unit,
            # A part belongs to its unit: it stays only while the unit does.
            "part": ticket.part if unit is not None and unit.pk == old_unit_id else None,
            "site": site,
            "centre": centre,
            "is_site_covered": is_covered,
        }
        if not _assignee_stays(ticket.assignee, centre):
            changes["assignee"] = None
        changed = ["customer", *_apply_changes(ticket, changes, by=by, at=at)]
        if ticket.unit_id != old_unit_id and not ticket.entitlement_overridden:
            _snapshot_entitlement(ticket)
            changed += ["entitlement", "warranty_ends_on", "entitlement_contract", "entitlement_reason"]
            if ticket.entitlement != old_entitlement:
                _record(
                    ticket,
                    TicketEvent.Kind.ENTITLEMENT,
                    by=by,
                    at=at,
                    field="entitlement",
                    old_value=old_entitlement,
                    new_value=ticket.entitlement,
                    body=ticket.entitlement_reason,
                    data={"contract": ticket.entitlement_contract_id, "previous_contract": old_contract_id},
                )
        update_clock_context(
            subject_type=SUBJECT_TYPE,
            subject_id=ticket.pk,
            centre_id=ticket.centre_id,
            assignee_id=ticket.assignee_id,
            customer_id=customer.pk,
        )
        if "is_site_covered" in changed or ticket.entitlement_contract_id != old_contract_id:
            # Coverage and a contract's own promises choose the rules; the clocks keep their start.
            retarget_clocks(
                subject_type=SUBJECT_TYPE, subject_id=ticket.pk, context=_clock_context(ticket), at=at
            )
            changed += _refresh_due(ticket)
        _save(ticket, *changed)
    return ticket
