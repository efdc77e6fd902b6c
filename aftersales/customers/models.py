"""The vendor's customers: organisations with branches, their sites and contacts."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel

_NON_DIGITS = re.compile(r"\D")
# An extension after the number: "转 805", "分机 805", "ext. 12", "extension 12", "x12", "#12".
_EXTENSION = re.compile(r"(?:extension|ext\.?|x|转|分机|#|,|;)\s*\d+\s*$", re.IGNORECASE)
# "023-6789 1234-805" / "010-12345678-8001": area code, number, extension, as on business cards.
_DASHED_EXTENSION = re.compile(r"^(\(?0\d{2,3}\)?[-\s]?\d{3,4}[-\s]?\d{4})-\d{1,6}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(raw: str) -> str:
    """The number as one search key: national digits only, without +86/0086 and extension.

    ``+86 138-0000-1234``, ``0086 13800001234``, ``(+86) 13800001234`` and
    ``13800001234`` are one mobile; ``023-6789 1234 转 805``, ``+86 23 6789 1234``
    and ``+86 (0)23 6789 1234`` are the landline ``02367891234``. Full-width
    digits (typed with a Chinese input method) count as digits. A mobile dialled
    with a leading 0 from a landline in another city (``013800001234``) is the
    mobile itself. Numbers of other countries keep their country code.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = _EXTENSION.sub("", text).strip()
    text = _DASHED_EXTENSION.sub(r"\1", text)
    digits = _NON_DIGITS.sub("", text)
    has_plus = text.lstrip("( ").startswith("+")
    if digits.startswith("0086"):
        national = digits[4:]
    elif digits.startswith("86") and (has_plus or len(digits) in (12, 13)):
        national = digits[2:]
    elif has_plus:
        return digits  # another country: keep its code
    else:
        national = digits
    if _MOBILE.match(national):
        return national
    if national.startswith("0") and _MOBILE.match(national[1:]):
        return national[1:]
    dialled_from_abroad = national != digits
    if dialled_from_abroad and national and not national.startswith(("0", "400", "800")):
        return "0" + national  # +86 23 6789 1234 is the landline 023 6789 1234
    return national


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
