"""Spare units (备机) and spare parts (备件) held by each service centre, and loans (LN-…).

A centre keeps a pool of loaner units and a stock of spare parts. Parts are
consumed by visits and repairs (a ``PartMovement`` naming the document, e.g.
``VS-2026-000001``); a faulty part taken out (坏件) goes back to the factory and
is tracked until the factory has it. A loan lends a pool unit to a customer
from a ticket: it restores service, and the unit comes back with a record that
the customer's keys and data were erased from it (密钥销毁) or that the customer
kept its disk.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ServiceCentre
from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Customer, Site
from aftersales.tickets.models import Ticket
from aftersales.units.models import ProductModel


class SpareSettings(models.Model):
    """The spares area's configurable numbers (one row, edited in the admin)."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    propose_loan_after_hours = models.PositiveSmallIntegerField(
        _("propose a loan after (hours)"),
        default=8,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A severe in-warranty fault not restored this long after it was reported is proposed "
            "to the centre lead for a loan."
        ),
    )
    loan_days_default = models.PositiveSmallIntegerField(
        _("default loan length (days)"), default=14, validators=[MinValueValidator(1)]
    )
    faulty_return_overdue_days = models.PositiveSmallIntegerField(
        _("faulty part overdue after (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("A faulty part not received by the factory this long after it was taken out is overdue."),
    )

    class Meta:
        verbose_name = _("spares settings")
        verbose_name_plural = _("spares settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="spare_settings_singleton")]

    def __str__(self) -> str:
        return str(_("Spares settings"))


class Condition(models.TextChoices):
    NEW = "new", _("New")
    GOOD = "good", _("Good")
    WORN = "worn", _("Worn")
    FAULTY = "faulty", _("Faulty")


class SpareUnit(TimeStampedModel):
    """A loaner unit (备机) in a centre's pool: what it is, where it is, whether it can be lent."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        ON_LOAN = "on_loan", _("On loan")
        IN_REPAIR = "in_repair", _("In repair")
        RETIRED = "retired", _("Retired")

    centre = models.ForeignKey(
        ServiceCentre, on_delete=models.PROTECT, related_name="spare_units", verbose_name=_("service centre")
    )
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="spare_units", verbose_name=_("product model")
    )
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    condition = models.CharField(_("condition"), max_length=8, choices=Condition, default=Condition.GOOD)
    location = models.CharField(_("location"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.AVAILABLE)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("spare unit")
        verbose_name_plural = _("spare units")
        ordering = ["centre", "product_model", "serial"]
        indexes = [models.Index(fields=["centre", "status"])]

    def __str__(self) -> str:
        return f"{self.serial} · {self.product_model}"


class SpareUnitEvent(models.Model):
    """One line of a spare unit's history: added, lent, back, condition or status changed."""

    class Kind(models.TextChoices):
        ADDED = "added", _("Added to the pool")
        LENT = "lent", _("Lent")
        RETURNED = "returned", _("Returned")
        STATUS = "status", _("Status changed")

    spare_unit = models.ForeignKey(
        SpareUnit, on_delete=models.CASCADE, related_name="events", verbose_name=_("spare unit")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    body = models.TextField(_("text"), blank=True)
    reference = models.CharField(_("reference"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("spare unit event")
        verbose_name_plural = _("spare unit events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.spare_unit_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class SparePart(TimeStampedModel):
    """A centre's stock of one spare part (备件), by part number."""

    centre = models.ForeignKey(
        ServiceCentre, on_delete=models.PROTECT, related_name="spare_parts", verbose_name=_("service centre")
    )
    part_number = models.CharField(_("part number"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    compatible_models = models.ManyToManyField(
        ProductModel, blank=True, related_name="spare_parts", verbose_name=_("compatible models")
    )
    quantity_on_hand = models.PositiveIntegerField(_("quantity on hand"), default=0)
    reorder_level = models.PositiveIntegerField(
        _("reorder level"), default=0, help_text=_("At or below this quantity the stock is shown as low.")
    )

    class Meta:
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")
        ordering = ["centre", "part_number"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "part_number"], name="spare_part_once_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"

    @property
    def is_low(self) -> bool:
        return self.quantity_on_hand <= self.reorder_level


class PartMovement(models.Model):
    """A change of a part's stock: received (in), consumed (out) or counted (adjust), with its document."""

    class Kind(models.TextChoices):
        IN = "in", _("Received")
        OUT = "out", _("Consumed")
        ADJUST = "adjust", _("Adjusted")

    part = models.ForeignKey(
        SparePart, on_delete=models.PROTECT, related_name="movements", verbose_name=_("part")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    quantity = models.IntegerField(_("quantity"), help_text=_("Signed: negative takes stock out."))
    balance_after = models.PositiveIntegerField(_("balance after"))
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    serial = models.CharField(_("serial number"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("part movement")
        verbose_name_plural = _("part movements")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["reference"])]

    def __str__(self) -> str:
        return f"{self.part} {self.quantity:+d} {self.reference}"


class FaultyPartReturn(TimeStampedModel):
    """A faulty part (坏件) taken out in the field, on its way back to the factory until received."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be shipped")
        SHIPPED = "shipped", _("Shipped to the factory")
        RECEIVED = "received", _("Received by the factory")

    centre = models.ForeignKey(
        ServiceCentre, on_delete=models.PROTECT, related_name="faulty_parts", verbose_name=_("service centre")
    )
    part_number = models.CharField(_("part number"), max_length=64)
    serial = models.CharField(_("serial number"), max_length=64, blank=True)
    reference = models.CharField(
        _("reference"), max_length=40, help_text=_("The visit, repair or ticket it was taken out on.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("taken out at"))
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shipped by"),
    )
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receipt recorded by"),
    )
    received_at = models.DateTimeField(_("received at the factory"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("faulty part return")
        verbose_name_plural = _("faulty part returns")
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["status", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.part_number} {self.serial} · {self.reference}"


class LoanProposal(models.Model):
    """The system's proposal to lend a unit for a severe in-warranty fault not restored in time.

    One per ticket (the sweep is idempotent); the centre lead accepts it by
    lending a unit or declines it with a reason.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the lead")
        ACCEPTED = "accepted", _("Accepted: unit lent")
        DECLINED = "declined", _("Declined")

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="loan_proposal", verbose_name=_("ticket")
    )
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        related_name="loan_proposals",
        verbose_name=_("service centre"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        verbose_name = _("loan proposal")
        verbose_name_plural = _("loan proposals")
        ordering = ["-proposed_at"]
        indexes = [models.Index(fields=["status", "proposed_at"])]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {self.get_status_display()}"


class Erasure(models.TextChoices):
    KEYS_ERASED = "keys_erased", _("Customer's keys and data erased (密钥销毁)")
    DISK_KEPT = "disk_kept", _("Disk kept by the customer")


class Loan(TimeStampedModel):
    """A spare unit lent to a customer from a ticket (借用单 ``LN-2026-000001``).

    Out of warranty a loan is a paid service: ``is_chargeable`` and the days lent
    (``spares.queries.loan_days``) feed the fee item ``spare_day``.
    """

    class Status(models.TextChoices):
        OUT = "out", _("Out")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=24, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OUT)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="loans", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="loans", verbose_name=_("customer")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="loans", verbose_name=_("site")
    )
    spare_unit = models.ForeignKey(
        SpareUnit, on_delete=models.PROTECT, related_name="loans", verbose_name=_("spare unit")
    )
    proposal = models.OneToOneField(
        LoanProposal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="loan",
        verbose_name=_("proposal"),
    )
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("lent by")
    )
    out_at = models.DateTimeField(_("out at"))
    expected_return_on = models.DateField(_("expected back on"))
    is_substitute = models.BooleanField(_("different model lent"), default=False)
    substitution_note = models.TextField(_("substitution note"), blank=True)
    is_chargeable = models.BooleanField(_("chargeable"), default=False)
    note = models.TextField(_("note"), blank=True)

    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return recorded by"),
    )
    returned_condition = models.CharField(
        _("condition on return"), max_length=8, choices=Condition, blank=True
    )
    return_note = models.TextField(_("return note"), blank=True)
    erasure = models.CharField(_("erasure"), max_length=12, choices=Erasure, blank=True)
    erased_by = models.CharField(_("erased by"), max_length=100, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    erasure_method = models.CharField(_("erasure method"), max_length=200, blank=True)

    chase_count = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_chased_on = models.DateField(_("last chased on"), null=True, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-out_at"]
        indexes = [models.Index(fields=["status", "expected_return_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["spare_unit"], condition=models.Q(status="out"), name="spare_unit_lent_once"
            )
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("desk:spares_loan", kwargs={"loan_number": self.number})


class LoanEvent(models.Model):
    """One line of a loan's history (who, when, what), written once."""

    class Kind(models.TextChoices):
        LENT = "lent", _("Lent")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")
        CHASED = "chased", _("Reminder sent")
        QUOTED = "quoted", _("Quoted")

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="events", verbose_name=_("loan"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10, blank=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("loan event")
        verbose_name_plural = _("loan events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
