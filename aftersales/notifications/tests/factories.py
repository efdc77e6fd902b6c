"""Factories for the outbox."""

from __future__ import annotations

import factory

from aftersales.notifications.models import OutboxMessage


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A pending e-mail to a customer about a ticket, in Chinese."""

    class Meta:
        model = OutboxMessage

    channel = OutboxMessage.Channel.EMAIL
    address = factory.Sequence(lambda n: f"contact{n}@bank-a.example")
    language = "zh-hans"
    kind = "ticket_resolved"
    reference = "SR-2026-000123"
    subject = factory.LazyAttribute(lambda o: f"[{o.reference}] 已解决，请确认")
    body = "您的报修已处理完毕。\n\n江南科友 Aftersales\n"
