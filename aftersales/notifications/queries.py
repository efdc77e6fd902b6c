"""Reads for delivery: a mail's thread, and who was on duty when a notice was written."""

from __future__ import annotations

from datetime import datetime

from aftersales.accounts.models import OnCallShift
from aftersales.notifications.channels import MAX_REFERENCES, Thread, valid_message_ids
from aftersales.notifications.models import OutboxMessage


def email_thread(message: OutboxMessage) -> Thread:
    """The thread a mail joins: the row's ``in_reply_to`` (the ticket's first message) as root,
    then the earlier mails about the same reference to the same address, oldest first.

    Only mails that went (or may still go) to this address count: the recipient's
    mail client can thread only on messages it holds. Without an explicit
    parent the latest earlier mail is the parent.
    """
    earlier: list[str] = []
    if message.reference:
        earlier = list(
            OutboxMessage.objects.filter(
                reference=message.reference,
                channel=OutboxMessage.Channel.EMAIL,
                address__iexact=message.address,
                pk__lt=message.pk,
            )
            .exclude(status=OutboxMessage.Status.FAILED)
            .order_by("pk")
            .values_list("message_id", flat=True)
        )
    chain = [ref for ref in valid_message_ids([message.in_reply_to, *earlier]) if ref != message.message_id]
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    parent = valid_message_ids([message.in_reply_to]) or chain[-1:]
    return Thread(in_reply_to=parent[0] if parent else "", references=chain)


def shift_on_duty(*, user_id: int, at: datetime) -> OnCallShift | None:
    """The person's shift spanning ``at`` (start included, end excluded), with its centre.

    One person holds one duty at a time (the roster refuses overlaps), so this
    names the centre whose group is paged.
    """
    return (
        OnCallShift.objects.filter(user_id=user_id, starts_at__lte=at, ends_at__gt=at)
        .select_related("centre", "user")
        .order_by("starts_at")
        .first()
    )
