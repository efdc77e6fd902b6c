"""People of the vendor's service organisation: users, service centres, on-call roster."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.roles import STAFF_ROLES, Role


def city_key(city: str) -> str:
    """A city name compared for coverage: trimmed, without the 市 suffix people add or omit."""
    key = (city or "").strip()
    return key[:-1] if len(key) > 1 and key.endswith("市") else key


class ProductLine(models.Model):
    """A family of products (e.g. cipher machines, VPN gateways) a centre can support."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceCentre(models.Model):
    """A technical support centre (技术支持中心) in a city, covering nearby cities.

    A customer site is *covered* when a centre lists the site's city; on-site
    promises for covered sites are the tight ones (4 h for a severe fault).
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=50)
    covered_cities = models.JSONField(
        _("covered cities"),
        default=list,
        blank=True,
        help_text=_("Cities whose sites this centre serves on site, its own city included."),
    )
    product_lines = models.ManyToManyField(
        ProductLine, blank=True, related_name="centres", verbose_name=_("product lines")
    )
    is_rnd = models.BooleanField(
        _("R&D team"), default=False, help_text=_("The R&D team, which supports every centre.")
    )
    serves_uncovered_sites = models.BooleanField(
        _("serves uncovered sites"),
        default=False,
        help_text=_("Receives the tickets of sites outside every centre's coverage, for its product lines."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    emergency_contact = models.CharField(
        _("emergency contact"),
        max_length=100,
        blank=True,
        help_text=_("The after-sales manager's direct line shown for severe faults."),
    )
    wecom_webhook = models.URLField(_("WeCom robot webhook"), blank=True)
    dingtalk_webhook = models.URLField(_("DingTalk robot webhook"), blank=True)
    dingtalk_secret = models.CharField(
        _("DingTalk robot signing secret"),
        max_length=100,
        blank=True,
        help_text=_("The robot's signing secret (加签, SEC…); blank when the robot does not sign."),
    )

    class Meta:
        verbose_name = _("service centre")
        verbose_name_plural = _("service centres")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def covers_city(self, city: str) -> bool:
        """Its own city or a listed one; "重庆市" and "重庆" are the same city."""
        key = city_key(city)
        return bool(key) and key in {city_key(c) for c in [self.city, *self.covered_cities]}


class User(AbstractUser):
    """Anyone who signs in: vendor staff (by role) and customer users (portal only)."""

    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.SPECIALIST)
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("service centre"),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        help_text=_("Language of e-mails and pages; blank follows the browser."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.role in (Role.ENGINEER, Role.LEAD) and self.centre_id is None:
            raise ValidationError({"centre": _("Engineers and centre leads belong to a centre.")})

    @property
    def is_customer_user(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_vendor_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def display_name(self) -> str:
        return str(self)


class OnCallShift(models.Model):
    """A stretch of duty (值班) at a centre: night warnings go to whoever is on it."""

    centre = models.ForeignKey(
        ServiceCentre, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("centre")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("person on duty")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call shifts")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["centre", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="shift_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.user} · {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A shift must end after it starts.")})
