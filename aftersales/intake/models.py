"""Mail intake: the support mailboxes we read, and every message that reached us."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.tickets.models import Ticket

# Tickets from senders no contact matches wait on this placeholder customer for a specialist.
UNIDENTIFIED_CUSTOMER_CODE = "unidentified-sender"
UNIDENTIFIED_CUSTOMER_NAME = "未识别客户 / Unidentified sender"


class Mailbox(models.Model):
    """A support mailbox read over IMAP every minute (e.g. support@vendor.example).

    Senders we do not know still open tickets, marked for a specialist to link
    to a customer: there is no default customer per mailbox.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    use_tls = models.BooleanField(_("TLS"), default=True, help_text=_("IMAP over TLS (port 993)."))
    username = models.CharField(_("user"), max_length=200)
    password = models.CharField(_("password"), max_length=200)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    processed_folder = models.CharField(
        _("move read messages to"),
        max_length=200,
        blank=True,
        help_text=_("Blank: messages stay in the folder, flagged as read."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_fetched_at = models.DateTimeField(_("last fetched at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.username}@{self.host})"


class InboundMessage(models.Model):
    """One message as it reached us, stored before anything is made of it.

    The raw bytes are committed first (so nothing a customer sends is lost),
    then processed in a transaction of its own: ``status`` moves from
    ``received`` only when that transaction commits, so a crash leaves the
    message to be processed again, and once processed it is never processed
    twice. The rows are the intake log: auto-replies, bounces and duplicates
    stay here with the reason.
    """

    class Source(models.TextChoices):
        IMAP = "imap", _("IMAP mailbox")
        PIPE = "pipe", _("Piped from the mail server")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, not yet processed")
        PROCESSED = "processed", _("Processed")
        NEEDS_REVIEW = "needs_review", _("Needs a specialist's review")
        QUARANTINED = "quarantined", _("Quarantined")

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("New ticket")
        APPENDED = "appended", _("Added to a ticket")
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        BOUNCE = "bounce", _("Bounce")
        DUPLICATE = "duplicate", _("Duplicate")
        QUARANTINED = "quarantined", _("Quarantined")

    raw = models.BinaryField(_("raw message"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=Source)
    source_name = models.CharField(
        _("source detail"), max_length=300, blank=True, help_text=_("The file name, or mailbox and UID.")
    )
    mailbox = models.ForeignKey(
        Mailbox,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("mailbox"),
    )
    imap_uidvalidity = models.CharField(_("UIDVALIDITY"), max_length=20, blank=True)
    imap_uid = models.CharField(_("UID"), max_length=20, blank=True)
    received_at = models.DateTimeField(
        _("received at"), help_text=_("When our mail server received it; starts the response clock.")
    )
    stored_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.RECEIVED)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)

    sender = models.CharField(_("sender"), max_length=300, blank=True, db_index=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    html = models.TextField(_("HTML body (sanitised)"), blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("ticket"),
        help_text=_("The ticket the message opened or was recorded on, or the one it refers to."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    acknowledged = models.BooleanField(_("acknowledgement queued"), default=False)
    needs_customer_link = models.BooleanField(
        _("sender not linked to a customer"),
        default=False,
        help_text=_("Opened a ticket for an unknown sender: a specialist links it to a customer."),
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            # One mailbox message is stored once, however often a fetch is interrupted and retried.
            models.UniqueConstraint(
                fields=["mailbox", "imap_uidvalidity", "imap_uid"],
                condition=models.Q(source="imap"),
                name="inbound_message_once_per_imap_uid",
            )
        ]
        indexes = [
            models.Index(fields=["status", "id"]),
            models.Index(fields=["sender", "processed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.sender or '?'}: {self.subject or self.message_id}"

    @property
    def is_landed(self) -> bool:
        """Whether the message is on a ticket's timeline (opened it or was appended to it)."""
        return self.outcome in (self.Outcome.NEW_TICKET, self.Outcome.APPENDED)
