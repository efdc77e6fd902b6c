"""Writing notices to the outbox; delivery is the worker's job (notifications.tasks)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from aftersales.notifications.models import OutboxMessage

_HEADER_UNSAFE = str.maketrans({"\r": " ", "\n": " ", "\x00": ""})


def queue_notice(
    *,
    kind: str,
    subject: str,
    body: str,
    recipient=None,
    address: str = "",
    channel: str = OutboxMessage.Channel.EMAIL,
    language: str = "",
    reference: str = "",
    dedupe_key: str | None = None,
    in_reply_to: str = "",
) -> OutboxMessage:
    """Queue one message for one recipient, in the caller's transaction.

    Call it inside the transaction that records the event the message tells
    of: either both are stored or neither. With a ``dedupe_key`` a second call
    (a retried service, a second sweep) returns the first row instead of
    queueing the notice again. The subject never carries CR/LF/NUL into a header.
    """
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
    }
    if dedupe_key is None:
        return OutboxMessage.objects.create(**fields)
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(dedupe_key=dedupe_key, **fields)
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
