"""Reads for the console's mail page: what needs a specialist, and the recent intake log."""

from __future__ import annotations

from django.db.models import QuerySet

from aftersales.intake.models import UNIDENTIFIED_CUSTOMER_CODE, InboundMessage

_LIST_FIELDS = (
    "id",
    "received_at",
    "sender",
    "sender_name",
    "subject",
    "status",
    "outcome",
    "reason",
    "source",
    "source_name",
    "size",
    "ticket__number",
    "ticket__title",
)
RECENT_LIMIT = 50
ATTENTION_LIMIT = 200


def _listed(messages: QuerySet[InboundMessage]) -> QuerySet[InboundMessage]:
    """The list columns only: never the raw bytes or the HTML body."""
    return messages.select_related("ticket").only(*_LIST_FIELDS)


def messages_needing_attention() -> QuerySet[InboundMessage]:
    """Quarantined messages and replies held for review, oldest first (they wait longest)."""
    held = (InboundMessage.Status.QUARANTINED, InboundMessage.Status.NEEDS_REVIEW)
    return _listed(InboundMessage.objects.filter(status__in=held)).order_by("received_at", "id")[
        :ATTENTION_LIMIT
    ]


def tickets_to_link() -> QuerySet[InboundMessage]:
    """Tickets opened by senders no contact matched, still on the placeholder customer."""
    return _listed(
        InboundMessage.objects.filter(
            needs_customer_link=True, ticket__customer__code=UNIDENTIFIED_CUSTOMER_CODE
        )
    ).order_by("received_at", "id")[:ATTENTION_LIMIT]


def recent_messages() -> QuerySet[InboundMessage]:
    return _listed(InboundMessage.objects.all()).order_by("-received_at", "-id")[:RECENT_LIMIT]


def raw_message(message_id: int) -> InboundMessage | None:
    return InboundMessage.objects.only("id", "raw").filter(pk=message_id).first()
