"""Services of visits: every change to a visit goes through one of these functions."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, ngettext

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.roles import Capability, Role
from aftersales.core.business_time import local_date, local_zone
from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.core.numbering import next_document_number
from aftersales.customers.models import Contact, Customer, Site
from aftersales.customers.queries import customer_scope_for_user
from aftersales.fees.models import Quote, QuoteStatus
from aftersales.fees.queries import quotes_for_subject
from aftersales.fees.services import create_quote, quote_lines_from, schedule_in_force
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import queue_notice
from aftersales.spares.models import SparePart
from aftersales.spares.services import consume_part, record_faulty_part
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import OPEN_STATUSES, Entitlement, Ticket
from aftersales.units.models import Unit, UnitPart
from aftersales.units.services import replace_part, replace_unit
from aftersales.visits.models import (
    NOT_STARTED,
    REMOTE_CONTACT_MOVES,
    VISIT_MOVES,
    ReportPart,
    ServiceReport,
    TravelZone,
    UnitSwap,
    Visit,
    VisitEngineer,
    VisitEvent,
    VisitKind,
)
from aftersales.visits.queries import billable_lines

NUMBER_PREFIX = "VS"
VISIT_SUBJECT = "visit"  # what a visit's quote names as its subject (fees never imports visits)
# A signature is a PNG drawn on a canvas, kept as a data: URL (PDFs embed it without fetching).
SIGNATURE_PATTERN = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
MAX_SIGNATURE_CHARS = 400_000
STAMPED_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
MAX_STAMPED_BYTES = 10 * 1024 * 1024


def record_visit_event(
    visit: Visit, kind: str, *, at: datetime, by: User | None, text: str = "", data: dict | None = None
) -> VisitEvent:
    """Append one line to the visit's timeline (never edited afterwards)."""
    return VisitEvent.objects.create(visit=visit, kind=kind, at=at, by=by, text=text, data=data or {})


def schedule_visit(
    *,
    customer: Customer,
    kind: str,
    planned_start: datetime,
    purpose: str,
    by: User | None,
    site: Site | None = None,
    ticket: Ticket | None = None,
    units: Iterable[Unit] = (),
    centre: ServiceCentre | None = None,
    engineers: Iterable[User] = (),
    onsite_contact: Contact | None = None,
    planned_end: datetime | None = None,
    due_on: date | None = None,
    why_remote_failed: str = "",
    at: datetime | None = None,
) -> Visit:
    """Create a planned visit with its number (``VS-2026-000001``) and crew.

    The lowest common step of dispatching from a ticket and of generating inspection visits
    from a plan; it checks only what every visit needs. ``due_on`` defaults to the planned day.
    """
    at = at or timezone.now()
    if kind not in VisitKind.values:
        raise InvalidInput(gettext("Unknown kind of visit: %(kind)s.") % {"kind": kind})
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput(gettext("Say what the visit is for."))
    if site is not None and site.customer_id != customer.pk:
        raise InvalidInput(gettext("The site belongs to another customer."))
    if ticket is not None and ticket.customer_id != customer.pk:
        raise InvalidInput(gettext("The ticket belongs to another customer."))
    if planned_end is not None and planned_end <= planned_start:
        raise InvalidInput(gettext("A visit must end after it starts."))
    units = list(units)
    if any(unit.customer_id != customer.pk for unit in units):
        raise InvalidInput(gettext("A unit belongs to another customer."))
    engineers = list(dict.fromkeys(engineers))
    with transaction.atomic():
        visit = Visit.objects.create(
            number=next_document_number(NUMBER_PREFIX, at=at),
            kind=kind,
            customer=customer,
            site=site,
            ticket=ticket,
            centre=centre,
            onsite_contact=onsite_contact,
            purpose=purpose,
            why_remote_failed=why_remote_failed.strip(),
            planned_start=planned_start,
            planned_end=planned_end,
            due_on=due_on or local_date(planned_start),
            dispatched_by=by,
            travel_zone=_travel_zone(site),
        )
        if units:
            visit.units.set(units)
        VisitEngineer.objects.bulk_create(
            [
                VisitEngineer(visit=visit, engineer=engineer, is_rnd=engineer.role == "rnd")
                for engineer in engineers
            ]
        )
        record_visit_event(visit, "planned", at=at, by=by, text=purpose)
    return visit


# --- dispatch from a ticket ------------------------------------------------------------------------

ATTEMPTS_PER_CODE = 5
CODE_DIGITS = 6
_FREE_ENTITLEMENTS = (Entitlement.IN_WARRANTY, Entitlement.UNDER_CONTRACT)


def _require(user: User, capability: str) -> None:
    if not user.is_active or not user.has_perm(f"aftersales.{capability}"):
        raise NotPermitted(gettext("Your role may not do this."))


def _travel_zone(site: Site | None) -> str:
    """Covered city when some centre serves the site's city, else elsewhere (priced differently)."""
    if site is None:
        return TravelZone.COVERED
    centres = ServiceCentre.objects.filter(is_rnd=False)
    return TravelZone.COVERED if any(c.covers_city(site.city) for c in centres) else TravelZone.ELSEWHERE


def _chargeable(ticket: Ticket) -> tuple[bool, str]:
    """From the ticket's entitlement: chargeable out of warranty with no contract."""
    if ticket.entitlement == Entitlement.CHARGEABLE:
        return True, ticket.entitlement_reason or gettext("Out of warranty and no service contract.")
    if ticket.entitlement in _FREE_ENTITLEMENTS:
        return False, ticket.entitlement_reason or ticket.get_entitlement_display()
    return False, ""


def _check_crew(engineers: list[User], centre: ServiceCentre | None) -> None:
    if not engineers:
        raise InvalidInput(gettext("Choose at least one engineer."))
    for engineer in engineers:
        if not engineer.is_active or not engineer.is_vendor_staff:
            raise InvalidInput(gettext("%(user)s is not active vendor staff.") % {"user": engineer})
        if engineer.role == Role.RND:
            continue
        if engineer.role not in (Role.ENGINEER, Role.LEAD):
            raise InvalidInput(gettext("%(user)s is not an engineer.") % {"user": engineer})
        if centre is not None and engineer.centre_id != centre.pk:
            raise InvalidInput(
                gettext("%(user)s does not belong to %(centre)s, which covers the site.")
                % {"user": engineer, "centre": centre}
            )


def dispatch_visit(
    *,
    ticket: Ticket,
    engineers: Iterable[User],
    planned_start: datetime,
    purpose: str,
    by: User,
    kind: str = VisitKind.ONSITE_REPAIR,
    why_remote_failed: str = "",
    planned_end: datetime | None = None,
    onsite_contact: Contact | None = None,
    at: datetime | None = None,
) -> Visit:
    """Send engineers to a ticket's site (派工).

    An on-site repair first asks for on-site service on the ticket if nobody has yet, which starts
    the ticket's on-site clocks (local, or R&D when an R&D engineer goes). In warranty or under a
    contract the on-site repair is free only because remote support could not solve the fault, so
    the dispatcher says why.
    """
    at = at or timezone.now()
    _require(by, Capability.DISPATCH_VISIT)
    engineers = list(dict.fromkeys(engineers))
    centre = ticket.centre
    _check_crew(engineers, centre)
    why_remote_failed = (why_remote_failed or "").strip()
    if kind == VisitKind.ONSITE_REPAIR and ticket.entitlement in _FREE_ENTITLEMENTS and not why_remote_failed:
        raise InvalidInput(
            gettext("In warranty or under contract, say why remote support could not solve the fault.")
        )
    if ticket.status not in OPEN_STATUSES:
        raise InvalidTransition(
            gettext("%(number)s is %(status)s: no visit can be dispatched.")
            % {"number": ticket.number, "status": ticket.get_status_display()}
        )
    with transaction.atomic():
        if kind == VisitKind.ONSITE_REPAIR:
            kinds = {engineer.role == Role.RND for engineer in engineers}
            if False in kinds and ticket.onsite_requested_at is None:
                ticket_services.request_onsite(ticket=ticket, by=by, note=purpose, at=at)
            if True in kinds and ticket.rnd_onsite_requested_at is None:
                ticket_services.request_onsite(ticket=ticket, by=by, rnd=True, note=purpose, at=at)
        visit = schedule_visit(
            customer=ticket.customer,
            kind=kind,
            planned_start=planned_start,
            planned_end=planned_end,
            purpose=purpose,
            by=by,
            site=ticket.site,
            ticket=ticket,
            units=[ticket.unit] if ticket.unit_id else [],
            centre=centre,
            engineers=engineers,
            onsite_contact=onsite_contact or ticket.onsite_contact or ticket.reporter,
            why_remote_failed=why_remote_failed,
            at=at,
        )
        visit.is_chargeable, visit.chargeable_reason = _chargeable(ticket)
        visit.chargeable_reason = visit.chargeable_reason[:300]
        visit.save(update_fields=["is_chargeable", "chargeable_reason", "updated_at"])
        for engineer in engineers:
            _notify_engineer(visit, engineer, "visit_dispatched", gettext_noop("New visit %(number)s"))
    return visit


# --- notices -----------------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    return timezone.localtime(moment, local_zone()).strftime("%Y-%m-%d %H:%M")


def _in_language(language: str, message: str, values: dict[str, Any]) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return gettext(message) % values


def _visit_summary(visit: Visit, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        lines = [
            f"{gettext('Visit')}: {visit.number} · {visit.get_kind_display()}",
            f"{gettext('Planned start')}: {_local(visit.planned_start)}",
            f"{gettext('Site')}: {visit.site or '—'}",
            f"{gettext('Purpose')}: {visit.purpose}",
        ]
    return "\n".join(lines)


def _notify_engineer(visit: Visit, engineer: User, kind: str, subject: str, note: str = "") -> None:
    language = engineer.language or settings.LANGUAGE_CODE
    body = _visit_summary(visit, language) + (f"\n\n{note}" if note else "")
    queue_notice(
        kind=kind,
        recipient=engineer,
        channel=OutboxMessage.Channel.DESK,
        language=language,
        subject=_in_language(language, subject, {"number": visit.number}),
        body=body,
        reference=visit.number,
    )
    if engineer.email:
        queue_notice(
            kind=kind,
            recipient=engineer,
            language=language,
            subject=_in_language(language, subject, {"number": visit.number}),
            body=body,
            reference=visit.number,
        )


def _contact_channel(contact: Contact) -> tuple[str, str] | None:
    """SMS to the contact's mobile when there is one, else e-mail; None when neither is known."""
    if contact.mobile:
        return OutboxMessage.Channel.SMS, contact.mobile
    if contact.email:
        return OutboxMessage.Channel.EMAIL, contact.email
    return None


def _notify_contact(
    visit: Visit, kind: str, subject: str, body: str, *, dedupe_key: str | None = None
) -> bool:
    contact = visit.onsite_contact
    if contact is None:
        return False
    channel = _contact_channel(contact)
    if channel is None:
        return False
    queue_notice(
        kind=kind,
        recipient=contact.user,
        channel=channel[0],
        address=channel[1],
        language=contact.language,
        subject=subject,
        body=body,
        reference=visit.number,
        dedupe_key=dedupe_key,
    )
    return True


# --- the visit's steps -------------------------------------------------------------------------


def _lock(visit: Visit) -> Visit:
    locked = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("ticket", "onsite_contact")
        .get(pk=visit.pk)
    )
    Visit.objects.filter(pk=visit.pk).update(version=F("version") + 1)
    locked.version += 1
    return locked


@contextmanager
def _changing(visit: Visit, expected_version: int | None = None) -> Iterator[Visit]:
    """One service's transaction on a visit: locked, version compared and bumped; on refusal the
    caller's object is reloaded so it never shows a rolled-back change."""
    try:
        with transaction.atomic():
            locked = _lock(visit)
            if expected_version is not None and locked.version - 1 != expected_version:
                raise Conflict(gettext("This visit was changed by someone else — reload and try again."))
            yield locked
    finally:
        with suppress(Visit.DoesNotExist):
            visit.refresh_from_db()


def _move(
    visit: Visit, to: str, *, by: User | None, at: datetime, why: str = "", moves: dict = VISIT_MOVES
) -> None:
    """The one place a visit's status changes, checked against ``VISIT_MOVES`` (a remote periodic
    contact against ``REMOTE_CONTACT_MOVES``)."""
    if visit.status == to:
        return
    if to not in moves.get(visit.status, frozenset()):
        raise InvalidTransition(
            gettext("Visit %(number)s is %(status)s: it cannot become %(to)s.")
            % {"number": visit.number, "status": visit.get_status_display(), "to": Visit.Status(to).label}
        )
    previous = visit.status
    visit.status = to
    fields = ["status", "updated_at"]
    if to == Visit.Status.COMPLETED:
        visit.completed_at = at
        fields.append("completed_at")
    visit.save(update_fields=fields)
    record_visit_event(visit, "status", at=at, by=by, text=why, data={"from": previous, "to": to})


def _slot(visit: Visit, engineer: User) -> VisitEngineer:
    try:
        return VisitEngineer.objects.select_related("engineer").get(visit=visit, engineer=engineer)
    except VisitEngineer.DoesNotExist:
        raise NotPermitted(
            gettext("%(user)s is not on visit %(number)s.") % {"user": engineer, "number": visit.number}
        ) from None


def _working(visit: Visit, engineer: User, by: User | None) -> VisitEngineer:
    by = by or engineer
    _require(by, Capability.WORK_VISIT)
    if by != engineer and not by.has_perm(f"aftersales.{Capability.DISPATCH_VISIT}"):
        raise NotPermitted(gettext("Only the engineer records their own steps on a visit."))
    if not visit.is_open:
        raise InvalidTransition(
            gettext("Visit %(number)s is %(status)s.")
            % {"number": visit.number, "status": visit.get_status_display()}
        )
    return _slot(visit, engineer)


def _not_in_future(moment: datetime, now: datetime) -> None:
    if moment > now + timedelta(minutes=5):
        raise InvalidInput(gettext("That time is in the future."))


def accept_visit(
    *, visit: Visit, engineer: User, by: User | None = None, at: datetime | None = None
) -> Visit:
    """The engineer accepts the visit (接单)."""
    at = at or timezone.now()
    with _changing(visit) as locked:
        slot = _working(locked, engineer, by)
        if slot.accepted_at is None:
            slot.accepted_at = at
            slot.save(update_fields=["accepted_at"])
        if locked.status == Visit.Status.PLANNED:
            _move(locked, Visit.Status.ACCEPTED, by=by or engineer, at=at)
        record_visit_event(locked, "accepted", at=at, by=by or engineer, data={"engineer": engineer.pk})
    return visit


def start_travel(
    *, visit: Visit, engineer: User, by: User | None = None, at: datetime | None = None
) -> Visit:
    """The engineer is on the way (出发)."""
    at = at or timezone.now()
    with _changing(visit) as locked:
        slot = _working(locked, engineer, by)
        if slot.arrived_at is not None:
            raise InvalidTransition(gettext("You have already arrived."))
        slot.accepted_at = slot.accepted_at or at
        slot.departed_at = at
        slot.save(update_fields=["accepted_at", "departed_at"])
        if locked.status in (Visit.Status.PLANNED, Visit.Status.ACCEPTED):
            _move(locked, Visit.Status.ON_THE_WAY, by=by or engineer, at=at)
        record_visit_event(locked, "on_the_way", at=at, by=by or engineer, data={"engineer": engineer.pk})
    return visit


def _hash_code(slot: VisitEngineer, code: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{slot.pk}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class CheckIn:
    """A check-in and the code sent to the contact (never stored: only its hash is)."""

    slot: VisitEngineer
    code: str
    code_sent: bool


def check_in(
    *,
    visit: Visit,
    engineer: User,
    note: str = "",
    by: User | None = None,
    at: datetime | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """The engineer arrives (签到): time and location note, and a short code sent to the customer's
    on-site contact, who gives it to the engineer to confirm the arrival. Until then the arrival is
    unconfirmed and meets no promise."""
    now = now or timezone.now()
    at = at or now
    _not_in_future(at, now)
    note = (note or "").strip()[:300]
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with _changing(visit) as locked:
        slot = _working(locked, engineer, by)
        if slot.arrived_at is not None:
            raise InvalidTransition(
                gettext("You checked in at %(when)s already.") % {"when": _local(slot.arrived_at)}
            )
        slot.accepted_at = slot.accepted_at or at
        slot.arrived_at = at
        slot.arrival_note = note
        slot.code_hash = _hash_code(slot, code)
        slot.code_attempts = 0
        slot.save(update_fields=["accepted_at", "arrived_at", "arrival_note", "code_hash", "code_attempts"])
        _move(locked, Visit.Status.ON_SITE, by=by or engineer, at=at)
        record_visit_event(
            locked, "arrived", at=at, by=by or engineer, text=note, data={"engineer": engineer.pk}
        )
        sent = _send_code(locked, slot, code)
    return CheckIn(slot=slot, code=code, code_sent=sent)


def _send_code(visit: Visit, slot: VisitEngineer, code: str) -> bool:
    contact = visit.onsite_contact
    language = contact.language if contact else settings.LANGUAGE_CODE
    values = {"engineer": slot.engineer, "number": visit.number, "code": code}
    subject = _in_language(language, gettext_noop("Arrival code for visit %(number)s"), values)
    body = _in_language(
        language,
        gettext_noop(
            "%(engineer)s has arrived for visit %(number)s. If the engineer is with you, "
            "give them this code to confirm the arrival: %(code)s"
        ),
        values,
    )
    return _notify_contact(visit, "visit_arrival_code", subject, body)


def resend_code(*, visit: Visit, engineer: User, by: User | None = None) -> CheckIn:
    """A fresh code for an unconfirmed arrival (the first went astray or ran out of attempts)."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with _changing(visit) as locked:
        slot = _working(locked, engineer, by)
        if slot.arrived_at is None or slot.arrival_confirmed_at is not None:
            raise InvalidTransition(gettext("There is no unconfirmed arrival to confirm."))
        slot.code_hash = _hash_code(slot, code)
        slot.code_attempts = 0
        slot.save(update_fields=["code_hash", "code_attempts"])
        sent = _send_code(locked, slot, code)
    return CheckIn(slot=slot, code=code, code_sent=sent)


def _confirm(
    visit: Visit, slot: VisitEngineer, *, how: str, name: str, signature: str, by: User, now: datetime
) -> None:
    """The arrival is confirmed: only now does it meet the ticket's on-site promise, at arrival time."""
    slot.arrival_confirmed_at = now
    slot.confirmation = how
    slot.confirmed_by = name[:100]
    slot.confirmation_signature = signature
    slot.code_hash = ""
    slot.save(
        update_fields=[
            "arrival_confirmed_at",
            "confirmation",
            "confirmed_by",
            "confirmation_signature",
            "code_hash",
        ]
    )
    record_visit_event(
        visit, "arrival_confirmed", at=now, by=by, text=name, data={"engineer": slot.engineer_id, "how": how}
    )
    ticket = visit.ticket
    if ticket is None or ticket.status not in OPEN_STATUSES:
        return
    if not (ticket.onsite_requested_at or ticket.rnd_onsite_requested_at):
        return
    ticket_services.record_arrival(ticket=ticket, engineer=slot.engineer, at=slot.arrived_at, now=now)


def _unconfirmed_slot(visit: Visit, engineer: User, by: User | None) -> VisitEngineer:
    slot = _working(visit, engineer, by)
    if slot.arrived_at is None:
        raise InvalidTransition(gettext("Check in first."))
    if slot.arrival_confirmed_at is not None:
        raise InvalidTransition(gettext("The arrival is already confirmed."))
    return slot


def confirm_arrival_with_code(
    *, visit: Visit, engineer: User, code: str, by: User | None = None, now: datetime | None = None
) -> Visit:
    """The engineer types the code the contact received. A wrong code is refused with a clear
    message and counts as an attempt (kept even though nothing else changes); after
    ``ATTEMPTS_PER_CODE`` wrong codes only a new code helps."""
    now = now or timezone.now()
    code = "".join((code or "").split())
    if not code:
        raise InvalidInput(gettext("Enter the code the customer's contact received."))
    wrong = False
    with _changing(visit) as locked:
        slot = _unconfirmed_slot(locked, engineer, by)
        if not slot.code_hash or slot.code_attempts >= ATTEMPTS_PER_CODE:
            raise InvalidInput(gettext("Too many wrong codes: send a new code to the contact."))
        if not hmac.compare_digest(slot.code_hash, _hash_code(slot, code)):
            slot.code_attempts += 1
            slot.save(update_fields=["code_attempts"])
            record_visit_event(
                locked, "wrong_code", at=now, by=by or engineer, data={"engineer": engineer.pk}
            )
            wrong = ATTEMPTS_PER_CODE - slot.code_attempts
        else:
            contact = locked.onsite_contact
            _confirm(
                locked,
                slot,
                how=VisitEngineer.Confirmation.CODE,
                name=contact.name if contact else "",
                signature="",
                by=by or engineer,
                now=now,
            )
    if wrong is not False:
        if wrong <= 0:
            raise InvalidInput(
                gettext("Wrong code, and no attempts are left: send a new code to the contact.")
            )
        raise InvalidInput(
            ngettext("Wrong code: %(left)s attempt left.", "Wrong code: %(left)s attempts left.", wrong)
            % {"left": wrong}
        )
    return visit


def _clean_signature(signature: str) -> str:
    signature = (signature or "").strip()
    if not SIGNATURE_PATTERN.fullmatch(signature) or len(signature) > MAX_SIGNATURE_CHARS:
        raise InvalidInput(gettext("Draw the signature in the box."))
    return signature


def confirm_arrival_with_signature(
    *,
    visit: Visit,
    engineer: User,
    name: str,
    signature: str,
    by: User | None = None,
    now: datetime | None = None,
) -> Visit:
    """The contact signs on the engineer's screen with their name."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise InvalidInput(gettext("Enter the name of the customer's contact who signs."))
    signature = _clean_signature(signature)
    with _changing(visit) as locked:
        slot = _unconfirmed_slot(locked, engineer, by)
        _confirm(
            locked,
            slot,
            how=VisitEngineer.Confirmation.SIGNATURE,
            name=name,
            signature=signature,
            by=by or engineer,
            now=now,
        )
    return visit


def _hours(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def leave_site(
    *,
    visit: Visit,
    engineer: User,
    by: User | None = None,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Visit:
    """The engineer leaves (离场). When the last one has left, the time on site is recorded (first
    arrival to last departure) and the visit completes if its report is written."""
    now = now or timezone.now()
    at = at or now
    _not_in_future(at, now)
    with _changing(visit) as locked:
        slot = _working(locked, engineer, by)
        if slot.arrived_at is None:
            raise InvalidTransition(gettext("Check in first."))
        if slot.left_at is not None:
            raise InvalidTransition(gettext("You already left at %(when)s.") % {"when": _local(slot.left_at)})
        if at < slot.arrived_at:
            raise InvalidInput(gettext("One leaves after arriving."))
        slot.left_at = at
        slot.save(update_fields=["left_at"])
        record_visit_event(locked, "left", at=at, by=by or engineer, data={"engineer": engineer.pk})
        crew = list(locked.crew.exclude(arrived_at=None))
        if all(member.left_at for member in crew):
            first = min(member.arrived_at for member in crew)
            last = max(member.left_at for member in crew)
            locked.hours_on_site = _hours(first, last)
            locked.save(update_fields=["hours_on_site", "updated_at"])
            _move(locked, Visit.Status.LEFT, by=by or engineer, at=at)
            _complete_if_done(locked, by=by or engineer, at=at)
    return visit


def _complete_if_done(visit: Visit, *, by: User | None, at: datetime) -> None:
    report = ServiceReport.objects.filter(visit=visit).first()
    if visit.status == Visit.Status.LEFT and report is not None and report.work_done:
        _move(visit, Visit.Status.COMPLETED, by=by, at=at)


# --- re-plan and cancel ----------------------------------------------------------------------------


def _tell_everyone(visit: Visit, kind: str, subject: str, message: str, values: dict[str, Any]) -> None:
    contact = visit.onsite_contact
    language = contact.language if contact else settings.LANGUAGE_CODE
    _notify_contact(
        visit,
        kind,
        _in_language(language, subject, values),
        _in_language(language, message, values) + "\n\n" + _visit_summary(visit, language),
    )
    for slot in visit.crew.select_related("engineer"):
        engineer_language = slot.engineer.language or settings.LANGUAGE_CODE
        _notify_engineer(
            visit, slot.engineer, kind, subject, _in_language(engineer_language, message, values)
        )


def replan_visit(
    *,
    visit: Visit,
    planned_start: datetime,
    reason: str,
    by: User,
    planned_end: datetime | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Visit:
    """Move a visit to another time, with a reason; the customer's contact and the crew are told."""
    at = at or timezone.now()
    _require(by, Capability.DISPATCH_VISIT)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Say why the visit is re-planned."))
    if planned_end is not None and planned_end <= planned_start:
        raise InvalidInput(gettext("A visit must end after it starts."))
    with _changing(visit, expected_version) as locked:
        if locked.status not in NOT_STARTED:
            raise InvalidTransition(
                gettext("Visit %(number)s is %(status)s: it can no longer be re-planned.")
                % {"number": locked.number, "status": locked.get_status_display()}
            )
        before = locked.planned_start
        locked.planned_start = planned_start
        locked.planned_end = planned_end
        locked.due_on = max(locked.due_on or local_date(planned_start), local_date(planned_start))
        locked.save(update_fields=["planned_start", "planned_end", "due_on", "updated_at"])
        record_visit_event(
            locked,
            "replanned",
            at=at,
            by=by,
            text=reason,
            data={"from": before.isoformat(), "to": planned_start.isoformat()},
        )
        _tell_everyone(
            locked,
            "visit_replanned",
            gettext_noop("Visit %(number)s re-planned"),
            gettext_noop("Visit %(number)s now starts at %(when)s (was %(before)s). Reason: %(reason)s"),
            {
                "number": locked.number,
                "when": _local(planned_start),
                "before": _local(before),
                "reason": reason,
            },
        )
    return visit


def cancel_visit(
    *, visit: Visit, reason: str, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Visit:
    """Call a visit off before anyone arrived, with a reason; the contact and the crew are told."""
    at = at or timezone.now()
    _require(by, Capability.DISPATCH_VISIT)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Say why the visit is cancelled."))
    with _changing(visit, expected_version) as locked:
        if locked.status not in NOT_STARTED:
            raise InvalidTransition(
                gettext("Visit %(number)s is %(status)s: it can no longer be cancelled.")
                % {"number": locked.number, "status": locked.get_status_display()}
            )
        locked.cancel_reason = reason
        locked.save(update_fields=["cancel_reason", "updated_at"])
        _move(locked, Visit.Status.CANCELLED, by=by, at=at, why=reason)
        _tell_everyone(
            locked,
            "visit_cancelled",
            gettext_noop("Visit %(number)s cancelled"),
            gettext_noop("Visit %(number)s planned for %(when)s is cancelled. Reason: %(reason)s"),
            {"number": locked.number, "when": _local(locked.planned_start), "reason": reason},
        )
    return visit


# --- the service report ----------------------------------------------------------------------------


def _report_for(visit: Visit, by: User) -> ServiceReport:
    _require(by, Capability.WORK_VISIT)
    if visit.status not in (Visit.Status.ON_SITE, Visit.Status.LEFT):
        raise InvalidTransition(
            gettext("Visit %(number)s is %(status)s: the report is written on site or just after.")
            % {"number": visit.number, "status": visit.get_status_display()}
        )
    if not visit.crew.filter(engineer=by).exists() and not by.has_perm(
        f"aftersales.{Capability.DISPATCH_VISIT}"
    ):
        raise NotPermitted(gettext("Only the visit's engineers write its report."))
    report, _ = ServiceReport.objects.get_or_create(visit=visit)
    return report


def write_report(
    *,
    visit: Visit,
    by: User,
    findings: str,
    work_done: str,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    at: datetime | None = None,
) -> ServiceReport:
    """Write (or correct, before sign-off) what the visit found and did."""
    at = at or timezone.now()
    findings, work_done = (findings or "").strip(), (work_done or "").strip()
    if not work_done:
        raise InvalidInput(gettext("Say what work was done."))
    if started_at and ended_at and ended_at < started_at:
        raise InvalidInput(gettext("The work must end after it starts."))
    with _changing(visit) as locked:
        report = _report_for(locked, by)
        if report.is_signed:
            raise InvalidTransition(gettext("The report is signed: it can no longer be changed."))
        report.findings, report.work_done = findings, work_done
        report.started_at, report.ended_at = started_at, ended_at
        report.save()
        record_visit_event(locked, "report_written", at=at, by=by)
        _complete_if_done(locked, by=by, at=at)
    return report


def record_part_replacement(
    *,
    visit: Visit,
    part: UnitPart,
    new_serial: str,
    by: User,
    on: date | None = None,
    at: datetime | None = None,
) -> ReportPart:
    """A part replaced on the visit: the installed base changes (a vendor part fitted in place of a
    factory part stays covered under the unit's original term) and the report lists it."""
    at = at or timezone.now()
    on = on or local_date(at)
    with _changing(visit) as locked:
        report = _report_for(locked, by)
        if report.is_signed:
            raise InvalidTransition(gettext("The report is signed: it can no longer be changed."))
        if part.unit.customer_id != locked.customer_id:
            raise InvalidInput(gettext("The part is in another customer's unit."))
        new = replace_part(part=part, new_serial=new_serial, on=on, actor=by)
        _move_spare_parts(locked, removed=part, fitted=new, by=by, at=at)
        line = ReportPart.objects.create(
            report=report,
            unit=part.unit,
            name=new.name,
            part_number=new.part_number,
            serial_out=part.serial,
            serial_in=new.serial,
            was_factory_configured=part.origin != UnitPart.Origin.CUSTOMER_ADDED,
        )
        record_visit_event(
            locked, "part_replaced", at=at, by=by, text=str(line), data={"part": part.pk, "new_part": new.pk}
        )
    return line


def record_remote_contact(*, visit: Visit, by: User | None, at: datetime | None = None) -> Visit:
    """A remote periodic contact (a call) is done once its record is: no trip, arrival or sign-off."""
    at = at or timezone.now()
    if visit.kind != VisitKind.PERIODIC_CONTACT:
        raise InvalidInput(gettext("Only a remote periodic contact is completed by its record."))
    with _changing(visit) as locked:
        _move(
            locked,
            Visit.Status.COMPLETED,
            by=by,
            at=at,
            why=gettext("Periodic contact recorded."),
            moves=REMOTE_CONTACT_MOVES,
        )
    return locked


def _visit_centre(visit: Visit) -> ServiceCentre | None:
    return visit.centre or (visit.ticket.centre if visit.ticket_id else None)


def _move_spare_parts(visit: Visit, *, removed: UnitPart, fitted: UnitPart, by: User, at: datetime) -> None:
    """The part fitted comes out of the centre's spare-parts stock when the centre stocks it (a 409
    when short: the replacement is then not recorded), and the part taken out — a faulty part
    (坏件) — goes on its way back to the factory, tracked until received."""
    centre = _visit_centre(visit)
    part_number = fitted.part_number or removed.part_number
    if centre is None or not part_number:
        return
    if SparePart.objects.filter(centre=centre, part_number=part_number).exists():
        consume_part(
            centre=centre, part_number=part_number, reference=visit.number, by=by, at=at, serial=fitted.serial
        )
    if removed.origin != UnitPart.Origin.CUSTOMER_ADDED:
        record_faulty_part(
            centre=centre,
            part_number=part_number,
            serial=removed.serial,
            reference=visit.number,
            by=by,
            at=at,
        )


def quote_visit(*, visit: Visit, by: User, at: datetime | None = None) -> Quote:
    """A draft quote of a chargeable visit's billable quantities, priced from the schedule in force.

    Quantities without an item in the schedule (a part the schedule does not price) are left out
    and named in the quote's note, for the quoter to price by hand (which needs a manager's approval).
    """
    at = at or timezone.now()
    if not visit.is_chargeable:
        raise InvalidInput(gettext("Visit %(number)s is not chargeable.") % {"number": visit.number})
    if visit.status != Visit.Status.COMPLETED:
        raise InvalidTransition(gettext("A visit is quoted once it is completed."))
    if any(quote.status != QuoteStatus.CANCELLED for quote in quotes_for_subject(VISIT_SUBJECT, visit.pk)):
        raise Conflict(gettext("Visit %(number)s already has a quote.") % {"number": visit.number})
    schedule = schedule_in_force(local_date(at))
    if schedule is None:
        raise InvalidInput(gettext("No fee schedule is in force on %(day)s.") % {"day": local_date(at)})
    priced = set(schedule.items.values_list("code", flat=True))
    lines = quote_lines_from(billable_lines(visit))
    missing = [line for line in lines if line["code"] not in priced]
    note = gettext("Billable quantities of visit %(number)s.") % {"number": visit.number}
    if missing:
        note += " " + gettext("Not in the fee schedule, to price by hand: %(items)s.") % {
            "items": ", ".join(
                f"{line.get('description') or line['code']} × {line['quantity']}" for line in missing
            )
        }
    with transaction.atomic():
        quote = create_quote(
            customer=visit.customer,
            by=by,
            lines=[line for line in lines if line["code"] in priced],
            ticket=visit.ticket,
            subject_type=VISIT_SUBJECT,
            subject_id=visit.pk,
            note=note,
            at=at,
        )
        record_visit_event(visit, "quoted", at=at, by=by, text=quote.number, data={"quote": quote.pk})
    return quote


def record_unit_swap(
    *,
    visit: Visit,
    old_unit: Unit,
    new_serial: str,
    by: User,
    on: date | None = None,
    at: datetime | None = None,
) -> UnitSwap:
    """A unit swapped on the visit: the new unit inherits the remaining warranty of the old one."""
    at = at or timezone.now()
    on = on or local_date(at)
    with _changing(visit) as locked:
        report = _report_for(locked, by)
        if report.is_signed:
            raise InvalidTransition(gettext("The report is signed: it can no longer be changed."))
        if old_unit.customer_id != locked.customer_id:
            raise InvalidInput(gettext("The unit belongs to another customer."))
        new = replace_unit(old_unit=old_unit, new_serial=new_serial, on=on, actor=by)
        locked.units.add(new)
        swap = UnitSwap.objects.create(report=report, old_unit=old_unit, new_unit=new)
        record_visit_event(
            locked, "unit_swapped", at=at, by=by, text=str(swap), data={"old": old_unit.pk, "new": new.pk}
        )
    return swap


def sign_report(
    *,
    visit: Visit,
    name: str,
    by: User,
    signature: str = "",
    typed_confirmation: bool = False,
    at: datetime | None = None,
) -> ServiceReport:
    """The customer signs the report off: a signature drawn on the engineer's screen, or a typed
    confirmation (on the screen or later in the portal by a user of the visit's customer)."""
    at = at or timezone.now()
    name = (name or "").strip()[:100]
    if not name:
        raise InvalidInput(gettext("Enter the name of the person who signs."))
    if signature:
        signature, how = _clean_signature(signature), ServiceReport.SignOff.DRAWN
    elif typed_confirmation:
        how = ServiceReport.SignOff.TYPED
    else:
        raise InvalidInput(gettext("Draw the signature, or confirm by ticking the box."))
    with _changing(visit) as locked:
        if by.is_customer_user:
            if locked.customer_id not in customer_scope_for_user(by).values_list("pk", flat=True):
                raise NotPermitted(gettext("This visit is not your organisation's."))
        else:
            _require(by, Capability.WORK_VISIT)
        report = ServiceReport.objects.filter(visit=locked).first()
        if report is None or not report.work_done:
            raise InvalidTransition(gettext("The report is not written yet."))
        if report.is_signed:
            raise InvalidTransition(
                gettext("The report was signed by %(name)s at %(when)s.")
                % {"name": report.signed_by_name, "when": _local(report.signed_at)}
            )
        if locked.status not in (Visit.Status.ON_SITE, Visit.Status.LEFT, Visit.Status.COMPLETED):
            raise InvalidTransition(gettext("This visit's report cannot be signed."))
        report.signed_by_name, report.signed_at, report.sign_off, report.signature = name, at, how, signature
        report.save(update_fields=["signed_by_name", "signed_at", "sign_off", "signature", "updated_at"])
        record_visit_event(locked, "report_signed", at=at, by=by, text=name, data={"how": how})
    return report


def upload_stamped_copy(*, visit: Visit, upload: File, by: User, at: datetime | None = None) -> ServiceReport:
    """Store the scan of the printed report with the customer's stamp (盖章)."""
    at = at or timezone.now()
    _require(by, Capability.WORK_VISIT)
    name = getattr(upload, "name", "") or "scan"
    if Path(name).suffix.lower() not in STAMPED_EXTENSIONS:
        raise InvalidInput(gettext("Upload the scan as a PDF, JPEG or PNG file."))
    if upload.size > MAX_STAMPED_BYTES:
        raise InvalidInput(gettext("The scan is larger than 10 MB."))
    with _changing(visit) as locked:
        report = ServiceReport.objects.filter(visit=locked).first()
        if report is None or not report.work_done:
            raise InvalidTransition(gettext("The report is not written yet."))
        report.stamped_scan.save(f"{locked.number}{Path(name).suffix.lower()}", upload, save=False)
        report.stamped_scan_at = at
        report.save(update_fields=["stamped_scan", "stamped_scan_at", "updated_at"])
        record_visit_event(locked, "stamped_copy", at=at, by=by)
    return report
