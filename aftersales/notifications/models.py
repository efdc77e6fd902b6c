"""The outbox: every notice to a person, written in the same transaction as its event."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _message_id() -> str:
    return f"<{uuid.uuid4().hex}@aftersales>"


class OutboxMessage(models.Model):
    """A message waiting to be (or already) delivered on one channel.

    Delivery is at least once: the worker sends, then marks it sent. The
    stable ``message_id`` lets a receiver recognise a resend. ``dedupe_key``
    (unique when set) keeps a retried service from queueing a notice twice.
    A console-inbox (desk) row is delivered by being there: it is stored as sent.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WECOM = "wecom", _("WeCom robot")
        DINGTALK = "dingtalk", _("DingTalk robot")
        SMS = "sms", _("SMS")
        DESK = "desk", _("Console inbox")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("recipient"),
    )
    address = models.CharField(
        _("address"),
        max_length=300,
        blank=True,
        help_text=_("E-mail address, mobile number, or for a group robot the mobiles it mentions."),
    )
    centre = models.ForeignKey(
        "accounts.ServiceCentre",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("service centre"),
        help_text=_("For a group-robot message: the centre whose WeCom or DingTalk group it goes to."),
    )
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    kind = models.CharField(_("kind"), max_length=40)
    reference = models.CharField(_("reference"), max_length=40, blank=True, db_index=True)
    message_id = models.CharField(_("Message-ID"), max_length=200, unique=True, default=_message_id)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=200, blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("Stored files sent with an e-mail: [{path, name, type}] in the media storage."),
    )
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["recipient", "channel", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.recipient}: {self.subject}"
