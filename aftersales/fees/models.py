"""The published fee schedule (收费标准), quotes for paid work (QT-…), charges and statements (ST-…).

A schedule version is in force from its ``effective_from`` date once published; the version in
force on a date is the latest published one starting on or before it. A quote copies the
schedule's prices into its lines when built, so a later schedule never changes an issued quote.
Completed paid work becomes charges; charges not yet on a statement are gathered into one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def money(value) -> Decimal:
    """An amount in CNY rounded half-up to the fen."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def split_tax(gross: Decimal, vat_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of a tax-inclusive amount at ``vat_rate`` percent; net + tax == gross."""
    gross = money(gross)
    net = money(gross / (1 + Decimal(vat_rate) / HUNDRED))
    return net, gross - net


class Category(models.TextChoices):
    INSTALLATION = "installation", _("Installation and commissioning")
    REPAIR = "repair", _("Out-of-warranty repair")
    PART = "part", _("Parts")
    SPARE = "spare", _("Spare unit service")
    ONSITE = "onsite", _("On-site maintenance")
    TRAVEL = "travel", _("Travel")
    INSPECTION = "inspection", _("Inspection")
    UPGRADE = "upgrade", _("Software upgrade service")
    MIGRATION = "migration", _("System migration")
    OTHER = "other", _("Other")


class ChargeUnit(models.TextChoices):
    TIME = "time", _("time (次)")
    HOUR = "hour", _("hour (小时)")
    DAY = "day", _("day (天)")
    YEAR = "year", _("year (年)")
    PIECE = "piece", _("piece (件)")


class FeeSchedule(TimeStampedModel):
    """One version of the published fee schedule."""

    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    published = models.BooleanField(_("published"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        ordering = ["-effective_from", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m-%d})"

    @property
    def is_locked(self) -> bool:
        """A published version with quotes against it is never edited (copy it instead)."""
        return bool(self.pk) and self.published and self.quotes.exists()


class FeeItem(models.Model):
    """One priced item of a schedule version, known by its code (``repair:<model>``, ``spare_day`` …)."""

    schedule = models.ForeignKey(
        FeeSchedule, on_delete=models.CASCADE, related_name="items", verbose_name=_("schedule")
    )
    code = models.CharField(_("code"), max_length=80)
    category = models.CharField(_("category"), max_length=16, choices=Category, default=Category.OTHER)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    unit = models.CharField(_("unit"), max_length=8, choices=ChargeUnit, default=ChargeUnit.TIME)
    price = models.DecimalField(_("price incl. VAT (CNY)"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("6"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")
        ordering = ["schedule", "category", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["schedule", "code"], name="unique_fee_item_code")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def net_price(self) -> Decimal:
        return split_tax(self.price, self.vat_rate)[0]

    @property
    def tax(self) -> Decimal:
        return split_tax(self.price, self.vat_rate)[1]


class FeeSettings(models.Model):
    """The one row of fee settings (edited in the admin); absent means the defaults."""

    discount_limit_percent = models.DecimalField(
        _("discount limit without approval (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        help_text=_("A quote line with a larger discount needs a manager's approval."),
    )

    class Meta:
        verbose_name = _("fee settings")
        verbose_name_plural = _("fee settings")

    def __str__(self) -> str:
        return str(_("Fee settings"))


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting manager approval")
    ISSUED = "issued", _("Issued to the customer")
    APPROVED = "approved", _("Approved by the customer")
    REFUSED = "refused", _("Refused by the customer")
    COMPLETED = "completed", _("Work completed")
    INVOICED = "invoiced", _("On a statement")
    CANCELLED = "cancelled", _("Cancelled")


class DecisionChannel(models.TextChoices):
    PORTAL = "portal", _("Customer portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")


class Quote(TimeStampedModel):
    """A quote for out-of-warranty work, built from the schedule version in force."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("customer")
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("ticket"),
    )
    subject_type = models.CharField(_("subject type"), max_length=32, blank=True, db_index=True)
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)
    schedule = models.ForeignKey(
        FeeSchedule, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("fee schedule")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=QuoteStatus, default=QuoteStatus.DRAFT, db_index=True
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    priced_at = models.DateTimeField(_("priced at"))
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    approval_reason = models.TextField(_("approval reason"), blank=True)
    approval_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exception approved by"),
    )
    approval_at = models.DateTimeField(_("exception approved at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("customer decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision recorded by"),
    )
    decision_channel = models.CharField(
        _("decision channel"), max_length=8, choices=DecisionChannel, blank=True
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    total = models.DecimalField(_("total incl. VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="fees_quote_subject")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_locked(self) -> bool:
        return self.status not in (QuoteStatus.DRAFT, QuoteStatus.AWAITING_APPROVAL)

    @property
    def needs_exception_approval(self) -> bool:
        from aftersales.fees.services import quote_exceptions

        return bool(quote_exceptions(self))

    def vat_totals(self) -> list[dict]:
        """Per VAT rate: gross, net, tax (from the prefetched lines)."""
        groups: dict[Decimal, Decimal] = {}
        for line in self.lines.all():
            groups[line.vat_rate] = groups.get(line.vat_rate, Decimal("0")) + line.amount
        rows = []
        for rate in sorted(groups):
            net, tax = split_tax(groups[rate], rate)
            rows.append({"vat_rate": rate, "gross": money(groups[rate]), "net": net, "tax": tax})
        return rows


class QuoteLine(models.Model):
    """One line of a quote; its prices are copied from the schedule and never follow it."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines", verbose_name=_("quote"))
    position = models.PositiveIntegerField(_("position"), default=0)
    code = models.CharField(_("code"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=ChargeUnit)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    schedule_price = models.DecimalField(_("schedule price"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price incl. VAT"), max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount incl. VAT"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.quote} · {self.code}"

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def off_schedule(self) -> bool:
        return self.unit_price != self.schedule_price

    @property
    def net_amount(self) -> Decimal:
        return split_tax(self.amount, self.vat_rate)[0]

    @property
    def tax_amount(self) -> Decimal:
        return split_tax(self.amount, self.vat_rate)[1]


class QuoteEvent(models.Model):
    """One step in a quote's life (written once, never edited)."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events", verbose_name=_("quote"))
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("kind"), max_length=32)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("quote event")
        verbose_name_plural = _("quote events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.quote} · {self.kind}"


class Statement(TimeStampedModel):
    """A customer's statement of completed paid work over a period, with its invoice details."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="statements", verbose_name=_("customer")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    invoice_title = models.CharField(_("invoice title (发票抬头)"), max_length=200, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=32, blank=True)
    invoice_address = models.CharField(_("invoice address and phone"), max_length=300, blank=True)
    invoice_bank = models.CharField(_("bank and account"), max_length=300, blank=True)
    total = models.DecimalField(_("total incl. VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    def vat_totals(self) -> list[dict]:
        groups: dict[Decimal, Decimal] = {}
        for charge in self.charges.all():
            groups[charge.vat_rate] = groups.get(charge.vat_rate, Decimal("0")) + charge.amount
        rows = []
        for rate in sorted(groups):
            net, tax = split_tax(groups[rate], rate)
            rows.append({"vat_rate": rate, "gross": money(groups[rate]), "net": net, "tax": tax})
        return rows


class Charge(TimeStampedModel):
    """Completed paid work owed by a customer; lands on one statement."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="charges", verbose_name=_("customer")
    )
    quote = models.ForeignKey(
        Quote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("quote"),
    )
    reference = models.CharField(_("reference"), max_length=64)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=Decimal("1"))
    unit = models.CharField(_("unit"), max_length=8, choices=ChargeUnit, default=ChargeUnit.TIME)
    amount = models.DecimalField(_("amount incl. VAT"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("6"))
    at = models.DateTimeField(_("work completed at"), db_index=True)
    statement = models.ForeignKey(
        Statement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("statement"),
    )

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.reference} · {self.amount}"

    @property
    def net_amount(self) -> Decimal:
        return split_tax(self.amount, self.vat_rate)[0]

    @property
    def tax_amount(self) -> Decimal:
        return split_tax(self.amount, self.vat_rate)[1]
