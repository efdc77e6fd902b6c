"""The installed base: product models, units at customer sites, their parts and contracts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ProductLine
from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Customer, Site


class ProductModel(models.Model):
    """A product the vendor sells, with its default warranty terms.

    The letter: software one year, hardware three years. An appliance has both
    a hardware and a software term; a software product only the software one.
    """

    class Kind(models.TextChoices):
        HARDWARE = "hardware", _("Hardware")
        SOFTWARE = "software", _("Software")
        APPLIANCE = "appliance", _("Appliance (hardware and software)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.APPLIANCE)
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.PROTECT, related_name="models", verbose_name=_("product line")
    )
    hardware_warranty_months = models.PositiveSmallIntegerField(_("hardware warranty (months)"), default=36)
    software_warranty_months = models.PositiveSmallIntegerField(_("software warranty (months)"), default=12)
    features = models.JSONField(
        _("licensable features"),
        default=list,
        blank=True,
        help_text=_("Feature codes that can be licensed separately."),
    )

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_hardware(self) -> bool:
        return self.kind in (self.Kind.HARDWARE, self.Kind.APPLIANCE)

    @property
    def has_software(self) -> bool:
        return self.kind in (self.Kind.SOFTWARE, self.Kind.APPLIANCE)


class Unit(TimeStampedModel):
    """One installed product, known by its serial number.

    Warranty counts from installation acceptance, or from shipment where no
    acceptance is recorded. A unit that *replaces* another inherits the
    remaining term of the one it replaces (see ``units.entitlement``).
    """

    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="units", verbose_name=_("model")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="units", verbose_name=_("customer")
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("site"),
    )
    shipped_on = models.DateField(_("shipped on"))
    accepted_on = models.DateField(_("installation accepted on"), null=True, blank=True)
    software_version = models.CharField(_("software version"), max_length=40, blank=True)
    licensed_features = models.JSONField(_("licensed features"), default=list, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces unit"),
        help_text=_("The unit this one replaced; its remaining warranty carries over."),
    )
    is_active = models.BooleanField(
        _("in service"), default=True, help_text=_("Cleared when the unit is replaced or retired.")
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["serial"]
        indexes = [models.Index(fields=["customer", "serial"])]

    def __str__(self) -> str:
        return f"{self.serial} · {self.product_model}"

    def clean(self) -> None:
        if self.site_id and self.customer_id and self.site.customer_id != self.customer_id:
            raise ValidationError({"site": _("The site belongs to another customer.")})
        if self.accepted_on and self.shipped_on and self.accepted_on < self.shipped_on:
            raise ValidationError({"accepted_on": _("Acceptance cannot precede shipment.")})

    @property
    def warranty_starts_on(self):
        """Acceptance, or shipment where no acceptance is recorded."""
        return self.accepted_on or self.shipped_on


class UnitPart(TimeStampedModel):
    """A component of a unit, and who put it there.

    Only factory-configured parts are covered; a part the vendor fitted in
    place of a factory part stays covered under the unit's original term; a
    part the customer added is never covered.
    """

    class Origin(models.TextChoices):
        FACTORY = "factory", _("Factory-configured")
        VENDOR_REPLACEMENT = "vendor_replacement", _("Fitted by the vendor as a replacement")
        CUSTOMER_ADDED = "customer_added", _("Added by the customer")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="parts", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=100)
    part_number = models.CharField(_("part number"), max_length=64, blank=True)
    serial = models.CharField(_("serial number"), max_length=64, blank=True, db_index=True)
    origin = models.CharField(_("origin"), max_length=24, choices=Origin, default=Origin.FACTORY)
    fitted_on = models.DateField(_("fitted on"), null=True, blank=True)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces part"),
    )

    class Meta:
        verbose_name = _("unit part")
        verbose_name_plural = _("unit parts")
        ordering = ["unit", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.serial}".strip()


class Contract(TimeStampedModel):
    """A service contract with a customer covering some of its units.

    It may extend warranty, sell a software-upgrade service, plan inspections or
    buy premium support; a contract may carry its own service policy (e.g. a
    2-hour on-site promise), which then overrides the vendor's default.
    """

    class Kind(models.TextChoices):
        EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")
        UPGRADE_SERVICE = "upgrade_service", _("Software upgrade service")
        INSPECTION_PLAN = "inspection_plan", _("Inspection plan")
        PREMIUM_SUPPORT = "premium_support", _("Premium support")

    number = models.CharField(_("contract number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    units = models.ManyToManyField(Unit, blank=True, related_name="contracts", verbose_name=_("units"))
    covers_hardware = models.BooleanField(_("covers hardware"), default=True)
    covers_software = models.BooleanField(_("covers software"), default=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_kind_display()})"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A contract must end on or after its start.")})

    def is_active_on(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on
