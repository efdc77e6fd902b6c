"""Changes to the spares area: the loaner pool, parts stock, faulty-part returns and loans.

Every service runs in one transaction, appends a history row (``SpareUnitEvent``,
``PartMovement``, ``LoanEvent`` or a ticket timeline note) and writes its
notices to the outbox in the same transaction. Stock rows are locked
(``select_for_update``) before they are counted, so two engineers taking the
last part cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.queries import centre_leads
from aftersales.core.business_time import add_minutes, local_date
from aftersales.core.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted
from aftersales.core.numbering import next_document_number
from aftersales.customers.models import Contact
from aftersales.fees.models import Quote, QuoteStatus
from aftersales.fees.queries import quotes_for_subject
from aftersales.fees.services import create_quote
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import queue_notice
from aftersales.spares import queries
from aftersales.spares.models import (
    Condition,
    Erasure,
    FaultyPartReturn,
    Loan,
    LoanEvent,
    LoanProposal,
    PartMovement,
    SparePart,
    SpareUnit,
    SpareUnitEvent,
)
from aftersales.tickets import services as ticket_services
from aftersales.tickets.models import OPEN_STATUSES, Entitlement, Kind, Ticket
from aftersales.units.models import ProductModel

NUMBER_PREFIX = "LN"
FREE_ENTITLEMENTS = (Entitlement.IN_WARRANTY, Entitlement.UNDER_CONTRACT)
_MINUTES_PER_DAY = 24 * 60


# --- helpers -------------------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
    return at or timezone.now()


def _require_text(value: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message)
    return text


def _require_staff(user: User | None) -> None:
    if user is None or not user.is_active or not user.is_vendor_staff:
        raise NotPermitted(gettext("Only vendor staff may change the spares stock."))


def _require_spares_manager(user: User | None, action: str) -> None:
    if user is None or not user.is_active or not user.has_perm("aftersales.manage_spares"):
        raise NotPermitted(gettext("%(user)s may not “%(action)s”.") % {"user": user, "action": action})


def _system_text(message: str, values: dict) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % values


@dataclass(frozen=True)
class _Addressee:
    recipient: User | None
    address: str
    channel: str
    language: str


def _contact_addressee(contact: Contact | None) -> _Addressee | None:
    if contact is None:
        return None
    recipient = contact.user if contact.user_id else None
    if contact.email:
        return _Addressee(recipient, contact.email, OutboxMessage.Channel.EMAIL, contact.language)
    if contact.mobile:
        return _Addressee(recipient, contact.mobile, OutboxMessage.Channel.SMS, contact.language)
    return None


def _customer_addressees(ticket: Ticket) -> list[_Addressee]:
    """The reporter and the on-site contact (once each), or the reporter's own address."""
    found: list[_Addressee] = []
    for contact in (ticket.reporter, ticket.onsite_contact):
        addressee = _contact_addressee(contact)
        if addressee is not None and addressee.address not in {a.address for a in found}:
            found.append(addressee)
    if not found and (ticket.reporter_email or ticket.reporter_phone):
        channel = OutboxMessage.Channel.EMAIL if ticket.reporter_email else OutboxMessage.Channel.SMS
        found.append(
            _Addressee(None, ticket.reporter_email or ticket.reporter_phone, channel, settings.LANGUAGE_CODE)
        )
    return found


def _staff_addressee(user: User) -> _Addressee:
    return _Addressee(user, user.email, OutboxMessage.Channel.EMAIL, user.language or settings.LANGUAGE_CODE)


def _tell(
    addressees: list[_Addressee],
    *,
    kind: str,
    subject: str,
    body: str,
    values: dict,
    reference: str,
    dedupe_key: str,
) -> None:
    """One outbox row per addressee, in each one's language; a repeated call queues nothing twice."""
    for addressee in addressees:
        if not addressee.address and addressee.recipient is None:
            continue
        with translation.override(addressee.language or settings.LANGUAGE_CODE):
            text_subject = gettext(subject) % values
            text_body = gettext(body) % values
        queue_notice(
            kind=kind,
            recipient=addressee.recipient,
            address=addressee.address,
            channel=addressee.channel,
            language=addressee.language,
            subject=text_subject,
            body=text_body,
            reference=reference,
            dedupe_key=f"{dedupe_key}:{addressee.address or addressee.recipient.pk}",
        )


def _unit_event(
    unit: SpareUnit,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    to_status: str = "",
    from_status: str = "",
    body: str = "",
    reference: str = "",
) -> SpareUnitEvent:
    return SpareUnitEvent.objects.create(
        spare_unit=unit,
        kind=kind,
        at=at,
        actor=by,
        from_status=from_status,
        to_status=to_status,
        body=body,
        reference=reference,
    )


def _loan_event(
    loan: Loan,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    body: str = "",
    data: dict | None = None,
) -> LoanEvent:
    return LoanEvent.objects.create(
        loan=loan,
        kind=kind,
        at=at,
        actor=by,
        from_status=from_status,
        to_status=to_status,
        body=body,
        data=data or {},
    )


# --- the loaner pool -----------------------------------------------------------------------------


def add_spare_unit(
    *,
    centre: ServiceCentre,
    product_model: ProductModel,
    serial: str,
    by: User,
    condition: str = Condition.GOOD,
    location: str = "",
    note: str = "",
    at: datetime | None = None,
) -> SpareUnit:
    """Put a unit into a centre's loaner pool."""
    at = _moment(at)
    _require_spares_manager(by, gettext("add a spare unit"))
    serial = _require_text(serial, gettext("Give the spare unit's serial number."))
    if condition not in Condition.values:
        raise InvalidInput(gettext("Unknown condition “%(condition)s”.") % {"condition": condition})
    with transaction.atomic():
        if SpareUnit.objects.filter(serial=serial).exists():
            raise Conflict(
                gettext("A spare unit with serial %(serial)s already exists.") % {"serial": serial}
            )
        unit = SpareUnit.objects.create(
            centre=centre,
            product_model=product_model,
            serial=serial,
            condition=condition,
            location=location.strip(),
            note=note.strip(),
        )
        _unit_event(unit, SpareUnitEvent.Kind.ADDED, by=by, at=at, to_status=unit.status, body=note.strip())
    return unit


# Which pool moves a person may make by hand (lending and returns have their own services).
UNIT_MOVES = {
    SpareUnit.Status.AVAILABLE: (SpareUnit.Status.IN_REPAIR, SpareUnit.Status.RETIRED),
    SpareUnit.Status.IN_REPAIR: (SpareUnit.Status.AVAILABLE, SpareUnit.Status.RETIRED),
    SpareUnit.Status.ON_LOAN: (),
    SpareUnit.Status.RETIRED: (),
}


def change_spare_unit_status(
    *, spare_unit: SpareUnit, status: str, by: User, reason: str, at: datetime | None = None
) -> SpareUnit:
    """Send a pool unit to repair, back to the pool, or retire it (with a reason)."""
    at = _moment(at)
    _require_spares_manager(by, gettext("change a spare unit's status"))
    reason = _require_text(reason, gettext("Say why the spare unit's status changes."))
    with transaction.atomic():
        unit = SpareUnit.objects.select_for_update().get(pk=spare_unit.pk)
        if status not in UNIT_MOVES.get(unit.status, ()):
            raise InvalidTransition(
                gettext("A spare unit that is “%(current)s” cannot become “%(target)s”.")
                % {"current": unit.get_status_display(), "target": SpareUnit.Status(status).label}
                if status in SpareUnit.Status.values
                else gettext("Unknown status “%(status)s”.") % {"status": status}
            )
        previous = unit.status
        unit.status = status
        unit.save(update_fields=["status", "updated_at"])
        _unit_event(
            unit,
            SpareUnitEvent.Kind.STATUS,
            by=by,
            at=at,
            from_status=previous,
            to_status=status,
            body=reason,
        )
    return unit


# --- parts stock ---------------------------------------------------------------------------------


def _locked_part(centre: ServiceCentre, part_number: str) -> SparePart:
    part = SparePart.objects.select_for_update().filter(centre=centre, part_number=part_number).first()
    if part is None:
        raise InvalidInput(
            gettext("%(centre)s keeps no spare part %(part)s.") % {"centre": centre, "part": part_number}
        )
    return part


def _move_stock(
    part: SparePart,
    kind: str,
    quantity: int,
    *,
    by: User,
    at: datetime,
    reference: str,
    serial: str,
    note: str,
) -> PartMovement:
    part.quantity_on_hand += quantity
    part.save(update_fields=["quantity_on_hand", "updated_at"])
    return PartMovement.objects.create(
        part=part,
        kind=kind,
        quantity=quantity,
        balance_after=part.quantity_on_hand,
        reference=reference.strip(),
        serial=serial.strip(),
        note=note.strip()[:300],
        by=by,
        at=at,
    )


def _positive(quantity: int) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidInput(gettext("The quantity must be a whole number of at least 1."))
    return quantity


def consume_part(
    *,
    centre: ServiceCentre,
    part_number: str,
    quantity: int = 1,
    reference: str,
    by: User,
    at: datetime | None = None,
    serial: str = "",
) -> PartMovement:
    """Take ``quantity`` of a part out of a centre's stock for a visit, repair or ticket (``reference``).

    Refused (409) when the centre has fewer on hand; nothing changes then.
    """
    at = _moment(at)
    _require_staff(by)
    quantity = _positive(quantity)
    reference = _require_text(reference, gettext("Name the visit, repair or ticket the part is for."))
    with transaction.atomic():
        part = _locked_part(centre, (part_number or "").strip())
        if part.quantity_on_hand < quantity:
            raise Conflict(
                gettext("Not enough %(part)s at %(centre)s: %(have)s on hand, %(want)s needed.")
                % {"part": part, "centre": centre, "have": part.quantity_on_hand, "want": quantity},
                code="stock_short",
            )
        return _move_stock(
            part, PartMovement.Kind.OUT, -quantity, by=by, at=at, reference=reference, serial=serial, note=""
        )


def receive_parts(
    *,
    centre: ServiceCentre,
    part_number: str,
    quantity: int,
    by: User,
    reference: str = "",
    name: str = "",
    note: str = "",
    at: datetime | None = None,
) -> PartMovement:
    """Parts arrived at the centre (a delivery from the factory); a new part number needs its name."""
    at = _moment(at)
    _require_spares_manager(by, gettext("receive spare parts"))
    quantity = _positive(quantity)
    part_number = _require_text(part_number, gettext("Give the part number."))
    with transaction.atomic():
        part = SparePart.objects.select_for_update().filter(centre=centre, part_number=part_number).first()
        if part is None:
            name = _require_text(name, gettext("Give the name of a part the centre did not keep before."))
            try:
                with transaction.atomic():
                    part = SparePart.objects.create(centre=centre, part_number=part_number, name=name.strip())
            except IntegrityError:
                part = _locked_part(centre, part_number)
        return _move_stock(
            part, PartMovement.Kind.IN, quantity, by=by, at=at, reference=reference, serial="", note=note
        )


def adjust_stock(
    *, part: SparePart, counted: int, by: User, reason: str, at: datetime | None = None
) -> PartMovement:
    """Set the stock to what was counted (a stock-take), recording the difference and why."""
    at = _moment(at)
    _require_spares_manager(by, gettext("adjust spare-parts stock"))
    reason = _require_text(reason, gettext("Say why the stock is adjusted."))
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise InvalidInput(gettext("The counted quantity must be a whole number, zero or more."))
    with transaction.atomic():
        locked = SparePart.objects.select_for_update().get(pk=part.pk)
        return _move_stock(
            locked,
            PartMovement.Kind.ADJUST,
            counted - locked.quantity_on_hand,
            by=by,
            at=at,
            reference="",
            serial="",
            note=reason,
        )


def set_reorder_level(*, part: SparePart, level: int, by: User) -> SparePart:
    """At or below this quantity the centre's stock of the part shows as low."""
    _require_spares_manager(by, gettext("set a reorder level"))
    if not isinstance(level, int) or isinstance(level, bool) or level < 0:
        raise InvalidInput(gettext("The reorder level must be a whole number, zero or more."))
    with transaction.atomic():
        part.reorder_level = level
        part.save(update_fields=["reorder_level", "updated_at"])
    return part


# --- faulty parts (坏件) -------------------------------------------------------------------------


def record_faulty_part(
    *,
    centre: ServiceCentre,
    part_number: str,
    serial: str,
    reference: str,
    by: User,
    at: datetime | None = None,
) -> FaultyPartReturn:
    """A faulty part was taken out (visit, repair): it is to go back to the factory."""
    at = _moment(at)
    _require_staff(by)
    part_number = _require_text(part_number, gettext("Give the faulty part's part number."))
    reference = _require_text(reference, gettext("Name the visit, repair or ticket the part came from."))
    with transaction.atomic():
        return FaultyPartReturn.objects.create(
            centre=centre,
            part_number=part_number,
            serial=(serial or "").strip(),
            reference=reference,
            recorded_by=by,
            recorded_at=at,
        )


def ship_faulty_part(
    *, faulty: FaultyPartReturn, by: User, tracking_number: str, at: datetime | None = None
) -> FaultyPartReturn:
    """The faulty part left for the factory, with the carrier's tracking number."""
    at = _moment(at)
    _require_spares_manager(by, gettext("ship a faulty part"))
    tracking_number = _require_text(tracking_number, gettext("Give the tracking number."))
    with transaction.atomic():
        row = FaultyPartReturn.objects.select_for_update().get(pk=faulty.pk)
        if row.status != FaultyPartReturn.Status.PENDING:
            raise InvalidTransition(gettext("This faulty part was already shipped."))
        row.status = FaultyPartReturn.Status.SHIPPED
        row.shipped_by, row.shipped_at, row.tracking_number = by, at, tracking_number
        row.save(update_fields=["status", "shipped_by", "shipped_at", "tracking_number", "updated_at"])
    return row


def receive_faulty_part(
    *, faulty: FaultyPartReturn, by: User, note: str = "", at: datetime | None = None
) -> FaultyPartReturn:
    """The factory confirmed it has the faulty part: tracking ends."""
    at = _moment(at)
    _require_spares_manager(by, gettext("record a faulty part's receipt"))
    with transaction.atomic():
        row = FaultyPartReturn.objects.select_for_update().get(pk=faulty.pk)
        if row.status != FaultyPartReturn.Status.SHIPPED:
            raise InvalidTransition(gettext("Only a shipped faulty part can be received by the factory."))
        if at < row.shipped_at:
            raise InvalidInput(gettext("The factory cannot receive the part before it was shipped."))
        row.status = FaultyPartReturn.Status.RECEIVED
        row.received_by, row.received_at, row.note = by, at, (note or row.note).strip()
        row.save(update_fields=["status", "received_by", "received_at", "note", "updated_at"])
    return row


# --- loan proposals ------------------------------------------------------------------------------


def propose_loans(*, now: datetime | None = None) -> list[LoanProposal]:
    """Propose a loan for every severe, in-warranty open fault not restored within the threshold.

    Idempotent and safe on two workers: one proposal per ticket (a unique row),
    and the lead's notice has a dedupe key. Tickets with a loan already are skipped.
    """
    now = _moment(now)
    hours = queries.spare_settings().propose_loan_after_hours
    cutoff = add_minutes(now, -hours * 60)
    candidates = list(
        Ticket.objects.filter(
            severity="severe",
            status__in=OPEN_STATUSES,
            entitlement__in=FREE_ENTITLEMENTS,
            restored_at__isnull=True,
            reported_at__lte=cutoff,
            centre__isnull=False,
            loan_proposal__isnull=True,
        )
        .exclude(loans__status__in=(Loan.Status.OUT, Loan.Status.RETURNED))
        .select_related("centre")
        .order_by("reported_at")
    )
    created = []
    for ticket in candidates:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    proposal = LoanProposal.objects.create(
                        ticket=ticket, centre=ticket.centre, proposed_at=now
                    )
            except IntegrityError:
                continue  # another worker proposed it first
            values = {
                "ticket": ticket.number,
                "title": ticket.title,
                "hours": hours,
                "customer": ticket.customer,
            }
            ticket_services.add_system_note(
                ticket=ticket,
                body=_system_text(
                    gettext_noop(
                        "Not restored %(hours)s hours after the report: a loan is proposed to the lead."
                    ),
                    values,
                ),
                at=now,
            )
            _tell(
                [_staff_addressee(lead) for lead in centre_leads(ticket.centre)],
                kind="loan_proposed",
                subject=gettext_noop("Lend a spare unit? %(ticket)s is not restored after %(hours)s hours"),
                body=gettext_noop(
                    "%(ticket)s “%(title)s” of %(customer)s is a severe in-warranty fault, "
                    "still not restored %(hours)s hours after the report. Lend a spare unit from the "
                    "ticket page, or decline the proposal with a reason."
                ),
                values=values,
                reference=ticket.number,
                dedupe_key=f"loan-proposal:{proposal.pk}",
            )
            created.append(proposal)
    return created


def decline_loan_proposal(
    *, proposal: LoanProposal, by: User, reason: str, at: datetime | None = None
) -> LoanProposal:
    """The lead decides no loan is needed (say why: on the ticket's timeline too)."""
    at = _moment(at)
    _require_spares_manager(by, gettext("decline a loan proposal"))
    reason = _require_text(reason, gettext("Say why no spare unit is lent."))
    with transaction.atomic():
        row = (
            LoanProposal.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=proposal.pk)
        )
        if row.status != LoanProposal.Status.OPEN:
            raise InvalidTransition(gettext("This proposal was already decided."))
        row.status = LoanProposal.Status.DECLINED
        row.decided_by, row.decided_at, row.decline_reason = by, at, reason
        row.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        ticket_services.add_system_note(
            ticket=row.ticket,
            body=gettext("%(user)s declined the loan proposal: %(reason)s") % {"user": by, "reason": reason},
            at=at,
            data={"spares": "proposal_declined", "by": by.pk},
        )
    return row


# --- loans ---------------------------------------------------------------------------------------


def default_return_on(at: datetime) -> date:
    """The expected return date offered on the lend form: the configured loan length from today."""
    return local_date(add_minutes(at, queries.spare_settings().loan_days_default * _MINUTES_PER_DAY))


def lend_unit(
    *,
    ticket: Ticket,
    spare_unit: SpareUnit,
    by: User,
    expected_return_on: date,
    substitution_note: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Loan:
    """Lend a pool unit of the ticket's centre to the ticket's customer (借用单 ``LN-…``).

    A different model than the ticket's unit needs a note, and the customer is
    told either way. Lending for a fault restores service (the "service
    restored" promise) unless it was restored already. Out of warranty the
    loan is chargeable.
    """
    at = _moment(at)
    _require_spares_manager(by, gettext("lend a spare unit"))
    substitution_note = (substitution_note or "").strip()
    if not ticket.is_open:
        raise InvalidTransition(gettext("Lend a spare unit only while the ticket is open."))
    if expected_return_on is None or expected_return_on < local_date(at):
        raise InvalidInput(gettext("The expected return date cannot be before today."))
    with transaction.atomic():
        unit = (
            SpareUnit.objects.select_for_update(of=("self",))
            .select_related("product_model")
            .get(pk=spare_unit.pk)
        )
        if unit.status != SpareUnit.Status.AVAILABLE:
            raise Conflict(
                gettext("Spare unit %(serial)s is not available (%(status)s).")
                % {"serial": unit.serial, "status": unit.get_status_display()}
            )
        if ticket.centre_id is None or unit.centre_id != ticket.centre_id:
            raise InvalidInput(gettext("Lend a spare unit from the pool of the ticket's service centre."))
        if Loan.objects.filter(ticket=ticket, status=Loan.Status.OUT).exists():
            raise Conflict(gettext("A spare unit is already lent on this ticket."))
        ticket_model = ticket.unit.product_model if ticket.unit_id else None
        is_substitute = ticket_model is not None and ticket_model.pk != unit.product_model_id
        if is_substitute and not substitution_note:
            raise InvalidInput(
                gettext(
                    "%(spare)s is not the customer's model (%(model)s): say what the customer gets instead."
                )
                % {"spare": unit.product_model, "model": ticket_model}
            )
        proposal = LoanProposal.objects.select_for_update().filter(ticket=ticket).first()
        loan = Loan.objects.create(
            number=next_document_number(NUMBER_PREFIX, at=at),
            ticket=ticket,
            customer=ticket.customer,
            site=ticket.site,
            spare_unit=unit,
            proposal=proposal
            if proposal is not None and proposal.status == LoanProposal.Status.OPEN
            else None,
            lent_by=by,
            out_at=at,
            expected_return_on=expected_return_on,
            is_substitute=is_substitute,
            substitution_note=substitution_note if is_substitute else "",
            is_chargeable=ticket.entitlement not in FREE_ENTITLEMENTS,
            note=(note or "").strip(),
        )
        if loan.proposal is not None:
            proposal.status = LoanProposal.Status.ACCEPTED
            proposal.decided_by, proposal.decided_at = by, at
            proposal.save(update_fields=["status", "decided_by", "decided_at"])
        unit.status = SpareUnit.Status.ON_LOAN
        unit.save(update_fields=["status", "updated_at"])
        _unit_event(
            unit,
            SpareUnitEvent.Kind.LENT,
            by=by,
            at=at,
            from_status=SpareUnit.Status.AVAILABLE,
            to_status=SpareUnit.Status.ON_LOAN,
            reference=loan.number,
            body=str(ticket.site or ticket.customer),
        )
        _loan_event(
            loan,
            LoanEvent.Kind.LENT,
            by=by,
            at=at,
            to_status=Loan.Status.OUT,
            body=loan.note,
            data={
                "spare_unit": unit.serial,
                "is_substitute": is_substitute,
                "chargeable": loan.is_chargeable,
            },
        )
        values = {
            "loan": loan.number,
            "ticket": ticket.number,
            "serial": unit.serial,
            "model": str(unit.product_model),
            "back": expected_return_on.isoformat(),
            "note": substitution_note,
        }
        ticket_text = (
            gettext("Spare unit %(serial)s (%(model)s) lent under %(loan)s, expected back %(back)s.") % values
        )
        if ticket.restored_at is None and ticket.kind == Kind.FAULT:
            ticket_services.record_restored(
                ticket=ticket, by=by, how=ticket_services.RESTORED_BY_SPARE, note=ticket_text, at=at
            )
        else:
            ticket_services.add_system_note(
                ticket=ticket,
                body=ticket_text,
                at=at,
                data={"spares": "lent", "loan": loan.number, "by": by.pk},
            )
        body = gettext_noop(
            "We have lent you spare unit %(serial)s (%(model)s) under %(loan)s for ticket %(ticket)s. "
            "Please return it by %(back)s."
        )
        if is_substitute:
            body = gettext_noop(
                "We have lent you spare unit %(serial)s (%(model)s) under %(loan)s for ticket %(ticket)s. "
                "It is a different model from yours: %(note)s Please return it by %(back)s."
            )
        _tell(
            _customer_addressees(ticket),
            kind="loan_lent",
            subject=gettext_noop("Spare unit lent for %(ticket)s (%(loan)s)"),
            body=body,
            values=values,
            reference=loan.number,
            dedupe_key=f"loan:{loan.pk}:lent",
        )
    return loan


def return_loan(
    *,
    loan: Loan,
    by: User,
    condition: str,
    erasure: str,
    erased_by: str = "",
    erased_at: datetime | None = None,
    erasure_method: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Loan:
    """The unit came back: its condition, and the erasure record — refused without one.

    Either the customer's keys and data were erased from it (by whom, when, how:
    密钥销毁) or the customer kept the disk. A unit back faulty goes to repair,
    otherwise back to the pool.
    """
    at = _moment(at)
    _require_spares_manager(by, gettext("record a spare unit's return"))
    if condition not in Condition.values:
        raise InvalidInput(gettext("Record the condition the unit came back in."))
    if erasure == Erasure.KEYS_ERASED:
        erased_by = _require_text(erased_by, gettext("Say who erased the customer's keys and data."))
        erasure_method = _require_text(erasure_method, gettext("Say how the keys and data were erased."))
        if erased_at is None:
            raise InvalidInput(gettext("Say when the keys and data were erased."))
        if erased_at > add_minutes(at, 5):
            raise InvalidInput(gettext("The erasure cannot be in the future."))
    elif erasure == Erasure.DISK_KEPT:
        erased_by, erased_at, erasure_method = "", None, ""
    else:
        raise InvalidInput(
            gettext(
                "A returned unit needs the erasure record: the keys and data erased (by whom, when, how), "
                "or the disk kept by the customer."
            )
        )
    with transaction.atomic():
        row = Loan.objects.select_for_update().get(pk=loan.pk)
        if row.status != Loan.Status.OUT:
            raise InvalidTransition(gettext("Only a loan that is out can be returned."))
        if at < row.out_at:
            raise InvalidInput(gettext("A unit cannot come back before it was lent."))
        row.status = Loan.Status.RETURNED
        row.returned_at, row.returned_by, row.returned_condition = at, by, condition
        row.return_note = (note or "").strip()
        row.erasure, row.erased_by, row.erased_at, row.erasure_method = (
            erasure,
            erased_by,
            erased_at,
            erasure_method,
        )
        row.save(
            update_fields=[
                "status",
                "returned_at",
                "returned_by",
                "returned_condition",
                "return_note",
                "erasure",
                "erased_by",
                "erased_at",
                "erasure_method",
                "updated_at",
            ]
        )
        unit = SpareUnit.objects.select_for_update().get(pk=row.spare_unit_id)
        target = SpareUnit.Status.IN_REPAIR if condition == Condition.FAULTY else SpareUnit.Status.AVAILABLE
        unit.status, unit.condition = target, condition
        unit.save(update_fields=["status", "condition", "updated_at"])
        _unit_event(
            unit,
            SpareUnitEvent.Kind.RETURNED,
            by=by,
            at=at,
            from_status=SpareUnit.Status.ON_LOAN,
            to_status=target,
            reference=row.number,
            body=row.return_note,
        )
        _loan_event(
            row,
            LoanEvent.Kind.RETURNED,
            by=by,
            at=at,
            from_status=Loan.Status.OUT,
            to_status=Loan.Status.RETURNED,
            body=row.return_note,
            data={
                "condition": condition,
                "erasure": erasure,
                "erased_by": erased_by,
                "method": erasure_method,
            },
        )
        ticket_services.add_system_note(
            ticket=row.ticket,
            body=gettext(
                "Spare unit %(serial)s is back (%(loan)s, recorded by %(user)s): %(condition)s; %(erasure)s."
            )
            % {
                "serial": unit.serial,
                "loan": row.number,
                "user": by,
                "condition": Condition(condition).label,
                "erasure": Erasure(erasure).label,
            },
            at=at,
            data={"spares": "returned", "loan": row.number, "by": by.pk},
        )
    return row


def cancel_loan(*, loan: Loan, by: User, reason: str, at: datetime | None = None) -> Loan:
    """A loan recorded by mistake (the unit never left): the unit is back in the pool."""
    at = _moment(at)
    _require_spares_manager(by, gettext("cancel a loan"))
    reason = _require_text(reason, gettext("Say why the loan is cancelled."))
    with transaction.atomic():
        row = Loan.objects.select_for_update().get(pk=loan.pk)
        if row.status != Loan.Status.OUT:
            raise InvalidTransition(gettext("Only a loan that is out can be cancelled."))
        row.status = Loan.Status.CANCELLED
        row.save(update_fields=["status", "updated_at"])
        SpareUnit.objects.filter(pk=row.spare_unit_id).update(
            status=SpareUnit.Status.AVAILABLE, updated_at=at
        )
        _unit_event(
            row.spare_unit,
            SpareUnitEvent.Kind.STATUS,
            by=by,
            at=at,
            from_status=SpareUnit.Status.ON_LOAN,
            to_status=SpareUnit.Status.AVAILABLE,
            reference=row.number,
            body=reason,
        )
        _loan_event(
            row,
            LoanEvent.Kind.CANCELLED,
            by=by,
            at=at,
            from_status=Loan.Status.OUT,
            to_status=row.status,
            body=reason,
        )
    return row


def chase_overdue_loans(*, now: datetime | None = None) -> list[Loan]:
    """Remind the customer contact, the account manager and the centre leads of each overdue loan.

    At most once per loan per local day: the conditional update on
    ``last_chased_on`` lets one worker win, and the notices carry a dedupe key
    per loan and reminder number.
    """
    now = _moment(now)
    today = local_date(now)
    chased = []
    for pk in queries.overdue_loans(today=today).values_list("pk", flat=True):
        with transaction.atomic():
            won = (
                Loan.objects.filter(pk=pk, status=Loan.Status.OUT, expected_return_on__lt=today)
                .filter(Q(last_chased_on__isnull=True) | Q(last_chased_on__lt=today))
                .update(last_chased_on=today, chase_count=F("chase_count") + 1)
            )
            if not won:
                continue
            loan = Loan.objects.select_related(
                "ticket__reporter__user",
                "ticket__onsite_contact__user",
                "ticket__centre",
                "customer__account_manager",
                "spare_unit__product_model",
            ).get(pk=pk)
            values = {
                "loan": loan.number,
                "ticket": loan.ticket.number,
                "serial": loan.spare_unit.serial,
                "model": str(loan.spare_unit.product_model),
                "back": loan.expected_return_on.isoformat(),
                "days": (today - loan.expected_return_on).days,
                "customer": str(loan.customer),
                "count": loan.chase_count,
            }
            staff = [loan.customer.account_manager] if loan.customer.account_manager_id else []
            if loan.ticket.centre_id:
                staff += centre_leads(loan.ticket.centre)
            key = f"loan:{loan.pk}:overdue:{loan.chase_count}"
            _tell(
                _customer_addressees(loan.ticket),
                kind="loan_overdue",
                subject=gettext_noop("Please return spare unit %(serial)s (%(loan)s)"),
                body=gettext_noop(
                    "Spare unit %(serial)s (%(model)s), lent under %(loan)s for ticket %(ticket)s, "
                    "was due back on %(back)s. Please arrange its return with us."
                ),
                values=values,
                reference=loan.number,
                dedupe_key=key,
            )
            _tell(
                [_staff_addressee(user) for user in staff if user.is_active],
                kind="loan_overdue",
                subject=gettext_noop("Loan %(loan)s overdue by %(days)s days (%(customer)s)"),
                body=gettext_noop(
                    "Spare unit %(serial)s (%(model)s), lent to %(customer)s under %(loan)s for %(ticket)s, "
                    "was due back on %(back)s. Reminder %(count)s has gone to the customer."
                ),
                values=values,
                reference=loan.number,
                dedupe_key=key,
            )
            _loan_event(loan, LoanEvent.Kind.CHASED, by=None, at=now, data={"reminder": loan.chase_count})
            chased.append(loan)
    return chased


# --- the close guard (registered in SparesConfig.ready) ------------------------------------------


def loans_blocking_close(ticket: Ticket):
    """A ticket may not close while a spare unit lent on it is out."""
    from aftersales.tickets.guards import CloseBlock

    return [
        CloseBlock(
            guard="spares",
            reference=number,
            message=gettext("Spare unit %(serial)s is still out on loan %(loan)s.")
            % {"serial": serial, "loan": number},
        )
        for number, serial in Loan.objects.filter(ticket=ticket, status=Loan.Status.OUT).values_list(
            "number", "spare_unit__serial"
        )
    ]


LOAN_SUBJECT = "loan"  # what a loan's quote names as its subject (fees never imports spares)


def quote_loan(*, loan: Loan, by: User, at: datetime | None = None) -> Quote:
    """A draft quote of a paid loan (out of warranty): the days lent at the ``spare_day`` price of
    the schedule in force. Once the unit is back, so the days are known; one live quote a loan."""
    at = _moment(at)
    if not loan.is_chargeable:
        raise InvalidInput(gettext("Loan %(loan)s is free: the fault is covered.") % {"loan": loan.number})
    if loan.status != Loan.Status.RETURNED:
        raise InvalidTransition(gettext("A loan is quoted once the unit is back."))
    if any(quote.status != QuoteStatus.CANCELLED for quote in quotes_for_subject(LOAN_SUBJECT, loan.pk)):
        raise Conflict(gettext("Loan %(loan)s already has a quote.") % {"loan": loan.number})
    days = queries.loan_days(loan)
    with transaction.atomic():
        quote = create_quote(
            customer=loan.customer,
            by=by,
            lines=[
                {"code": "spare_day", "quantity": days, "description": f"{loan.number} · {loan.spare_unit}"}
            ],
            ticket=loan.ticket,
            subject_type=LOAN_SUBJECT,
            subject_id=loan.pk,
            note=gettext("Spare unit lent for %(days)s days.") % {"days": days},
            at=at,
        )
        _loan_event(loan, LoanEvent.Kind.QUOTED, by=by, at=at, body=quote.number, data={"quote": quote.pk})
    return quote
