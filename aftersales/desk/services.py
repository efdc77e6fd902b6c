"""Changes the console makes on its own behalf: marking inbox notices read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aftersales.accounts.models import User
from aftersales.notifications.models import OutboxMessage


def mark_notices_read(
    *, user: User, message_ids: Iterable[int] | None = None, at: datetime | None = None
) -> int:
    """Mark the person's own unread notices read (all of them, or those listed); returns how many.

    Only rows addressed to ``user`` are touched, so an id of someone else's
    notice changes nothing. Reading is not delivery: ``status`` stays as the
    delivery worker left it.
    """
    at = at or timezone.now()
    with transaction.atomic():
        notices = OutboxMessage.objects.filter(recipient=user, read_at__isnull=True)
        if message_ids is not None:
            notices = notices.filter(pk__in=list(message_ids))
        return notices.update(read_at=at)
