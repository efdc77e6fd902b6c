"""Return-to-factory repairs (返厂维修, ``RMA-2026-000001``).

A repair takes one unit of a ticket to the factory and back. Before the unit leaves the
customer two records must exist: the customer's acknowledgement that their data is backed
up and the vendor is not liable for data loss, and the record of key zeroisation / data
erasure (or of the disk kept by the customer). The promise (``repair_return``: shipped back
within 20 China working days of receipt at the factory) is a clock of subject type
``"repair"``; waiting for the customer's decision on a quote pauses it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Customer
from aftersales.tickets.models import Ticket
from aftersales.units.models import Unit


class Status(models.TextChoices):
    OPENED = "opened", _("Opened, awaiting shipment")
    SHIPPED_IN = "shipped_in", _("Shipped by the customer")
    RECEIVED = "received", _("Received at the factory")
    DIAGNOSED = "diagnosed", _("Diagnosed")
    QUOTED = "quoted", _("Quoted, awaiting the customer's decision")
    APPROVED = "approved", _("Quote approved")
    REFUSED = "refused", _("Quote refused, returned unrepaired")
    REPAIRED = "repaired", _("Repaired")
    TESTED = "tested", _("Tested")
    SHIPPED_BACK = "shipped_back", _("Shipped back")
    RETURNED = "returned", _("Received by the customer")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = tuple(s for s in Status.values if s not in (Status.RETURNED, Status.CANCELLED))


class AckChannel(models.TextChoices):
    PORTAL = "portal", _("In the portal, by the customer")
    CALL = "call", _("On a call, recorded by a specialist")


class ErasureMethod(models.TextChoices):
    KEYS_ZEROISED = "keys_zeroised", _("Keys zeroised (密钥销毁)")
    DATA_ERASED = "data_erased", _("Data erased")
    DISK_KEPT = "disk_kept", _("Disk kept by the customer")


class Repair(TimeStampedModel):
    """One unit's trip to the factory and back. ``version`` guards concurrent saves as on tickets.

    ``is_chargeable`` is the entitlement verdict at opening (out of warranty and no covering
    contract): then nothing is repaired before the customer approves a quote. A manager may
    override it before a quote is issued. ``next_due_at``/``has_breach`` copy the clock's
    summary so the desk list sorts on an index.
    """

    number = models.CharField(_("number"), max_length=24, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPENED)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="repairs", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="repairs", verbose_name=_("customer")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="repairs", verbose_name=_("unit"))
    fault = models.TextField(_("fault"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="opened_repairs",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened at"))
    is_chargeable = models.BooleanField(_("chargeable"), default=False)
    entitlement = models.CharField(_("entitlement"), max_length=16)
    entitlement_reason = models.CharField(_("entitlement reason"), max_length=300, blank=True)
    entitlement_overridden = models.BooleanField(_("entitlement overridden"), default=False)

    backup_ack_at = models.DateTimeField(_("backup acknowledged at"), null=True, blank=True)
    backup_ack_channel = models.CharField(_("acknowledged how"), max_length=8, choices=AckChannel, blank=True)
    backup_ack_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by (portal user)"),
    )
    backup_ack_name = models.CharField(_("acknowledged by"), max_length=100, blank=True)
    backup_ack_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("call recorded by"),
    )
    backup_ack_statement = models.TextField(_("statement acknowledged"), blank=True)

    erasure_method = models.CharField(_("erasure"), max_length=16, choices=ErasureMethod, blank=True)
    erasure_by = models.CharField(_("erased by / disk kept by"), max_length=100, blank=True)
    erasure_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    erasure_note = models.TextField(_("erasure note"), blank=True)
    erasure_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erasure recorded by"),
    )

    inbound_carrier = models.CharField(_("carrier to the factory"), max_length=60, blank=True)
    inbound_tracking = models.CharField(_("tracking number to the factory"), max_length=60, blank=True)
    shipped_in_at = models.DateTimeField(_("shipped by the customer at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at the factory at"), null=True, blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    quote_id = models.BigIntegerField(_("quote"), null=True, blank=True)
    quote_number = models.CharField(_("quote number"), max_length=24, blank=True)
    decided_at = models.DateTimeField(_("quote decided at"), null=True, blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    replacement_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_in_repairs",
        verbose_name=_("replacement unit"),
    )
    outbound_carrier = models.CharField(_("carrier back"), max_length=60, blank=True)
    outbound_tracking = models.CharField(_("tracking number back"), max_length=60, blank=True)
    shipped_back_at = models.DateTimeField(_("shipped back at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("received by the customer at"), null=True, blank=True)

    next_due_at = models.DateTimeField(_("due"), null=True, blank=True)
    has_breach = models.BooleanField(_("late"), default=False)
    is_provisional = models.BooleanField(_("provisional due date"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("return-to-factory repair")
        verbose_name_plural = _("return-to-factory repairs")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["status", "next_due_at"], name="repair_queue"),
            models.Index(fields=["customer", "opened_at"], name="repair_customer"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_backup_ack(self) -> bool:
        return self.backup_ack_at is not None

    @property
    def has_erasure_record(self) -> bool:
        return bool(self.erasure_method)


class RepairEvent(models.Model):
    """The repair's timeline: each step, acknowledgement and clock notice, written once."""

    repair = models.ForeignKey(
        Repair, on_delete=models.CASCADE, related_name="events", verbose_name=_("repair")
    )
    kind = models.CharField(_("kind"), max_length=24)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    text = models.TextField(_("text"), blank=True)
    is_public = models.BooleanField(_("visible to the customer"), default=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("repair event")
        verbose_name_plural = _("repair events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.repair.number} · {self.kind}"

    @property
    def to_status_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status in Status.values else ""


class FittedPart(models.Model):
    """A part the factory fitted in a repair (it may consume stock: see ``services.fit_part``)."""

    repair = models.ForeignKey(
        Repair, on_delete=models.CASCADE, related_name="parts", verbose_name=_("repair")
    )
    part_number = models.CharField(_("part number"), max_length=64)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    serial_in = models.CharField(_("serial fitted"), max_length=64, blank=True)
    fitted_at = models.DateTimeField(_("fitted at"))
    fitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )

    class Meta:
        verbose_name = _("fitted part")
        verbose_name_plural = _("fitted parts")
        ordering = ["fitted_at", "id"]

    def __str__(self) -> str:
        return f"{self.repair.number} · {self.part_number}"
