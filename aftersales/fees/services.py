"""Changes to quotes, charges and statements.

A quote moves ``draft → (awaiting_approval →) issued → approved | refused → completed → invoiced``
(or ``cancelled`` before the customer approves). Its status is assigned only in ``_move``, which
checks ``_MOVES`` and appends a ``QuoteEvent``. Every service locks the quote row, runs in one
transaction, and raises ``core.errors`` with a translatable message; bad input changes nothing.

Prices: every line copies the price of the schedule version in force when the quote is priced
(``unit_price`` may differ: an off-schedule price). From ``issued`` on the lines are never
changed, so a later schedule version cannot alter an issued quote. An off-schedule price or a
discount above the limit (``FeeSettings.discount_limit_percent``, default
``settings.AFTERSALES_QUOTE_DISCOUNT_LIMIT`` or 10 %) needs a manager's recorded approval
before the quote is issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability, Role, capabilities_of
from aftersales.core.business_time import end_of_local_day, local_date, start_of_local_day
from aftersales.core.errors import InvalidInput, InvalidTransition, NotPermitted
from aftersales.core.numbering import next_document_number
from aftersales.customers.models import Contact, Customer
from aftersales.customers.queries import customer_scope_for_user
from aftersales.fees import hooks
from aftersales.fees.models import (
    HUNDRED,
    Charge,
    ChargeUnit,
    DecisionChannel,
    FeeItem,
    FeeSchedule,
    FeeSettings,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteStatus,
    Statement,
    money,
)
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import queue_notice

QUOTE_PREFIX = "QT"
STATEMENT_PREFIX = "ST"
DEFAULT_DISCOUNT_LIMIT = Decimal("10")
MAX_LINES = 100
S = QuoteStatus

# move name → (allowed from, to)
_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT}), S.AWAITING_APPROVAL),
    "issue": (frozenset({S.DRAFT, S.AWAITING_APPROVAL}), S.ISSUED),
    "return_to_draft": (frozenset({S.AWAITING_APPROVAL}), S.DRAFT),
    "customer_approve": (frozenset({S.ISSUED}), S.APPROVED),
    "customer_refuse": (frozenset({S.ISSUED}), S.REFUSED),
    "complete": (frozenset({S.APPROVED}), S.COMPLETED),
    "invoice": (frozenset({S.COMPLETED}), S.INVOICED),
    "cancel": (frozenset({S.DRAFT, S.AWAITING_APPROVAL, S.ISSUED}), S.CANCELLED),
}


# --- helpers -------------------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
    return at or timezone.now()


def _require(user: User | None, capability: str, message: str) -> None:
    if user is None or not user.is_active or not user.has_perm(f"aftersales.{capability}"):
        raise NotPermitted(message)


def _lock(quote: Quote) -> Quote:
    locked = Quote.objects.select_for_update().get(pk=quote.pk)
    quote.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return quote


def _event(quote: Quote, kind: str, *, by: User | None, at: datetime, body: str = "", **extra: Any) -> None:
    QuoteEvent.objects.create(
        quote=quote,
        kind=kind,
        at=at,
        actor=by,
        body=body,
        from_status=extra.pop("from_status", ""),
        to_status=extra.pop("to_status", ""),
        data=extra,
    )


def _move(quote: Quote, move: str, *, by: User | None, at: datetime, body: str = "", **data: Any) -> None:
    allowed, to_status = _MOVES[move]
    if quote.status not in allowed:
        raise InvalidTransition(
            gettext("Quote %(number)s is %(status)s; it cannot be %(move)s now.")
            % {"number": quote.number, "status": quote.get_status_display(), "move": _move_label(move)}
        )
    from_status = quote.status
    quote.status = to_status
    _event(quote, move, by=by, at=at, body=body, from_status=from_status, to_status=to_status, **data)


def _move_label(move: str) -> str:
    return {
        "submit": gettext("submitted for approval"),
        "issue": gettext("issued"),
        "return_to_draft": gettext("returned to draft"),
        "customer_approve": gettext("approved"),
        "customer_refuse": gettext("refused"),
        "complete": gettext("completed"),
        "invoice": gettext("put on a statement"),
        "cancel": gettext("cancelled"),
    }[move]


def _decimal(
    value: Any, label: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(gettext("%(label)s must be a number.") % {"label": label}) from None
    if not number.is_finite():
        raise InvalidInput(gettext("%(label)s must be a number.") % {"label": label})
    if minimum is not None and number < minimum:
        raise InvalidInput(gettext("%(label)s must be at least %(min)s.") % {"label": label, "min": minimum})
    if maximum is not None and number > maximum:
        raise InvalidInput(gettext("%(label)s must be at most %(max)s.") % {"label": label, "max": maximum})
    return number


# --- notices ------------------------------------------------------------------------------------


def _site_url(path: str) -> str:
    return settings.AFTERSALES["SITE_URL"].rstrip("/") + path


def _notify_approvers(quote: Quote, reasons: list[str]) -> None:
    """Managers who grant approvals find the quote in their console inbox."""
    roles = [role for role in Role.values if Capability.GRANT_APPROVAL in capabilities_of(role)]
    for manager in User.objects.filter(role__in=roles, is_active=True).order_by("pk"):
        with translation.override(manager.language or settings.LANGUAGE_CODE):
            queue_notice(
                kind="quote_approval",
                recipient=manager,
                channel=OutboxMessage.Channel.DESK,
                subject=gettext("Quote %(number)s needs your approval") % {"number": quote.number},
                body="\n".join([*reasons, _site_url(f"/desk/quotes/{quote.number}/")]),
                reference=quote.number,
                dedupe_key=f"quote:{quote.pk}:approval:{quote.events.count()}",
            )


def _notify_customer(quote: Quote) -> None:
    """The customer's portal users get the issued quote by e-mail, with the page to decide on."""
    contacts = Contact.objects.filter(customer_id=quote.customer_id, user__is_active=True).exclude(email="")
    for contact in contacts.order_by("pk"):
        with translation.override(contact.language or settings.LANGUAGE_CODE):
            body = gettext(
                "Quote %(number)s for %(customer)s: %(total)s CNY including VAT.\n"
                "Please approve or refuse it in the customer portal: %(url)s"
            ) % {
                "number": quote.number,
                "customer": quote.customer.name,
                "total": quote.total,
                "url": _site_url(f"/portal/quotes/{quote.number}/"),
            }
            queue_notice(
                kind="quote_issued",
                address=contact.email,
                language=contact.language,
                subject=gettext("Quote %(number)s for your approval") % {"number": quote.number},
                body=body,
                reference=quote.number,
                dedupe_key=f"quote:{quote.pk}:issued:{contact.pk}",
            )


# --- the schedule ----------------------------------------------------------------------------------


def schedule_in_force(on: date) -> FeeSchedule | None:
    """The latest published schedule version with ``effective_from`` on or before ``on``."""
    return (
        FeeSchedule.objects.filter(published=True, effective_from__lte=on)
        .order_by("-effective_from", "-pk")
        .first()
    )


def discount_limit() -> Decimal:
    """The largest discount (percent) a quote line may carry without a manager's approval."""
    row = FeeSettings.objects.order_by("pk").first()
    if row is not None:
        return row.discount_limit_percent
    return Decimal(str(getattr(settings, "AFTERSALES_QUOTE_DISCOUNT_LIMIT", DEFAULT_DISCOUNT_LIMIT)))


@transaction.atomic
def set_discount_limit(*, percent: Decimal, by: User) -> FeeSettings:
    _require(by, "configure", gettext("You may not change the fee settings."))
    percent = _decimal(percent, gettext("The discount limit"), minimum=Decimal("0"), maximum=HUNDRED)
    row = FeeSettings.objects.select_for_update().order_by("pk").first() or FeeSettings()
    row.discount_limit_percent = percent
    row.save()
    return row


def create_schedule(
    *, name: str, effective_from: date, items: Iterable[dict], published: bool = False, note: str = ""
) -> FeeSchedule:
    """A schedule version with its items (``code``, ``name_en``, ``name_zh``, ``category``, ``unit``,
    ``price``, ``vat_rate``): for the demo, imports and tests; people edit in the admin."""
    with transaction.atomic():
        schedule = FeeSchedule.objects.create(
            name=name, effective_from=effective_from, published=published, note=note
        )
        rows = []
        for position, item in enumerate(items, start=1):
            rows.append(
                FeeItem(
                    schedule=schedule,
                    code=item["code"],
                    category=item.get("category", "other"),
                    name_en=item["name_en"],
                    name_zh=item["name_zh"],
                    unit=item.get("unit", ChargeUnit.TIME),
                    price=money(item["price"]),
                    vat_rate=Decimal(str(item.get("vat_rate", "6"))),
                    position=item.get("position", position),
                )
            )
        FeeItem.objects.bulk_create(rows)
    return schedule


@transaction.atomic
def copy_schedule(
    *, schedule: FeeSchedule, name: str = "", effective_from: date | None = None
) -> FeeSchedule:
    """A new unpublished version with the same items, to edit instead of a locked one."""
    copy = FeeSchedule.objects.create(
        name=name or gettext("%(name)s (copy)") % {"name": schedule.name},
        effective_from=effective_from or schedule.effective_from,
        published=False,
        note=schedule.note,
    )
    FeeItem.objects.bulk_create(
        FeeItem(
            schedule=copy,
            code=item.code,
            category=item.category,
            name_en=item.name_en,
            name_zh=item.name_zh,
            unit=item.unit,
            price=item.price,
            vat_rate=item.vat_rate,
            position=item.position,
        )
        for item in schedule.items.all()
    )
    return copy


# --- building quote lines --------------------------------------------------------------------------


def quote_lines_from(billable: Iterable[dict]) -> list[dict]:
    """Billable quantities a visit (or any work) recorded, as ``create_quote`` lines.

    Accepts ``[{"code", "quantity", "description"?}]``; drops zero quantities; merges nothing
    (each recorded quantity stays a line of its own, with its description).
    """
    lines = []
    for entry in billable:
        quantity = _decimal(entry.get("quantity", 0), gettext("Quantity"), minimum=Decimal("0"))
        if quantity == 0:
            continue
        line = {"code": str(entry.get("code", "")).strip(), "quantity": quantity}
        if entry.get("description"):
            line["description"] = str(entry["description"])[:300]
        lines.append(line)
    return lines


def _build_lines(schedule: FeeSchedule, lines: Iterable[dict]) -> list[QuoteLine]:
    lines = list(lines or [])
    if not lines:
        raise InvalidInput(gettext("A quote needs at least one line."))
    if len(lines) > MAX_LINES:
        raise InvalidInput(gettext("A quote may have at most %(n)s lines.") % {"n": MAX_LINES})
    codes = {str(line.get("code", "")).strip() for line in lines if isinstance(line, dict)}
    items = {item.code: item for item in schedule.items.filter(code__in=codes)}
    built = []
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise InvalidInput(gettext("Line %(n)s is not a quote line.") % {"n": position})
        code = str(line.get("code", "")).strip()
        item = items.get(code)
        if item is None:
            raise InvalidInput(
                gettext("Line %(n)s: “%(code)s” is not an item of the fee schedule %(schedule)s.")
                % {"n": position, "code": code, "schedule": schedule}
            )
        label = gettext("Line %(n)s: quantity") % {"n": position}
        quantity = _decimal(line.get("quantity", 1), label, minimum=Decimal("0.01"), maximum=Decimal("99999"))
        if quantity != quantity.quantize(Decimal("0.01")):
            raise InvalidInput(gettext("%(label)s may have at most two decimals.") % {"label": label})
        unit_price = item.price
        if line.get("unit_price") not in (None, ""):
            unit_price = money(
                _decimal(
                    line["unit_price"],
                    gettext("Line %(n)s: unit price") % {"n": position},
                    minimum=Decimal("0"),
                    maximum=Decimal("9999999999"),
                )
            )
        discount = Decimal("0")
        if line.get("discount_percent") not in (None, ""):
            discount = _decimal(
                line["discount_percent"],
                gettext("Line %(n)s: discount") % {"n": position},
                minimum=Decimal("0"),
                maximum=HUNDRED,
            ).quantize(Decimal("0.01"))
        amount = money(quantity * unit_price * (HUNDRED - discount) / HUNDRED)
        built.append(
            QuoteLine(
                position=position,
                code=code,
                name_en=item.name_en,
                name_zh=item.name_zh,
                description=str(line.get("description") or "")[:300],
                unit=item.unit,
                quantity=quantity,
                schedule_price=item.price,
                unit_price=unit_price,
                discount_percent=discount,
                vat_rate=item.vat_rate,
                amount=amount,
            )
        )
    return built


def quote_exceptions(quote: Quote) -> list[str]:
    """Why this quote needs a manager's approval (empty: it does not)."""
    limit = discount_limit()
    reasons = []
    for line in quote.lines.all():
        if line.unit_price != line.schedule_price:
            reasons.append(
                gettext("Line %(n)s (%(code)s): price %(price)s differs from the schedule's %(schedule)s.")
                % {
                    "n": line.position,
                    "code": line.code,
                    "price": line.unit_price,
                    "schedule": line.schedule_price,
                }
            )
        if line.discount_percent > limit:
            reasons.append(
                gettext("Line %(n)s (%(code)s): discount %(discount)s %% is above the limit of %(limit)s %%.")
                % {"n": line.position, "code": line.code, "discount": line.discount_percent, "limit": limit}
            )
    return reasons


def _save_lines(quote: Quote, built: list[QuoteLine]) -> None:
    quote.lines.all().delete()
    for line in built:
        line.quote = quote
    QuoteLine.objects.bulk_create(built)
    quote.total = money(sum((line.amount for line in built), Decimal("0")))


# --- quote services --------------------------------------------------------------------------------


def create_quote(
    *,
    customer: Customer,
    by: User,
    lines: Iterable[dict],
    ticket=None,
    subject_type: str = "",
    subject_id: int | None = None,
    note: str = "",
    at: datetime | None = None,
) -> Quote:
    """A draft quote priced from the schedule version in force at ``at``."""
    at = _moment(at)
    _require(by, "quote_work", gettext("You may not quote paid work."))
    if ticket is not None and ticket.customer_id != customer.pk:
        raise InvalidInput(gettext("The ticket belongs to another customer."))
    if bool(subject_type) != (subject_id is not None):
        raise InvalidInput(gettext("A quote's subject needs both its type and its id."))
    with transaction.atomic():
        schedule = schedule_in_force(local_date(at))
        if schedule is None:
            raise InvalidInput(gettext("No fee schedule is in force on %(day)s.") % {"day": local_date(at)})
        built = _build_lines(schedule, lines)
        quote = Quote.objects.create(
            number=next_document_number(QUOTE_PREFIX, at=at),
            customer=customer,
            ticket=ticket,
            subject_type=subject_type or "",
            subject_id=subject_id,
            schedule=schedule,
            note=(note or "").strip(),
            created_by=by,
            priced_at=at,
        )
        _save_lines(quote, built)
        quote.save(update_fields=["total", "updated_at"])
        _event(
            quote,
            "created",
            by=by,
            at=at,
            to_status=quote.status,
            schedule=schedule.pk,
            total=str(quote.total),
        )
    return quote


def update_quote_lines(
    *, quote: Quote, by: User, lines: Iterable[dict], note: str | None = None, at: datetime | None = None
) -> Quote:
    """Replace a draft's lines, re-priced from the schedule version in force at ``at``.

    Any approval given for the old lines no longer counts.
    """
    at = _moment(at)
    _require(by, "quote_work", gettext("You may not quote paid work."))
    with transaction.atomic():
        _lock(quote)
        if quote.status != S.DRAFT:
            raise InvalidTransition(
                gettext("Quote %(number)s is %(status)s; its lines can no longer change.")
                % {"number": quote.number, "status": quote.get_status_display()}
            )
        schedule = schedule_in_force(local_date(at))
        if schedule is None:
            raise InvalidInput(gettext("No fee schedule is in force on %(day)s.") % {"day": local_date(at)})
        built = _build_lines(schedule, lines)
        old_total = quote.total
        _save_lines(quote, built)
        quote.schedule = schedule
        quote.priced_at = at
        quote.approval_by, quote.approval_at, quote.approval_reason = None, None, ""
        fields = ["total", "schedule", "priced_at", "approval_by", "approval_at", "approval_reason"]
        if note is not None:
            quote.note = note.strip()
            fields.append("note")
        quote.save(update_fields=[*fields, "updated_at"])
        _event(quote, "lines_changed", by=by, at=at, old_total=str(old_total), total=str(quote.total))
    return quote


def _issue(quote: Quote, *, by: User | None, at: datetime, body: str = "") -> None:
    _move(quote, "issue", by=by, at=at, body=body, total=str(quote.total))
    quote.issued_at = at
    _notify_customer(quote)


def issue_quote(*, quote: Quote, by: User, at: datetime | None = None) -> Quote:
    """Lock a draft and send it to the customer.

    If a line is off-schedule or discounted beyond the limit and no manager approved it, the
    quote is instead submitted for approval (``awaiting_approval``); the approval issues it.
    """
    at = _moment(at)
    _require(by, "quote_work", gettext("You may not issue quotes."))
    with transaction.atomic():
        _lock(quote)
        if quote.status != S.DRAFT:
            raise InvalidTransition(
                gettext("Quote %(number)s is %(status)s; only a draft can be issued.")
                % {"number": quote.number, "status": quote.get_status_display()}
            )
        reasons = quote_exceptions(quote)
        if reasons and quote.approval_at is None:
            _move(quote, "submit", by=by, at=at, body="\n".join(reasons))
            _notify_approvers(quote, reasons)
        else:
            _issue(quote, by=by, at=at)
        quote.save(update_fields=["status", "issued_at", "updated_at"])
    return quote


def approve_quote_exception(*, quote: Quote, by: User, reason: str, at: datetime | None = None) -> Quote:
    """A manager approves the off-schedule prices or large discounts of a quote, with a reason.

    On a quote awaiting approval this also issues it; on a draft it is recorded for later.
    """
    at = _moment(at)
    _require(by, "grant_approval", gettext("Only a manager may approve a quote's exceptions."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Give the reason for the approval."))
    with transaction.atomic():
        _lock(quote)
        if quote.status not in (S.DRAFT, S.AWAITING_APPROVAL):
            raise InvalidTransition(
                gettext("Quote %(number)s is %(status)s; there is nothing to approve.")
                % {"number": quote.number, "status": quote.get_status_display()}
            )
        reasons = quote_exceptions(quote)
        if not reasons:
            raise InvalidInput(gettext("This quote follows the schedule; it needs no approval."))
        quote.approval_by, quote.approval_at, quote.approval_reason = by, at, reason
        _event(quote, "exception_approved", by=by, at=at, body=reason, exceptions=reasons)
        if quote.status == S.AWAITING_APPROVAL:
            _issue(quote, by=by, at=at)
        quote.save(
            update_fields=[
                "approval_by",
                "approval_at",
                "approval_reason",
                "status",
                "issued_at",
                "updated_at",
            ]
        )
    return quote


def refuse_quote_exception(*, quote: Quote, by: User, reason: str, at: datetime | None = None) -> Quote:
    """A manager sends a quote awaiting approval back to draft, with the reason."""
    at = _moment(at)
    _require(by, "grant_approval", gettext("Only a manager may refuse a quote's exceptions."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Give the reason for sending the quote back."))
    with transaction.atomic():
        _lock(quote)
        _move(quote, "return_to_draft", by=by, at=at, body=reason)
        quote.save(update_fields=["status", "updated_at"])
    return quote


def record_customer_decision(
    *,
    quote: Quote,
    approved: bool,
    by: User,
    channel: str,
    note: str = "",
    at: datetime | None = None,
) -> Quote:
    """The customer approves or refuses an issued quote: in the portal (a customer user of the
    quote's organisation) or by phone/e-mail, recorded by staff who quote work.

    The subject's ``on_decided`` hook (``fees.hooks``) runs in this transaction.
    """
    at = _moment(at)
    if channel not in DecisionChannel.values:
        raise InvalidInput(gettext("Unknown channel for the customer's decision."))
    if by is None or not by.is_active:
        raise NotPermitted(gettext("You may not record the customer's decision."))
    if channel == DecisionChannel.PORTAL:
        if not by.is_customer_user or not customer_scope_for_user(by).filter(pk=quote.customer_id).exists():
            raise NotPermitted(gettext("Only the customer may decide on a quote in the portal."))
    else:
        _require(by, "quote_work", gettext("You may not record the customer's decision."))
    with transaction.atomic():
        _lock(quote)
        _move(
            quote,
            "customer_approve" if approved else "customer_refuse",
            by=by,
            at=at,
            body=(note or "").strip(),
            channel=channel,
        )
        quote.decided_at, quote.decided_by = at, by
        quote.decision_channel, quote.decision_note = channel, (note or "").strip()
        quote.save(
            update_fields=[
                "status",
                "decided_at",
                "decided_by",
                "decision_channel",
                "decision_note",
                "updated_at",
            ]
        )
        registered = hooks.hooks_for(quote.subject_type)
        if registered is not None and registered.on_decided is not None:
            registered.on_decided(quote)
    return quote


def cancel_quote(*, quote: Quote, by: User, reason: str, at: datetime | None = None) -> Quote:
    at = _moment(at)
    _require(by, "quote_work", gettext("You may not cancel quotes."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Give the reason for cancelling the quote."))
    with transaction.atomic():
        _lock(quote)
        _move(quote, "cancel", by=by, at=at, body=reason)
        quote.save(update_fields=["status", "updated_at"])
    return quote


def complete_quote(*, quote: Quote, by: User | None, at: datetime | None = None, note: str = "") -> Quote:
    """The approved work is done: each line becomes a charge awaiting a statement.

    ``by=None`` is system work (e.g. repairs closing its order); a person needs ``quote_work``.
    """
    at = _moment(at)
    if by is not None:
        _require(by, "quote_work", gettext("You may not complete quoted work."))
    with transaction.atomic():
        _lock(quote)
        _move(quote, "complete", by=by, at=at, body=(note or "").strip())
        quote.completed_at = at
        quote.save(update_fields=["status", "completed_at", "updated_at"])
        Charge.objects.bulk_create(
            Charge(
                customer_id=quote.customer_id,
                quote=quote,
                reference=quote.number,
                description=(
                    f"{line.name_zh} / {line.name_en}"
                    + (f" — {line.description}" if line.description else "")
                )[:300],
                quantity=line.quantity,
                unit=line.unit,
                amount=line.amount,
                vat_rate=line.vat_rate,
                at=at,
            )
            for line in quote.lines.all()
        )
        registered = hooks.hooks_for(quote.subject_type)
        if registered is not None and registered.on_completed is not None:
            registered.on_completed(quote)
    return quote


def record_charge(
    *,
    customer: Customer,
    reference: str,
    description: str,
    amount,
    quote: Quote | None = None,
    vat_rate=Decimal("6"),
    quantity=Decimal("1"),
    unit: str = ChargeUnit.TIME,
    by: User | None = None,
    at: datetime | None = None,
) -> Charge:
    """Paid work done without a quote line (or beside one), owed by ``customer``."""
    at = _moment(at)
    if by is not None:
        _require(by, "quote_work", gettext("You may not record charges."))
    reference, description = (reference or "").strip(), (description or "").strip()
    if not reference or not description:
        raise InvalidInput(gettext("A charge needs a reference and a description."))
    if quote is not None and quote.customer_id != customer.pk:
        raise InvalidInput(gettext("The quote belongs to another customer."))
    if unit not in ChargeUnit.values:
        raise InvalidInput(gettext("Unknown unit."))
    amount = money(_decimal(amount, gettext("The amount"), minimum=Decimal("0.01")))
    vat_rate = _decimal(vat_rate, gettext("The VAT rate"), minimum=Decimal("0"), maximum=HUNDRED)
    quantity = _decimal(quantity, gettext("Quantity"), minimum=Decimal("0.01"))
    with transaction.atomic():
        return Charge.objects.create(
            customer=customer,
            quote=quote,
            reference=reference[:64],
            description=description[:300],
            quantity=quantity,
            unit=unit,
            amount=amount,
            vat_rate=vat_rate,
            at=at,
        )


# --- statements ----------------------------------------------------------------------------------


def build_statement(
    *, customer: Customer, period_start: date, period_end: date, by: User, at: datetime | None = None
) -> Statement:
    """Gather the customer's charges of the period not yet on a statement into a new one (ST-…).

    Carries the customer's invoice details as they are now; quotes whose charges are all on
    statements become ``invoiced``.
    """
    at = _moment(at)
    _require(by, "quote_work", gettext("You may not build statements."))
    if period_start > period_end:
        raise InvalidInput(gettext("The period starts after it ends."))
    with transaction.atomic():
        charges = list(
            Charge.objects.select_for_update()
            .filter(
                customer=customer,
                statement__isnull=True,
                at__gte=start_of_local_day(period_start),
                at__lte=end_of_local_day(period_end),
            )
            .order_by("at", "pk")
        )
        if not charges:
            raise InvalidInput(
                gettext(
                    "%(customer)s has no completed paid work in this period that is not on a statement yet."
                )
                % {"customer": customer}
            )
        statement = Statement.objects.create(
            number=next_document_number(STATEMENT_PREFIX, at=at),
            customer=customer,
            period_start=period_start,
            period_end=period_end,
            invoice_title=customer.invoice_title or customer.name,
            tax_number=customer.tax_number,
            invoice_address=customer.invoice_address,
            invoice_bank=customer.invoice_bank,
            total=money(sum((c.amount for c in charges), Decimal("0"))),
            created_by=by,
            issued_at=at,
        )
        Charge.objects.filter(pk__in=[c.pk for c in charges]).update(statement=statement)
        quote_ids = {c.quote_id for c in charges if c.quote_id}
        still_open = set(
            Charge.objects.filter(quote_id__in=quote_ids, statement__isnull=True).values_list(
                "quote_id", flat=True
            )
        )
        for quote in Quote.objects.select_for_update().filter(
            pk__in=quote_ids - still_open, status=S.COMPLETED
        ):
            _move(quote, "invoice", by=by, at=at, statement=statement.number)
            quote.save(update_fields=["status", "updated_at"])
    return statement
