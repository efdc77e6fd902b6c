"""Changes to return-to-factory repairs: opening, the pre-shipment records, the steps, the clock.

Every service runs in one transaction, claims the repair's ``version`` like the ticket
services (two saves from the same page: the second is refused), appends a ``RepairEvent``
and saves with ``update_fields``. ``_move`` is the one place that assigns ``Repair.status``,
after checking ``repairs.workflow``.

The promise is the ``repair_return`` clock (subject type ``"repair"``): started when the
factory receives the unit, paused while an issued quote waits for the customer's decision,
met when the unit is shipped back. Customer notices are outbox rows written in the step's
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability
from aftersales.commitments.models import Clock, Milestone, StartEvent
from aftersales.commitments.models import MeetEvent as ClockMeetEvent
from aftersales.commitments.services import (
    ClockContext,
    cancel_clocks,
    meet_clocks,
    pause_clocks,
    record_delay_notice,
    resume_clocks,
    start_clocks,
    subject_due_summaries,
    subject_due_summary,
)
from aftersales.commitments.subjects import Notice
from aftersales.core.business_time import add_minutes, end_of_local_day, local_date, local_zone
from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.core.numbering import next_document_number
from aftersales.customers.queries import customer_scope_for_user
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import queue_notice
from aftersales.repairs import workflow
from aftersales.repairs.models import (
    OPEN_STATUSES,
    AckChannel,
    ErasureMethod,
    FittedPart,
    Repair,
    RepairEvent,
    Status,
)
from aftersales.tickets.models import Ticket
from aftersales.units.entitlement import CHARGEABLE, entitlement_for

SUBJECT_TYPE = "repair"
NUMBER_PREFIX = "RMA"
_FUTURE_TOLERANCE_MINUTES = 5


class EventKind:
    OPENED = "opened"
    STATUS = "status"
    BACKUP_ACK = "backup_ack"
    ERASURE = "erasure"
    ENTITLEMENT = "entitlement"
    PART = "part"
    CLOCK_MET = "clock_met"
    CLOCK_WARNING = "clock_warning"
    CLOCK_BREACH = "clock_breach"
    CLOCK_ESCALATED = "clock_escalated"
    DELAY_NOTICE = "delay_notice"


def backup_statement(language: str | None = None) -> str:
    """The statement the customer acknowledges, in the given language (stored as acknowledged)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return gettext(
            "We have backed up all data on this unit. We understand that the unit may be reset or its "
            "storage replaced during the repair, and that the vendor is not liable for any loss of data."
        )


# --- helpers -------------------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
    return at or timezone.now()


def _format_moment(moment: datetime) -> str:
    return timezone.localtime(moment, local_zone()).strftime("%Y-%m-%d %H:%M")


def _system_text(message: str, values: dict[str, Any]) -> str:
    """A timeline text the system writes, in the vendor's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % values


def _claim(repair: Repair, expected_version: int | None) -> None:
    rows = Repair.objects.filter(pk=repair.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(version=F("version") + 1):
        raise Conflict(gettext("This repair was changed by someone else — reload and try again."))
    repair.refresh_from_db()


@contextmanager
def _changing(repair: Repair, expected_version: int | None) -> Iterator[None]:
    """One service's transaction on ``repair``; on refusal the caller's object is reloaded."""
    try:
        with transaction.atomic():
            _claim(repair, expected_version)
            yield
    except Exception:
        with suppress(DatabaseError, Repair.DoesNotExist):
            repair.refresh_from_db()
        raise


def _save(repair: Repair, *fields: str) -> None:
    repair.save(update_fields=sorted({*fields, "updated_at"}))


def _record(
    repair: Repair,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    text: str = "",
    is_public: bool = True,
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
) -> RepairEvent:
    return RepairEvent.objects.create(
        repair=repair,
        kind=kind,
        at=at,
        by=by,
        text=text,
        is_public=is_public,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


def _require_staff(user: User, capability: str = Capability.MANAGE_REPAIRS) -> None:
    if not user.is_active or user.is_customer_user or not user.has_perm(f"aftersales.{capability}"):
        raise NotPermitted(gettext("Your role may not do this."))


def _require_text(value: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message)
    return text


def _not_in_future(moment: datetime, now: datetime, what: str) -> None:
    if moment > add_minutes(now, _FUTURE_TOLERANCE_MINUTES):
        raise InvalidInput(gettext("%(what)s cannot be in the future.") % {"what": what})


# --- clocks --------------------------------------------------------------------------------------


def _clock_context(repair: Repair) -> ClockContext:
    ticket = repair.ticket
    return ClockContext(
        customer_id=repair.customer_id,
        centre_id=ticket.centre_id,
        assignee_id=ticket.assignee_id,
        ticket_kind=ticket.kind,
        severity=ticket.severity,
        is_site_covered=ticket.is_site_covered,
        contract_id=ticket.entitlement_contract_id,
        policy_at=repair.opened_at,
    )


def _refresh_due(repair: Repair) -> tuple[str, ...]:
    summary = subject_due_summary(subject_type=SUBJECT_TYPE, subject_id=repair.pk)
    repair.next_due_at = summary.next_due_at
    repair.has_breach = summary.has_breach
    repair.is_provisional = summary.is_provisional
    return ("next_due_at", "has_breach", "is_provisional")


def return_clock(repair: Repair) -> Clock | None:
    """The repair's ``repair_return`` promise (None before the factory received the unit)."""
    return (
        Clock.objects.filter(
            subject_type=SUBJECT_TYPE, subject_id=repair.pk, milestone=Milestone.REPAIR_RETURN
        )
        .exclude(status=Clock.Status.CANCELLED)
        .first()
    )


# --- notices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Addressee:
    recipient: User | None
    address: str
    channel: str
    language: str


def _customer_addressee(repair: Repair) -> _Addressee | None:
    """The ticket's reporter: their e-mail, else an SMS to their phone."""
    ticket = repair.ticket
    contact = ticket.reporter
    language = contact.language if contact and contact.language else settings.LANGUAGE_CODE
    recipient = contact.user if contact and contact.user_id else None
    email = (contact.email if contact else "") or ticket.reporter_email
    if email:
        return _Addressee(recipient, email, OutboxMessage.Channel.EMAIL, language)
    phone = (contact.mobile if contact else "") or ticket.reporter_phone
    if phone:
        return _Addressee(recipient, phone, OutboxMessage.Channel.SMS, language)
    return None


def _notify_customer(
    repair: Repair, template: str, *, context: dict[str, Any] | None = None, dedupe: str = ""
) -> OutboxMessage | None:
    addressee = _customer_addressee(repair)
    if addressee is None:
        return None
    base = {
        "vendor_name": settings.AFTERSALES["VENDOR_NAME"],
        "site_url": settings.AFTERSALES["SITE_URL"],
        "repair": repair,
        "unit": repair.unit,
        **(context or {}),
    }
    with translation.override(addressee.language):
        subject = render_to_string(f"repairs/email/{template}_subject.txt", base).strip()
        body = render_to_string(f"repairs/email/{template}_body.txt", base)
    return queue_notice(
        kind=f"repair_{template}",
        recipient=addressee.recipient,
        address=addressee.address,
        channel=addressee.channel,
        language=addressee.language,
        subject=subject,
        body=body,
        reference=repair.number,
        dedupe_key=f"repair:{repair.pk}:{template}{dedupe}",
    )


# --- opening -------------------------------------------------------------------------------------


def open_repair(*, ticket: Ticket, by: User, fault: str, at: datetime | None = None) -> Repair:
    """Open a return-to-factory repair for the ticket's unit, with the entitlement of that day.

    In warranty (or under a covering contract) the repair is free; otherwise it is chargeable
    and nothing is repaired before the customer approves a quote.
    """
    at = _moment(at)
    _require_staff(by)
    fault = _require_text(fault, gettext("Describe the fault the factory is to repair."))
    if ticket.unit_id is None:
        raise InvalidInput(gettext("The ticket names no unit: a repair is for one unit."))
    unit = ticket.unit
    if not unit.is_active:
        raise InvalidInput(gettext("Unit %(serial)s is no longer in service.") % {"serial": unit.serial})
    with transaction.atomic():
        if Repair.objects.filter(unit=unit, status__in=OPEN_STATUSES).exists():
            raise Conflict(gettext("Unit %(serial)s already has an open repair.") % {"serial": unit.serial})
        verdict = entitlement_for(unit, on=local_date(at))
        repair = Repair.objects.create(
            number=next_document_number(NUMBER_PREFIX, at=at),
            ticket=ticket,
            customer_id=ticket.customer_id,
            unit=unit,
            fault=fault,
            opened_by=by,
            opened_at=at,
            is_chargeable=verdict.verdict == CHARGEABLE,
            entitlement=verdict.verdict,
            entitlement_reason=str(verdict.reason)[:300],
        )
        _record(
            repair,
            EventKind.OPENED,
            by=by,
            at=at,
            text=fault,
            to_status=Status.OPENED,
            data={"ticket": ticket.number, "entitlement": verdict.verdict},
        )
    return repair


# --- before the unit leaves the customer -----------------------------------------------------


def _require_before_shipment(repair: Repair) -> None:
    if repair.status != Status.OPENED:
        raise InvalidTransition(gettext("The unit has already left the customer."))


def acknowledge_backup(
    *, repair: Repair, by: User, confirmed: bool, language: str = "", at: datetime | None = None
) -> Repair:
    """The customer, in the portal, acknowledges the backup statement (stored with who and when)."""
    at = _moment(at)
    if not by.is_active or not by.is_customer_user:
        raise NotPermitted(gettext("Only the customer acknowledges this in the portal."))
    if not customer_scope_for_user(by).filter(pk=repair.customer_id).exists():
        raise NotPermitted(gettext("Your role may not do this."))
    if not confirmed:
        raise InvalidInput(gettext("Tick the box to confirm that your data is backed up."))
    with _changing(repair, None):
        _require_before_shipment(repair)
        if repair.has_backup_ack:
            return repair
        statement = backup_statement(language or None)
        repair.backup_ack_at = at
        repair.backup_ack_channel = AckChannel.PORTAL
        repair.backup_ack_user = by
        repair.backup_ack_name = by.get_full_name() or by.username
        repair.backup_ack_statement = statement
        _record(
            repair, EventKind.BACKUP_ACK, by=by, at=at, text=statement, data={"channel": AckChannel.PORTAL}
        )
        _save(
            repair,
            "backup_ack_at",
            "backup_ack_channel",
            "backup_ack_user",
            "backup_ack_name",
            "backup_ack_statement",
        )
    return repair


def record_backup_call(
    *,
    repair: Repair,
    by: User,
    acknowledged_by: str,
    acknowledged_at: datetime,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Repair:
    """A specialist records that the customer acknowledged the statement on a call (who, when)."""
    at = _moment(at)
    _require_staff(by)
    name = _require_text(acknowledged_by, gettext("Name the customer's person who acknowledged it."))
    _not_in_future(acknowledged_at, at, gettext("The time of the call"))
    with _changing(repair, expected_version):
        _require_before_shipment(repair)
        statement = backup_statement(settings.LANGUAGE_CODE)
        repair.backup_ack_at = acknowledged_at
        repair.backup_ack_channel = AckChannel.CALL
        repair.backup_ack_user = None
        repair.backup_ack_name = name[:100]
        repair.backup_ack_recorded_by = by
        repair.backup_ack_statement = statement
        _record(
            repair,
            EventKind.BACKUP_ACK,
            by=by,
            at=at,
            text=_system_text(
                gettext_noop("%(name)s acknowledged the backup statement on a call at %(when)s."),
                {"name": name, "when": _format_moment(acknowledged_at)},
            ),
            data={"channel": AckChannel.CALL, "name": name, "acknowledged_at": acknowledged_at.isoformat()},
        )
        _save(
            repair,
            "backup_ack_at",
            "backup_ack_channel",
            "backup_ack_user",
            "backup_ack_name",
            "backup_ack_recorded_by",
            "backup_ack_statement",
        )
    return repair


def record_erasure(
    *,
    repair: Repair,
    by: User,
    method: str,
    done_by: str,
    done_at: datetime,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Repair:
    """Keys zeroised / data erased (by whom, when, how) — or the disk kept by the customer."""
    at = _moment(at)
    _require_staff(by)
    if method not in ErasureMethod.values:
        raise InvalidInput(gettext("Choose how the data was made safe."))
    done_by = _require_text(done_by, gettext("Name who erased the data or kept the disk."))
    _not_in_future(done_at, at, gettext("The erasure time"))
    with _changing(repair, expected_version):
        _require_before_shipment(repair)
        repair.erasure_method = method
        repair.erasure_by = done_by[:100]
        repair.erasure_at = done_at
        repair.erasure_note = (note or "").strip()
        repair.erasure_recorded_by = by
        _record(
            repair,
            EventKind.ERASURE,
            by=by,
            at=at,
            text=_system_text(
                gettext_noop("%(method)s by %(who)s at %(when)s."),
                {"method": ErasureMethod(method).label, "who": done_by, "when": _format_moment(done_at)},
            )
            + (f"\n{repair.erasure_note}" if repair.erasure_note else ""),
            data={"method": method, "by": done_by, "done_at": done_at.isoformat()},
        )
        _save(repair, "erasure_method", "erasure_by", "erasure_at", "erasure_note", "erasure_recorded_by")
    return repair


def override_repair_entitlement(
    *,
    repair: Repair,
    by: User,
    is_chargeable: bool,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Repair:
    """A manager overrides the verdict the repair was opened with, before any quote is issued."""
    at = _moment(at)
    _require_staff(by, Capability.OVERRIDE_ENTITLEMENT)
    reason = _require_text(reason, gettext("An entitlement override needs a reason."))
    with _changing(repair, expected_version):
        if repair.quote_id is not None or repair.status not in (
            Status.OPENED,
            Status.SHIPPED_IN,
            Status.RECEIVED,
            Status.DIAGNOSED,
        ):
            raise InvalidTransition(gettext("The entitlement can only change before a quote is issued."))
        old = repair.is_chargeable
        repair.is_chargeable = is_chargeable
        repair.entitlement_overridden = True
        repair.entitlement_reason = reason[:300]
        _record(
            repair,
            EventKind.ENTITLEMENT,
            by=by,
            at=at,
            text=reason,
            is_public=False,
            data={"was_chargeable": old, "is_chargeable": is_chargeable},
        )
        _save(repair, "is_chargeable", "entitlement_overridden", "entitlement_reason")
    return repair


# --- the steps -----------------------------------------------------------------------------------


def _move(
    repair: Repair, step_name: str, *, by: User | None, at: datetime, note: str = "", data: dict | None = None
) -> workflow.Step:
    """Check the step against the table and change the status: the one place that assigns it."""
    step = workflow.STEPS[step_name]
    if repair.status not in step.sources:
        raise InvalidTransition(
            gettext("“%(step)s” is not possible while the repair is “%(status)s”.")
            % {"step": step.label, "status": repair.get_status_display()}
        )
    previous = repair.status
    repair.status = step.target
    _record(
        repair,
        EventKind.STATUS,
        by=by,
        at=at,
        text=note,
        from_status=previous,
        to_status=step.target,
        data={"step": step_name, **(data or {})},
    )
    return step


def _meet_return(repair: Repair, *, by: User | None, at: datetime) -> None:
    for clock in meet_clocks(
        subject_type=SUBJECT_TYPE, subject_id=repair.pk, event=ClockMeetEvent.REPAIR_SHIPPED_BACK, at=at
    ):
        late = clock.breached_at is not None
        values = {"due": _format_moment(clock.due_at) if clock.due_at else "-"}
        message = (
            gettext_noop("Return promise met late (was due %(due)s).")
            if late
            else gettext_noop("Return promise kept (due %(due)s).")
        )
        _record(
            repair,
            EventKind.CLOCK_MET,
            by=by,
            at=at,
            text=_system_text(message, values),
            is_public=False,
            data={"clock": clock.pk, "late": late, "outcome": clock.outcome},
        )


@dataclass(frozen=True)
class StepInput:
    """What the step form may carry: a note, shipping details, the diagnosis, the work done."""

    note: str = ""
    carrier: str = ""
    tracking: str = ""
    diagnosis: str = ""
    work_done: str = ""
    replacement_serial: str = ""


def move_repair(
    *,
    repair: Repair,
    step: str,
    by: User,
    details: StepInput | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Repair:
    """Take one step of the repair (see ``repairs.workflow.STEPS``), with its conditions.

    - shipped by the customer: carrier and tracking number; refused without the backup
      acknowledgement and the erasure record;
    - received at the factory: starts the 20-working-day return promise;
    - diagnosed: the diagnosis;
    - repaired: in warranty after the diagnosis, out of warranty only after the customer
      approved the quote; a factory swap names the replacement's serial (``replace_unit``:
      the new unit inherits the remaining warranty term);
    - shipped back: carrier and tracking number; meets the promise;
    - received by the customer: the end.
    """
    at = _moment(at)
    details = details or StepInput()
    if step == workflow.CONFIRM_RETURN and by.is_customer_user:
        if not customer_scope_for_user(by).filter(pk=repair.customer_id).exists():
            raise NotPermitted(gettext("Your role may not do this."))
    else:
        _require_staff(by)
    if step not in workflow.DESK_STEPS:
        raise InvalidInput(gettext("Unknown step."))
    note = (details.note or "").strip()
    with _changing(repair, expected_version):
        fields: list[str] = ["status"]
        data: dict[str, Any] = {}
        step_from = repair.status
        if step == workflow.SHIP_IN:
            if not repair.has_backup_ack or not repair.has_erasure_record:
                raise InvalidTransition(
                    gettext(
                        "The unit may not leave the customer before the customer's backup acknowledgement "
                        "and the erasure record (or the disk kept by the customer) are both recorded."
                    ),
                    code="pre_shipment_records_missing",
                )
            data = _shipping(repair, details, inbound=True)
            repair.shipped_in_at = at
            fields += ["inbound_carrier", "inbound_tracking", "shipped_in_at"]
        elif step == workflow.DIAGNOSE:
            repair.diagnosis = _require_text(details.diagnosis, gettext("Write the diagnosis."))
            fields.append("diagnosis")
        elif step == workflow.REPAIR:
            if repair.status == Status.QUOTED:
                raise InvalidTransition(
                    gettext("Nothing is repaired before the customer approves the quote."),
                    code="quote_not_approved",
                )
            if repair.status == Status.DIAGNOSED and repair.is_chargeable:
                raise InvalidTransition(
                    gettext("Out of warranty: issue a quote and wait for the customer's approval first."),
                    code="quote_not_approved",
                )
            repair.work_done = _require_text(details.work_done, gettext("Describe the work done."))
            fields.append("work_done")
            if details.replacement_serial.strip():
                from aftersales.units.services import replace_unit

                new_unit = replace_unit(
                    old_unit=repair.unit, new_serial=details.replacement_serial, on=local_date(at), actor=by
                )
                repair.replacement_unit = new_unit
                fields.append("replacement_unit")
                data["replacement_serial"] = new_unit.serial
        elif step == workflow.SHIP_BACK:
            data = _shipping(repair, details, inbound=False)
            repair.shipped_back_at = at
            fields += ["outbound_carrier", "outbound_tracking", "shipped_back_at"]
        elif step == workflow.CONFIRM_RETURN:
            repair.returned_at = at
            fields.append("returned_at")
        elif step == workflow.CANCEL:
            _require_text(note, gettext("Say why the repair is cancelled."))
        _move(repair, step, by=by, at=at, note=note, data=data)
        if step == workflow.RECEIVE:
            repair.received_at = at
            fields.append("received_at")
            start_clocks(
                subject_type=SUBJECT_TYPE,
                subject_id=repair.pk,
                reference=repair.number,
                event=StartEvent.REPAIR_RECEIVED,
                at=at,
                context=_clock_context(repair),
            )
            fields += _refresh_due(repair)
            _notify_customer(repair, "received")
        elif step == workflow.SHIP_BACK:
            _meet_return(repair, by=by, at=at)
            if repair.quote_id is not None and repair.decided_at is not None and step_from == Status.TESTED:
                _complete_quote(repair, at=at)
            fields += _refresh_due(repair)
            _notify_customer(repair, "shipped_back")
        elif step == workflow.CANCEL:
            cancel_clocks(subject_type=SUBJECT_TYPE, subject_id=repair.pk, at=at)
            fields += _refresh_due(repair)
        _save(repair, *fields)
    return repair


def _shipping(repair: Repair, details: StepInput, *, inbound: bool) -> dict[str, str]:
    carrier = _require_text(details.carrier, gettext("Name the carrier."))[:60]
    tracking = _require_text(details.tracking, gettext("Give the tracking number."))[:60]
    if inbound:
        repair.inbound_carrier, repair.inbound_tracking = carrier, tracking
    else:
        repair.outbound_carrier, repair.outbound_tracking = carrier, tracking
    return {"carrier": carrier, "tracking": tracking}


# --- quotes (through fees) -----------------------------------------------------------------------


def quote_lines_for(repair: Repair, part_numbers: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The fee-schedule item codes of a repair's quote: the model's repair item and each part."""
    lines: list[dict[str, Any]] = [
        {"code": f"repair:{repair.unit.product_model.code}", "quantity": Decimal(1)}
    ]
    lines += [
        {"code": f"part:{number.strip()}", "quantity": Decimal(1)}
        for number in part_numbers
        if number.strip()
    ]
    return lines


def quote_repair(
    *,
    repair: Repair,
    by: User,
    part_numbers: Sequence[str] = (),
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Repair:
    """Price the repair from the fee schedule in force, issue the quote and wait for the customer.

    While the quote waits the return promise is paused (the rule's ``may_pause``).
    """
    from aftersales.fees import services as fees

    at = _moment(at)
    _require_staff(by)
    _require_staff(by, Capability.QUOTE_WORK)
    with _changing(repair, expected_version):
        if not repair.is_chargeable:
            raise InvalidTransition(gettext("This repair is free (in warranty): there is nothing to quote."))
        if repair.status != Status.DIAGNOSED:
            raise InvalidTransition(gettext("A repair is quoted after the diagnosis."))
        quote = fees.create_quote(
            by=by,
            customer=repair.customer,
            ticket=repair.ticket,
            subject_type=SUBJECT_TYPE,
            subject_id=repair.pk,
            lines=quote_lines_for(repair, part_numbers),
            note=note or repair.diagnosis,
            at=at,
        )
        quote = fees.issue_quote(quote=quote, by=by, at=at)
        if quote.status != "issued":
            # Schedule prices and no discount never need a manager; anything else is quoted on the
            # fee pages. Refusing here rolls the draft back with the step.
            raise InvalidTransition(
                gettext("This quote needs a manager's approval: quote it on the fee pages.")
            )
        repair.quote_id = quote.pk
        repair.quote_number = quote.number
        _move(repair, workflow.QUOTE, by=by, at=at, note=note, data={"quote": quote.number})
        pause_clocks(subject_type=SUBJECT_TYPE, subject_id=repair.pk, at=at)
        _notify_customer(repair, "quoted", context={"quote": quote})
        _save(repair, "status", "quote_id", "quote_number", *_refresh_due(repair))
    return repair


def record_quote_decision(quote: Any) -> None:
    """fees' hook: the customer decided on the repair's quote (inside the decision's transaction).

    Approved: the repair may go ahead; refused: it goes back unrepaired. Either way the
    return promise resumes with the working time it had left.
    """
    repair = Repair.objects.select_related("ticket").filter(pk=quote.subject_id, quote_id=quote.pk).first()
    if repair is None or repair.status != Status.QUOTED:
        return
    approved = quote.status == "approved"
    at = quote.decided_at or timezone.now()
    by = quote.decided_by
    _claim(repair, None)
    _move(
        repair,
        workflow.APPROVE if approved else workflow.REFUSE,
        by=by,
        at=at,
        note=quote.decision_note or "",
        data={"quote": quote.number},
    )
    repair.decided_at = at
    resume_clocks(subject_type=SUBJECT_TYPE, subject_id=repair.pk, at=at)
    _save(repair, "status", "decided_at", *_refresh_due(repair))


def _complete_quote(repair: Repair, *, at: datetime) -> None:
    """The approved work was done and shipped: the quote's lines become charges (system work)."""
    from aftersales.fees import services as fees
    from aftersales.fees.models import Quote

    quote = Quote.objects.filter(pk=repair.quote_id, status="approved").first()
    if quote is not None:
        fees.complete_quote(quote=quote, by=None, at=at, note=repair.number)


# --- delays --------------------------------------------------------------------------------------


def announce_repair_delay(
    *, repair: Repair, by: User, new_date: date, reason: str, at: datetime | None = None
) -> Repair:
    """Tell the customer, before the due time, that the unit will be shipped back late, and when.

    Refused once the due time has passed: a late notice after the fact is "late, not told".
    """
    at = _moment(at)
    _require_staff(by)
    reason = _require_text(reason, gettext("Say why the repair will be late."))
    with _changing(repair, None):
        clock = return_clock(repair)
        if clock is None:
            raise InvalidTransition(gettext("The return promise starts when the factory receives the unit."))
        new_due_at = end_of_local_day(new_date)
        record_delay_notice(clock=clock, at=at, new_due_at=new_due_at)
        _record(
            repair,
            EventKind.DELAY_NOTICE,
            by=by,
            at=at,
            text=_system_text(
                gettext_noop("Customer told the return will be late: new date %(date)s. %(reason)s"),
                {"date": new_date.isoformat(), "reason": reason},
            ),
            data={"clock": clock.pk, "new_due_at": new_due_at.isoformat()},
        )
        _notify_customer(
            repair,
            "delayed",
            context={"new_date": new_date, "reason": reason, "due_at": clock.due_at},
            dedupe=f":{new_date.isoformat()}",
        )
        _save(repair)
    return repair


# --- parts fitted (spares stock) ---------------------------------------------------------------

PartConsumer = Callable[..., Any]
_part_consumer: PartConsumer | None = None


def set_part_consumer(consumer: PartConsumer | None) -> None:
    """Integration point for spares: the lead wires ``spares.services.consume_part`` here.

    Called as ``consumer(part_number=, quantity=, reference=, by=, at=)`` inside ``fit_part``'s
    transaction, so stock and the fitted-part record change together.
    """
    global _part_consumer
    _part_consumer = consumer


def consume_centre_stock(*, part_number: str, quantity: int, reference: str, by: User, at: datetime):
    """The part consumer wired in by default: a part the repair ticket's service centre stocks
    comes out of that centre's stock (a 409 when short: nothing is recorded then). A part the
    factory takes from its own store, which no centre stocks, is recorded on the repair only."""
    from aftersales.spares.models import SparePart
    from aftersales.spares.services import consume_part

    repair = Repair.objects.select_related("ticket__centre").get(number=reference)
    centre = repair.ticket.centre if repair.ticket_id else None
    if centre is None or not SparePart.objects.filter(centre=centre, part_number=part_number).exists():
        return None
    return consume_part(
        centre=centre, part_number=part_number, quantity=quantity, reference=reference, by=by, at=at
    )


def fit_part(
    *,
    repair: Repair,
    by: User,
    part_number: str,
    quantity: int = 1,
    serial_in: str = "",
    at: datetime | None = None,
) -> FittedPart:
    """Record a part the factory fitted (consuming stock when spares is wired in)."""
    at = _moment(at)
    _require_staff(by)
    part_number = _require_text(part_number, gettext("Give the part number."))[:64]
    if quantity < 1:
        raise InvalidInput(gettext("The quantity must be at least 1."))
    with _changing(repair, None):
        if repair.status not in (Status.DIAGNOSED, Status.APPROVED):
            raise InvalidTransition(gettext("Parts are fitted while the repair is being worked on."))
        if repair.status == Status.DIAGNOSED and repair.is_chargeable:
            raise InvalidTransition(gettext("Nothing is repaired before the customer approves the quote."))
        part = FittedPart.objects.create(
            repair=repair,
            part_number=part_number,
            quantity=quantity,
            serial_in=serial_in.strip()[:64],
            fitted_at=at,
            fitted_by=by,
        )
        if _part_consumer is not None:
            _part_consumer(part_number=part_number, quantity=quantity, reference=repair.number, by=by, at=at)
        _record(
            repair,
            EventKind.PART,
            by=by,
            at=at,
            is_public=False,
            text=f"{part_number} × {quantity}",
            data={"part": part.pk},
        )
        _save(repair)
    return part


# --- the sweep's hooks ---------------------------------------------------------------------------

_NOTICE_KIND = {
    "warning": EventKind.CLOCK_WARNING,
    "breach": EventKind.CLOCK_BREACH,
    "leadership": EventKind.CLOCK_ESCALATED,
}
_NOTICE_TEXT = {
    "warning": gettext_noop("Warning: the return promise is due %(due)s. Told: %(people)s."),
    "breach": gettext_noop("The return promise was due %(due)s and is broken. Told: %(people)s."),
    "leadership": gettext_noop("The broken return promise (due %(due)s) went to leadership: %(people)s."),
}


def record_clock_notices(notices: list[Notice]) -> None:
    """One timeline event per clock notice, inside the sweep's transaction (no version bump)."""
    existing = set(
        Repair.objects.filter(pk__in={n.clock.subject_id for n in notices}).values_list("pk", flat=True)
    )
    RepairEvent.objects.bulk_create(
        [
            RepairEvent(
                repair_id=notice.clock.subject_id,
                kind=_NOTICE_KIND.get(notice.level, notice.level),
                at=notice.at,
                is_public=False,
                text=_system_text(
                    _NOTICE_TEXT.get(notice.level, _NOTICE_TEXT["warning"]),
                    {
                        "due": _format_moment(notice.clock.due_at) if notice.clock.due_at else "-",
                        "people": ", ".join(str(user) for user in notice.recipients) or "-",
                    },
                ),
                data={"clock": notice.clock.pk, "level": notice.level},
            )
            for notice in notices
            if notice.clock.subject_id in existing
        ],
        batch_size=500,
    )


def refresh_repairs_due(subject_ids: list[int]) -> None:
    """Refresh the desk list's denormalised due fields after the sweep changed clocks."""
    summaries = subject_due_summaries(subject_type=SUBJECT_TYPE, subject_ids=subject_ids)
    Repair.objects.bulk_update(
        [
            Repair(
                pk=repair_id,
                next_due_at=summary.next_due_at,
                has_breach=summary.has_breach,
                is_provisional=summary.is_provisional,
            )
            for repair_id, summary in summaries.items()
        ],
        ["next_due_at", "has_breach", "is_provisional"],
        batch_size=250,
    )
