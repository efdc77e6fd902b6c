"""The vendor's customers: organisations with branches, their sites and contacts."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel

_NON_DIGITS = re.compile(r"\D")
_EXTENSION = re.compile(r"(?:ext\.?|x|转|分机|#|,|;)\s*\d+\s*$", re.IGNORECASE)


def normalise_phone(raw: str) -> str:
    """Digits only, without +86/0086 and without an extension.

    ``+86 138-0000-1234``, ``0086 13800001234`` and ``13800001234`` are one
    number; ``023-6789 1234 转 805`` matches ``02367891234``.
    """
    text = _EXTENSION.sub("", (raw or "").strip())
    digits = _NON_DIGITS.sub("", text)
    if text.lstrip().startswith("+86") or digits.startswith("0086"):
        digits = digits[2:] if text.lstrip().startswith("+86") else digits[4:]
        if not digits.startswith("1") and digits and not digits.startswith("0"):
            digits = "0" + digits  # +86 23 6789 1234 is the landline 023 6789 1234
    return digits


class Customer(TimeStampedModel):
    """An organisation that owns units; may be a branch (分行) of a head office (总行).

    A head-office user sees its branches' tickets; a branch user sees its own.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        verbose_name=_("head office"),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_customers",
        verbose_name=_("account manager"),
    )
    invoice_title = models.CharField(_("invoice title (发票抬头)"), max_length=200, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=32, blank=True)
    invoice_address = models.CharField(_("invoice address and phone"), max_length=300, blank=True)
    invoice_bank = models.CharField(_("bank and account"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A customer cannot be its own head office.")})
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("A branch's head office must not itself be a branch.")})


class Site(TimeStampedModel):
    """A place where a customer's units are installed; its city decides coverage."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="sites", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=50)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["customer", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class Contact(TimeStampedModel):
    """A person at a customer: reports faults, is called back, may receive reports.

    A contact with a ``user`` signs in to the customer portal.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=100)
    department = models.CharField(_("department"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    phone_normalised = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    mobile_normalised = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    receives_reports = models.BooleanField(
        _("receives reports"), default=False, help_text=_("Gets inspection and year-end reports.")
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        default="zh-hans",
        choices=[("zh-hans", "简体中文"), ("en", "English")],
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
        verbose_name=_("portal login"),
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "name"]

    def __str__(self) -> str:
        return f"{self.name} · {self.customer}"

    def save(self, *args, **kwargs) -> None:
        # The normalised numbers are a derived search key, kept beside the raw text.
        self.phone_normalised = normalise_phone(self.phone)
        self.mobile_normalised = normalise_phone(self.mobile)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            fields = set(kwargs["update_fields"])
            if "phone" in fields:
                fields.add("phone_normalised")
            if "mobile" in fields:
                fields.add("mobile_normalised")
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)
