"""Mail intake: store every message first, then make a ticket, a reply or a log line of it.

Two steps, two transactions:

1. ``store_message`` commits the raw bytes with their hash, where they came
   from and when our mail server received them. Only after that commit is an
   IMAP message flagged read (or moved), so a crash never loses mail.
2. ``process_message`` re-reads the stored row under a lock and handles it only
   while it is still ``received``; the ticket it opens (or the reply it
   appends) and the row's new status commit together. A crash before that
   commit leaves the message ``received`` for the next pass; after it the
   message is never handled again. Whatever goes wrong with one message
   (unreadable bytes, a refused ticket) quarantines that message alone.

What a message becomes: a duplicate (same Message-ID, or same bytes without
one) or our own message come back is recorded and ignored; a bounce or an
automatic reply (RFC 3834 and the usual headers) never opens a ticket and is
never answered, only noted on the ticket it refers to; a reply (In-Reply-To /
References to a message we sent or received, or ``[SR-2026-000123]`` in the
subject) is appended when its sender takes part in that ticket and held for a
specialist otherwise; anything else opens a ticket.
"""

from __future__ import annotations

import email
import hashlib
import imaplib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability
from aftersales.core.business_time import add_minutes
from aftersales.core.errors import DomainError, InvalidTransition, NotPermitted
from aftersales.customers.models import Contact, Customer
from aftersales.intake.imap import MailboxError, MailboxSession
from aftersales.intake.models import (
    UNIDENTIFIED_CUSTOMER_CODE,
    UNIDENTIFIED_CUSTOMER_NAME,
    InboundMessage,
    Mailbox,
)
from aftersales.intake.parsing import ParsedMail, UnreadableMessage, parse_message, received_at_from
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets import services as tickets
from aftersales.tickets.models import Channel, Kind, Severity, Ticket, TicketEvent
from aftersales.units.models import Unit

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome
Status = InboundMessage.Status

_TICKET_NUMBER = re.compile(r"\bSR-\d{4}-\d{6}\b", re.IGNORECASE)
_SERIAL_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.]{3,63}")
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon")
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# A quoted earlier message under a reply: kept in the raw mail, not repeated on the timeline.
_QUOTE_START = re.compile(
    r"^(?:-{2,}\s*(?:original message|原始邮件|forwarded message)\s*-{2,}"
    r"|on .{1,200} wrote:|在 .{1,200}写道[:：]"
    r"|发件人[:：].*|from: .*\s+sent: .*)$",
    re.IGNORECASE | re.MULTILINE,
)
# A message that stopped the worker this many times is quarantined, not tried again.
MAX_INTERRUPTED_ATTEMPTS = 3
_TITLE_MAX = 200
_SUBJECT_MAX = 300
_HEADER_SCAN_BYTES = 64 * 1024


def _system_text(message: str, values: dict[str, str]) -> str:
    """A timeline text the intake writes, in the vendor's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % values


# --- step 1: store --------------------------------------------------------------------------------


def _quick_message_id(raw: bytes) -> str:
    """The Message-ID read from the header block without parsing the message (never raises).

    Stored with the bytes so a second delivery is recognised even while the
    first is still waiting to be processed.
    """
    head = raw[:_HEADER_SCAN_BYTES].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(
        rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,290}>)", head, re.IGNORECASE | re.MULTILINE
    )
    return match.group(1).decode("ascii", "replace") if match else ""


def receipt_time_of_piped(raw: bytes, *, now: datetime | None = None) -> datetime:
    """For piped mail: the topmost Received header's date (our server's receipt), else now."""
    now = now or timezone.now()
    try:
        moment = received_at_from(email.message_from_bytes(raw[:_HEADER_SCAN_BYTES]))
    except Exception:  # unreadable headers: the receipt time falls back to now
        moment = None
    if moment is None or moment > now:
        return now
    return moment


def store_message(
    *,
    raw: bytes,
    source: str,
    received_at: datetime,
    source_name: str = "",
    mailbox: Mailbox | None = None,
    imap_uidvalidity: str = "",
    imap_uid: str = "",
) -> tuple[InboundMessage, bool]:
    """Commit the raw message before anything else; returns (row, whether it was new).

    An IMAP message already stored (same mailbox, UIDVALIDITY and UID: a fetch
    interrupted before it flagged the message) returns the stored row.
    """
    fields = {
        "raw": raw,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
        "message_id": _quick_message_id(raw),
        "source": source,
        "source_name": source_name[:300],
        "mailbox": mailbox,
        "imap_uidvalidity": imap_uidvalidity,
        "imap_uid": imap_uid,
        "received_at": received_at,
    }
    if source == InboundMessage.Source.IMAP:
        existing = InboundMessage.objects.filter(
            source=source, mailbox=mailbox, imap_uidvalidity=imap_uidvalidity, imap_uid=imap_uid
        ).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(**fields), True
    except IntegrityError:
        # Another worker stored the same IMAP message a moment ago.
        return InboundMessage.objects.get(
            source=source, mailbox=mailbox, imap_uidvalidity=imap_uidvalidity, imap_uid=imap_uid
        ), False


# --- step 2: process -----------------------------------------------------------------------------


_PROCESSING_FIELDS = (
    "status",
    "outcome",
    "reason",
    "ticket",
    "duplicate_of",
    "acknowledged",
    "needs_customer_link",
    "processed_at",
    "attempts",
    "message_id",
    "sender",
    "sender_name",
    "subject",
    "html",
)


@dataclass
class _Verdict:
    outcome: str
    reason: str = ""
    status: str = Status.PROCESSED
    ticket: Ticket | None = None
    duplicate_of: InboundMessage | None = None
    acknowledged: bool = False
    needs_customer_link: bool = False


def process_message(
    *, message: InboundMessage, now: datetime | None = None, again: bool = False
) -> InboundMessage:
    """Handle one stored message exactly once (``again``: a quarantined or held one, by request).

    The attempt is counted first, in a transaction of its own, so a message that
    kills the worker every time is quarantined after a few tries instead of
    holding up the messages behind it. The handling then runs in its own
    transaction on the re-read, locked row: two workers (or a retried task)
    never handle a message twice.
    """
    now = now or timezone.now()
    allowed = (Status.RECEIVED, Status.QUARANTINED, Status.NEEDS_REVIEW) if again else (Status.RECEIVED,)
    with transaction.atomic():
        claimed = (
            InboundMessage.objects.select_for_update().only("id", "status", "attempts").get(pk=message.pk)
        )
        if claimed.status not in allowed:
            return InboundMessage.objects.get(pk=message.pk)
        if not again and claimed.attempts >= MAX_INTERRUPTED_ATTEMPTS:
            return _quarantine_interrupted(claimed, now)
        claimed.attempts += 1
        claimed.save(update_fields=["attempts"])
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.status not in allowed:
            return locked
        try:
            with transaction.atomic():
                verdict = _handle(locked, now)
        except (UnreadableMessage, DomainError) as error:
            verdict = _Verdict(Outcome.QUARANTINED, status=Status.QUARANTINED, reason=str(error))
        except Exception as error:  # one bad message must never stop the intake
            logger.exception("mail intake: message %s could not be processed", locked.pk)
            verdict = _Verdict(
                Outcome.QUARANTINED,
                status=Status.QUARANTINED,
                reason=gettext("Processing failed: %(error)s")
                % {"error": f"{type(error).__name__}: {error}"},
            )
        locked.status = verdict.status
        locked.outcome = verdict.outcome
        locked.reason = verdict.reason[:2000]
        locked.ticket = verdict.ticket
        locked.duplicate_of = verdict.duplicate_of
        locked.acknowledged = verdict.acknowledged
        locked.needs_customer_link = verdict.needs_customer_link
        locked.processed_at = now
        locked.save(update_fields=_PROCESSING_FIELDS)  # never rewrite the raw bytes
    return locked


def _quarantine_interrupted(message: InboundMessage, now: datetime) -> InboundMessage:
    message.status = Status.QUARANTINED
    message.outcome = Outcome.QUARANTINED
    message.reason = gettext(
        "Processing was interrupted %(count)s times (the worker stopped while handling it)."
    ) % {"count": message.attempts}
    message.processed_at = now
    message.save(update_fields=["status", "outcome", "reason", "processed_at"])
    return InboundMessage.objects.get(pk=message.pk)


def process_pending(*, now: datetime | None = None, limit: int | None = None) -> list[InboundMessage]:
    """Handle every stored message not yet handled, oldest first (idempotent; safe on two workers)."""
    pending = (
        InboundMessage.objects.filter(status=Status.RECEIVED).order_by("pk").values_list("pk", flat=True)
    )
    if limit is not None:
        pending = pending[:limit]
    return [process_message(message=InboundMessage(pk=pk), now=now) for pk in list(pending)]


def store_piped_message(*, raw: bytes, source_name: str = "", now: datetime | None = None) -> InboundMessage:
    """Store one message an MTA piped to us; received when its topmost Received header says."""
    message, _created = store_message(
        raw=raw,
        source=InboundMessage.Source.PIPE,
        received_at=receipt_time_of_piped(raw, now=now),
        source_name=source_name,
    )
    return message


def ingest_message(*, raw: bytes, source_name: str = "", now: datetime | None = None) -> InboundMessage:
    """Take in one piped message: store (committed), then process."""
    message = store_piped_message(raw=raw, source_name=source_name, now=now)
    return process_message(message=message, now=now)


def reprocess_message(*, message: InboundMessage, by: User, now: datetime | None = None) -> InboundMessage:
    """A specialist's "process again" on a quarantined or held message (e.g. after adding the
    sender as a contact of the customer)."""
    if not by.is_active or by.is_customer_user or not by.has_perm(f"aftersales.{Capability.TAKE_REPORT}"):
        raise NotPermitted(gettext("%(user)s may not process mail.") % {"user": by})
    if message.status not in (Status.QUARANTINED, Status.NEEDS_REVIEW):
        raise InvalidTransition(gettext("Only a quarantined or held message can be processed again."))
    return process_message(message=message, now=now, again=True)


# --- what a message is ---------------------------------------------------------------------------


def _handle(message: InboundMessage, now: datetime) -> _Verdict:
    mail = parse_message(bytes(message.raw))
    message.message_id = (mail.message_id or message.message_id)[:300]
    message.sender = mail.from_address[:300]
    message.sender_name = mail.from_name[:200]
    message.subject = mail.subject[:_SUBJECT_MAX]
    message.html = mail.html

    duplicate = _earlier_copy(message)
    if duplicate is not None:
        return _Verdict(
            Outcome.DUPLICATE,
            reason=gettext("Same message as #%(id)s, already taken in.") % {"id": duplicate.pk},
            ticket=duplicate.ticket if duplicate.is_landed else None,
            duplicate_of=duplicate,
        )
    if _is_our_own(mail):
        return _Verdict(Outcome.DUPLICATE, reason=gettext("Our own message came back; ignored."))
    bounce_reason = _bounce_reason(mail)
    if bounce_reason:
        return _loop_verdict(message, mail, Outcome.BOUNCE, bounce_reason, now)
    auto_reason = _auto_reply_reason(mail)
    if auto_reason:
        return _loop_verdict(message, mail, Outcome.AUTO_REPLY, auto_reason, now)

    ticket = _thread_ticket(mail)
    if ticket is not None:
        if not sender_takes_part(ticket, mail.from_address):
            return _Verdict(
                Outcome.QUARANTINED,
                status=Status.NEEDS_REVIEW,
                ticket=ticket,
                reason=gettext(
                    "%(sender)s refers to %(number)s but does not take part in it: a specialist decides."
                )
                % {"sender": mail.from_address or "?", "number": ticket.number},
            )
        tickets.add_customer_message(
            ticket=ticket,
            body=_reply_text(mail),
            channel=Channel.EMAIL,
            at=_reported_at(message, now),
            attachments=mail.attachments,
            message_id=message.message_id,
        )
        return _Verdict(Outcome.APPENDED, ticket=ticket)
    return _open_ticket(message, mail, now)


def _earlier_copy(message: InboundMessage) -> InboundMessage | None:
    """The first stored copy of this message: by Message-ID, or by its bytes when it has none."""
    earlier = InboundMessage.objects.filter(pk__lt=message.pk)
    if message.message_id:
        earlier = earlier.filter(message_id=message.message_id)
    else:
        earlier = earlier.filter(sha256=message.sha256, message_id="")
    return earlier.only("pk", "ticket", "outcome").order_by("pk").first()


def _our_addresses() -> set[str]:
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    addresses |= {u.lower() for u in Mailbox.objects.values_list("username", flat=True) if "@" in u}
    return addresses - {""}


def _is_our_own(mail: ParsedMail) -> bool:
    if mail.message_id and OutboxMessage.objects.filter(message_id=mail.message_id).exists():
        return True
    return mail.from_address in _our_addresses()


def _bounce_reason(mail: ParsedMail) -> str:
    local_part = mail.from_address.split("@", 1)[0]
    if mail.content_type == "multipart/report":
        return gettext("Delivery report (multipart/report).")
    if mail.return_path is not None and mail.return_path.strip() in ("<>", ""):
        return gettext("Empty Return-Path: a delivery notice.")
    if local_part in _BOUNCE_SENDERS:
        return gettext("Sent by %(sender)s.") % {"sender": mail.from_address}
    return ""


def _auto_reply_reason(mail: ParsedMail) -> str:
    """RFC 3834 and the headers mail systems put on automatic messages."""
    headers = mail.headers
    auto_submitted = headers.get("auto-submitted", "no").split(";")[0].strip()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated", "x-auto-response-suppress"):
        if name in headers:
            return f"{name}: {headers[name]}".strip()
    precedence = headers.get("precedence", "")
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    return ""


def _loop_verdict(
    message: InboundMessage, mail: ParsedMail, outcome: str, reason: str, now: datetime
) -> _Verdict:
    """Never a ticket, never answered: a note on the ticket it concerns, else only this log row."""
    ticket = _thread_ticket(mail, bounce=outcome == Outcome.BOUNCE)
    if ticket is not None:
        text = (
            gettext_noop("Delivery failure from %(sender)s (%(reason)s): %(subject)s")
            if outcome == Outcome.BOUNCE
            else gettext_noop("Automatic reply from %(sender)s (%(reason)s): %(subject)s")
        )
        tickets.add_system_note(
            ticket=ticket,
            body=_system_text(
                text, {"sender": mail.from_address or "?", "reason": reason, "subject": mail.subject or "-"}
            ),
            at=_reported_at(message, now),
            data={"inbound_message": message.pk, "mail_outcome": outcome},
        )
    return _Verdict(outcome, reason=reason, ticket=ticket)


# --- threading and participation -------------------------------------------------------------------


def _thread_ticket(mail: ParsedMail, *, bounce: bool = False) -> Ticket | None:
    """The ticket a message answers: a message id we sent or received, else a number in the subject."""
    ids = mail.thread_ids + (mail.embedded_message_ids if bounce else [])
    if ids:
        by_number = {
            message_id: reference
            for message_id, reference in OutboxMessage.objects.filter(message_id__in=ids)
            .exclude(reference="")
            .values_list("message_id", "reference")
        }
        by_inbound = dict(
            InboundMessage.objects.filter(message_id__in=ids, ticket__isnull=False)
            .filter(outcome__in=(Outcome.NEW_TICKET, Outcome.APPENDED))
            .values_list("message_id", "ticket_id")
        )
        for message_id in ids:  # nearest first
            if message_id in by_number:
                ticket = Ticket.objects.filter(number=by_number[message_id]).first()
                if ticket is not None:
                    return ticket
            if message_id in by_inbound:
                return Ticket.objects.get(pk=by_inbound[message_id])
    for number in _TICKET_NUMBER.findall(mail.subject):
        ticket = Ticket.objects.filter(number=number.upper()).first()
        if ticket is not None:
            return ticket
    return None


def sender_takes_part(ticket: Ticket, address: str) -> bool:
    """Whether ``address`` may add to ``ticket``: a ticket number or a References header is not a
    permission. Its reporter, its on-site contact, anyone we mailed about it, or a contact of its
    customer (or that customer's head office or branches) may."""
    address = (address or "").strip().lower()
    if not address:
        return False
    known = {
        ticket.reporter_email,
        ticket.reporter.email if ticket.reporter else "",
        ticket.onsite_contact.email if ticket.onsite_contact else "",
    }
    if address in {a.lower() for a in known if a}:
        return True
    customer = ticket.customer
    if customer.code == UNIDENTIFIED_CUSTOMER_CODE:
        return False  # the placeholder's "contacts" are strangers to each other
    family = Q(customer=customer) | Q(customer__parent=customer)
    if customer.parent_id:
        family |= Q(customer_id=customer.parent_id)
    if Contact.objects.filter(family, email__iexact=address).exists():
        return True
    return OutboxMessage.objects.filter(reference=ticket.number, address__iexact=address).exists()


# --- a new ticket ----------------------------------------------------------------------------------


def _reported_at(message: InboundMessage, now: datetime) -> datetime:
    """When our server received it; a server clock running ahead never puts it in the future."""
    return min(message.received_at, now)


def _unidentified_customer() -> Customer:
    customer, _created = Customer.objects.get_or_create(
        code=UNIDENTIFIED_CUSTOMER_CODE,
        defaults={
            "name": UNIDENTIFIED_CUSTOMER_NAME,
            "note": "Tickets from senders no contact matches; a specialist links each to its customer.",
        },
    )
    return customer


def _sender_contact(address: str) -> Contact | None:
    """The contact with this e-mail address, when it names exactly one customer."""
    if not address:
        return None
    contacts = list(Contact.objects.filter(email__iexact=address).select_related("customer")[:10])
    if len({c.customer_id for c in contacts}) != 1:
        return None
    return next((c for c in contacts if c.user_id), contacts[0])


def _named_unit(customer: Customer, text: str) -> Unit | None:
    """A unit of the customer whose serial number the mail names (only if exactly one)."""
    tokens = {t.strip("-_/.") for t in _SERIAL_TOKEN.findall(text)}
    tokens.discard("")
    if not tokens:
        return None
    units = list(Unit.objects.filter(customer=customer, serial__in=tokens)[:2])
    return units[0] if len(units) == 1 else None


def _acknowledgements_left(address: str, now: datetime) -> bool:
    """Acknowledgements to one sender are rate-limited, so two robots cannot ping-pong forever."""
    if not address:
        return False
    limit = settings.AFTERSALES_MAIL_ACKS_PER_HOUR
    recent = InboundMessage.objects.filter(
        sender=address, acknowledged=True, processed_at__gt=add_minutes(now, -60)
    ).count()
    return recent < limit


def _reply_text(mail: ParsedMail) -> str:
    """The new part of a reply: the quoted history stays in the raw message."""
    text = mail.text
    match = _QUOTE_START.search(text)
    if match and match.start() > 0 and text[: match.start()].strip():
        text = text[: match.start()]
    lines = [line for line in text.splitlines() if not line.startswith(">")]
    return "\n".join(lines).strip() or mail.text.strip() or _no_text(mail)


def _no_text(mail: ParsedMail) -> str:
    if mail.attachments:
        return gettext("(no text; see the attachments)")
    return gettext("(empty message)")


def _open_ticket(message: InboundMessage, mail: ParsedMail, now: datetime) -> _Verdict:
    contact = _sender_contact(mail.from_address)
    customer = contact.customer if contact else _unidentified_customer()
    unit = _named_unit(customer, f"{mail.subject}\n{mail.text}") if contact else None
    acknowledge = _acknowledgements_left(mail.from_address, now)
    title = (mail.subject or next((line for line in mail.text.splitlines() if line.strip()), "")).strip()
    ticket = tickets.open_ticket(
        by=None,
        kind=Kind.FAULT if unit is not None else Kind.CONSULTATION,
        severity=Severity.GENERAL if unit is not None else "",
        channel=Channel.EMAIL,
        customer=customer,
        unit=unit,
        reporter=contact,
        reporter_name=(mail.from_name or (contact.name if contact else ""))[:100],
        reporter_email=mail.from_address if "@" in mail.from_address else "",
        title=(title or gettext("(no subject)"))[:_TITLE_MAX],
        description=mail.text.strip() or _no_text(mail),
        reported_at=_reported_at(message, now),
        acknowledge=acknowledge,
        now=now,
    )
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    tickets.attach_files(ticket=ticket, files=mail.attachments, at=ticket.reported_at, event=created)
    reasons = []
    if contact is None:
        reasons.append(
            gettext_noop("The sender %(sender)s is not a known contact: link the ticket to its customer.")
        )
    if unit is None:
        reasons.append(
            gettext_noop(
                "Opened by e-mail as a consultation (no unit named): check the kind, unit and severity."
            )
        )
    else:
        reasons.append(gettext_noop("Opened by e-mail as a general fault of %(serial)s: check the severity."))
    values = {"sender": mail.from_address or "?", "serial": unit.serial if unit else ""}
    tickets.add_system_note(
        ticket=ticket,
        body=" ".join(_system_text(reason, values) for reason in reasons),
        at=ticket.reported_at,
        data={
            "inbound_message": message.pk,
            "needs_triage": True,
            "needs_customer_link": contact is None,
        },
    )
    reason = "" if acknowledge else gettext("Acknowledgement suppressed: too many to this sender this hour.")
    return _Verdict(
        Outcome.NEW_TICKET,
        ticket=ticket,
        reason=reason,
        acknowledged=acknowledge and bool(ticket.reporter_email),
        needs_customer_link=contact is None,
    )


# --- IMAP ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchReport:
    """What one pass over one mailbox did."""

    mailbox: Mailbox
    stored: int = 0
    already_stored: int = 0
    error: str = ""


def fetch_mailbox(*, mailbox: Mailbox, now: datetime | None = None) -> FetchReport:
    """Store every unread message of the mailbox, flagging (or moving) each only once it is stored.

    The receipt time is the server's INTERNALDATE, so the response clock starts
    when the mail arrived, not when we fetched it: an intake outage cannot hide
    a breach. A message stored before an interrupted pass is recognised by its
    UID and only flagged. Processing is ``process_pending``'s job.
    """
    now = now or timezone.now()
    stored = already = 0
    try:
        with MailboxSession(mailbox) as session:
            for uid in session.unseen_uids():
                fetched = session.fetch(uid)
                _message, created = store_message(
                    raw=fetched.raw,
                    source=InboundMessage.Source.IMAP,
                    received_at=min(fetched.internal_date, now),
                    source_name=f"{mailbox.name} {mailbox.folder} UID {uid}",
                    mailbox=mailbox,
                    imap_uidvalidity=session.uidvalidity,
                    imap_uid=uid,
                )
                session.mark_done(uid)
                stored += created
                already += not created
    except (OSError, imaplib.IMAP4.error, MailboxError) as error:
        message = f"{type(error).__name__}: {error}"
        logger.warning("mail intake: mailbox %s: %s", mailbox.name, message)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=message[:2000])
        return FetchReport(mailbox, stored, already, message)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_fetched_at=now, last_error="")
    return FetchReport(mailbox, stored, already)


def fetch_all_mailboxes(*, now: datetime | None = None) -> list[FetchReport]:
    """One intake pass: read every active mailbox, then process whatever is stored and pending
    (piped mail left by a crash included). One failing mailbox does not stop the others."""
    reports = [fetch_mailbox(mailbox=box, now=now) for box in Mailbox.objects.filter(is_active=True)]
    process_pending(now=now)
    return reports
