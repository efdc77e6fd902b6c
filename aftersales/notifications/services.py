"""Writing notices to the outbox, and delivering them: at least once, with retries and back-off.

Delivery claims due rows in a short transaction (``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite's IMMEDIATE transactions serialise the claim),
which leases them to this worker for ``CLAIM_LEASE``; it then sends each row
outside any transaction, so no lock is held while a remote server thinks, and
records the outcome in another short transaction. Two workers, or the task run
twice, therefore send each row once. A worker that dies after claiming leaves
the row to be picked up again when the lease ends. A duplicate is possible only
if the process dies between the remote side's acceptance and our commit (or a
send outlasts the lease); the row's stable Message-ID makes that resend
recognisable as the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from aftersales.notifications import paging
from aftersales.notifications.channels import Courier, DeliveryError, PermanentDeliveryError, Thread
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.queries import email_thread

logger = logging.getLogger(__name__)

_HEADER_UNSAFE = str.maketrans({"\r": " ", "\n": " ", "\x00": ""})
# How long a claimed row stays this worker's: longer than a batch of sends at their timeout.
CLAIM_LEASE = timedelta(minutes=5)
CLAIM_BATCH = 10
MAX_BACKOFF_MINUTES = 60
_ERROR_LIMIT = 2000


def _deliver_after_commit() -> None:
    from aftersales.notifications.tasks import deliver_now

    deliver_now()


def _write(fields: dict, dedupe_key: str | None) -> tuple[OutboxMessage, bool]:
    """The row, and whether it is new (a dedupe key seen before returns the first row)."""
    if dedupe_key is None:
        return OutboxMessage.objects.create(**fields), True
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(dedupe_key=dedupe_key, **fields), True
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key), False


def _outbox_fields(
    *,
    kind: str,
    subject: str,
    body: str,
    recipient=None,
    address: str = "",
    channel: str = OutboxMessage.Channel.EMAIL,
    language: str = "",
    reference: str = "",
    in_reply_to: str = "",
    attachments: list[dict] | tuple = (),
    now: datetime | None = None,
) -> dict:
    """The columns of one outbox row: the recipient's address and language by default, a
    subject that never carries CR/LF/NUL into a header, and console rows stored as sent."""
    if not address and recipient is not None and channel == OutboxMessage.Channel.EMAIL:
        address = recipient.email
    if not language:
        language = (getattr(recipient, "language", "") or "zh-hans") if recipient else "zh-hans"
    fields = {
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "address": address,
        "language": language,
        "subject": subject.translate(_HEADER_UNSAFE)[:300],
        "body": body,
        "reference": reference,
        "in_reply_to": in_reply_to,
        "attachments": [
            {"path": str(item["path"]), "name": str(item["name"]), "type": str(item.get("type", ""))}
            for item in attachments
        ],
    }
    if channel == OutboxMessage.Channel.DESK:
        fields.update(status=OutboxMessage.Status.SENT, sent_at=now or timezone.now())
    return fields


def queue_notice(*, dedupe_key: str | None = None, **notice) -> OutboxMessage:
    """Queue one message for one recipient, in the caller's transaction.

    Takes ``_outbox_fields``'s keywords. Call it inside the transaction that
    records the event the message tells of: either both are stored or neither.
    With a ``dedupe_key`` a second call (a retried service, a second sweep)
    returns the first row instead of queueing the notice again. A console-inbox
    row is delivered by being stored, so it is stored as sent; anything else is
    handed to a worker as soon as the transaction commits (the every-minute task
    catches up if that hand-over is lost).
    """
    message, is_new = _write(_outbox_fields(**notice), dedupe_key)
    if is_new and message.status == OutboxMessage.Status.PENDING:
        transaction.on_commit(_deliver_after_commit, robust=True)
    return message


def queue_notices(notices: Iterable[dict], *, now: datetime | None = None) -> int:
    """Queue many messages with one insert (the escalation sweep's batches).

    Each item takes ``queue_notice``'s keywords. Rows whose ``dedupe_key`` is
    already queued are skipped (the database ignores the conflict), so a
    repeated batch queues nothing twice. Returns how many items were given.
    """
    now = now or timezone.now()
    rows = []
    for item in notices:
        notice = dict(item)
        dedupe_key = notice.pop("dedupe_key", None)
        rows.append(OutboxMessage(dedupe_key=dedupe_key, **_outbox_fields(now=now, **notice)))
    OutboxMessage.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    if any(row.status == OutboxMessage.Status.PENDING for row in rows):
        transaction.on_commit(_deliver_after_commit, robust=True)
    return len(rows)


# --- delivery ----------------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    """What one delivery pass did, for the command's line and the logs."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    paged: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the first, second, third … failed attempt, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


def _queue_pages(notice: OutboxMessage, at: datetime) -> int:
    """Queue the robot/SMS pages of a notice to the person on duty (once: keyed on the notice).

    The pages carry no recipient: the person's console inbox already shows the
    notice once, through its e-mail row.
    """
    queued = 0
    for page in paging.pages_for(notice, at=at):
        _, is_new = _write(
            {
                "kind": notice.kind,
                "channel": page.channel,
                "centre": page.centre,
                "address": page.address,
                "language": notice.language,
                "subject": notice.subject,
                "body": notice.body,
                "reference": notice.reference,
            },
            f"page:{notice.pk}:{page.channel}",
        )
        queued += is_new
    return queued


def _claim(*, at: datetime, result: DeliveryResult) -> list[OutboxMessage] | None:
    """Lease the next due rows to this worker (None when nothing is due).

    Console-inbox rows are simply marked sent; a notice to the person on duty
    queues its robot and SMS pages the first time it is claimed.
    """
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("centre")
            .filter(status=OutboxMessage.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=at))
            .order_by("pk")[:CLAIM_BATCH]
        )
        if not rows:
            return None
        claimed = []
        max_attempts = settings.NOTIFICATIONS["MAX_ATTEMPTS"]
        for row in rows:
            if row.channel == OutboxMessage.Channel.DESK:
                row.status, row.sent_at = OutboxMessage.Status.SENT, at
                row.save(update_fields=["status", "sent_at"])
                result.sent += 1
                continue
            if row.attempts >= max_attempts:
                # Every attempt ended without an outcome (the worker died while sending): stop here.
                row.status, row.next_attempt_at = OutboxMessage.Status.FAILED, None
                row.last_error = row.last_error or "no outcome recorded: the worker stopped while sending"
                row.save(update_fields=["status", "next_attempt_at", "last_error"])
                result.failed += 1
                continue
            if row.attempts == 0:
                result.paged += _queue_pages(row, at)
            row.attempts += 1
            row.next_attempt_at = at + CLAIM_LEASE
            row.save(update_fields=["attempts", "next_attempt_at"])
            claimed.append(row)
        return claimed


def _record_sent(row: OutboxMessage, at: datetime) -> None:
    # Whatever happened to the row meanwhile (an admin's retry), it did go out: mark it sent.
    OutboxMessage.objects.filter(pk=row.pk, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=at, next_attempt_at=None, last_error=""
    )


def _record_failure(row: OutboxMessage, error: Exception, at: datetime) -> str:
    """Back off, or give up after the configured attempts (at once when retrying cannot help)."""
    gives_up = isinstance(error, PermanentDeliveryError) or (
        row.attempts >= settings.NOTIFICATIONS["MAX_ATTEMPTS"]
    )
    status = OutboxMessage.Status.FAILED if gives_up else OutboxMessage.Status.PENDING
    # Only while the row is still this worker's claim: a retry from the admin resets attempts.
    still_claimed = OutboxMessage.objects.filter(
        pk=row.pk, status=OutboxMessage.Status.PENDING, attempts=row.attempts
    )
    still_claimed.update(
        status=status,
        next_attempt_at=None if gives_up else at + backoff(row.attempts),
        last_error=str(error)[:_ERROR_LIMIT],
    )
    return status


def _deliver(row: OutboxMessage, courier: Courier, at: datetime, result: DeliveryResult) -> None:
    try:
        thread = email_thread(row) if row.channel == OutboxMessage.Channel.EMAIL else Thread("", [])
        courier.send(row, thread=thread)
    except DeliveryError as exc:
        error: Exception = exc
    except Exception as exc:  # a fault in one message must not hold up the ones after it
        logger.exception("outbox %s: unexpected error while sending", row.pk)
        error = DeliveryError(f"{type(exc).__name__}: {exc}")
    else:
        _record_sent(row, at)
        result.sent += 1
        return
    if _record_failure(row, error, at) == OutboxMessage.Status.FAILED:
        result.failed += 1
        logger.warning("outbox %s (%s to %s) failed: %s", row.pk, row.channel, row.address, error)
    else:
        result.retrying += 1
        logger.info("outbox %s (%s) will be retried: %s", row.pk, row.channel, error)


def deliver_due_messages(*, now: datetime | None = None) -> DeliveryResult:
    """Send every due pending outbox row once; idempotent, and safe on several workers at once.

    With ``now`` every step uses that time (tests); otherwise the real clock at each step.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    result = DeliveryResult()
    courier = Courier()
    try:
        while (batch := _claim(at=clock(), result=result)) is not None:
            for row in batch:
                _deliver(row, courier, clock(), result)
            courier.close()  # a fresh SMTP session per batch: none sits idle until the server drops it
    finally:
        courier.close()
    if result.handled:
        logger.info(
            "outbox: %s sent, %s to retry, %s failed, %s pages queued",
            result.sent,
            result.retrying,
            result.failed,
            result.paged,
        )
    return result


@transaction.atomic
def retry_messages(*, message_ids: Iterable[int]) -> int:
    """Send pending or failed rows again at the next pass, with a fresh count of attempts.

    For staff after an outage or a configuration fix; a sent row is never resent
    from here. Returns how many rows were rescheduled.
    """
    count = OutboxMessage.objects.filter(
        pk__in=list(message_ids),
        status__in=(OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED),
    ).update(status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=None)
    if count:
        transaction.on_commit(_deliver_after_commit, robust=True)
    return count
