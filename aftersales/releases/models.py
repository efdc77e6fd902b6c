"""Software releases of product models, their packages, who installed and downloaded them, bulletins.

A release (upgrade or patch) names the versions it applies to with a version
spec (``releases.versions``); each package may need a licensed feature. Which
packages a unit is offered is decided in one place, ``releases.entitlement``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel
from aftersales.customers.models import Contact, Customer
from aftersales.units.models import ProductModel, Unit


def _package_path(instance: ReleasePackage, filename: str) -> str:
    """A fresh name on disk (the original name is kept in a column, never trusted as a path)."""
    return f"releases/packages/{instance.release.product_model.code}/{uuid.uuid4().hex}"


def _documentation_path(instance: Release, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1][:8].lower() if "." in filename else "bin"
    return f"releases/docs/{instance.product_model.code}/{uuid.uuid4().hex}.{suffix}"


class Release(TimeStampedModel):
    """One software version of one product model, offered to the units it applies to once published."""

    class Kind(models.TextChoices):
        UPGRADE = "upgrade", _("Upgrade")
        PATCH = "patch", _("Patch")

    product_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="releases", verbose_name=_("model")
    )
    version = models.CharField(_("version"), max_length=40)
    released_on = models.DateField(_("released on"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.UPGRADE)
    notes = models.TextField(_("release notes"), blank=True)
    documentation = models.FileField(_("documentation"), upload_to=_documentation_path, blank=True)
    documentation_name = models.CharField(_("documentation file name"), max_length=200, blank=True)
    applies_to = models.CharField(
        _("applies to versions"),
        max_length=300,
        blank=True,
        help_text=_(
            'Versions it installs on, e.g. "2.1.*, 2.2.0" or ">=2.0 <2.3"; blank: every older version.'
        ),
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("software release")
        verbose_name_plural = _("software releases")
        ordering = ["-released_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_model", "version"], name="release_version_unique_per_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_model.code} {self.version}"


class ReleasePackage(TimeStampedModel):
    """A file of a release, stored by the app with the SHA-256 computed on upload.

    ``required_feature`` blank: the base package every unit of the model may
    receive; otherwise only units licensed for that feature are offered it.
    """

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="packages", verbose_name=_("release")
    )
    file = models.FileField(_("file"), upload_to=_package_path)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    required_feature = models.CharField(_("required licensed feature"), max_length=40, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("release package")
        verbose_name_plural = _("release packages")
        ordering = ["release", "required_feature", "original_name"]

    def __str__(self) -> str:
        return self.original_name


class Installation(models.Model):
    """A release installed on a unit: the unit's version history, written once."""

    class Method(models.TextChoices):
        REMOTE = "remote", _("Remotely by the vendor")
        CUSTOMER = "customer", _("By the customer")
        VISIT = "visit", _("On a visit")

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="installations", verbose_name=_("unit")
    )
    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, related_name="installations", verbose_name=_("release")
    )
    installed_at = models.DateTimeField(_("installed at"))
    method = models.CharField(_("how"), max_length=16, choices=Method)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    previous_version = models.CharField(_("previous version"), max_length=40, blank=True)
    reference = models.CharField(
        _("reference"), max_length=40, blank=True, help_text=_("e.g. the visit number")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        ordering = ["-installed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit.serial} {self.previous_version or '?'} → {self.release.version}"


class DownloadLog(models.Model):
    """One download of a package for one unit: who, when, from where. Never edited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="downloads",
        verbose_name=_("unit"),
        help_text=_("Blank: a member of staff downloaded the package from the desk."),
    )
    package = models.ForeignKey(
        ReleasePackage, on_delete=models.CASCADE, related_name="downloads", verbose_name=_("package")
    )
    at = models.DateTimeField(_("downloaded at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["package", "unit"])]

    def __str__(self) -> str:
        return f"{self.package} · {self.unit.serial if self.unit else '-'} · {self.at:%Y-%m-%d %H:%M}"


class Bulletin(TimeStampedModel):
    """A security bulletin for given versions of one model, optionally fixed by a release."""

    class Severity(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity, default=Severity.HIGH)
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("model")
    )
    affected_versions = models.CharField(
        _("affected versions"), max_length=300, help_text=_('e.g. "2.1.*" or "<2.1.4"')
    )
    text = models.TextField(_("text"))
    fixed_by = models.ForeignKey(
        Release,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bulletins",
        verbose_name=_("fixed by release"),
    )
    published_on = models.DateField(_("published on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("security bulletin")
        verbose_name_plural = _("security bulletins")
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Announcement(models.Model):
    """One sending of a release or a bulletin to the customers whose units it concerns."""

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, null=True, blank=True, related_name="announcements"
    )
    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, null=True, blank=True, related_name="announcements"
    )
    sent_at = models.DateTimeField(_("sent at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(release__isnull=False, bulletin__isnull=True)
                | models.Q(release__isnull=True, bulletin__isnull=False),
                name="announcement_of_release_or_bulletin",
            )
        ]

    def __str__(self) -> str:
        return f"{self.release or self.bulletin} @ {self.sent_at:%Y-%m-%d}"


class AnnouncementRecipient(models.Model):
    """Who was told of an announcement (a customer's contact or its account manager), and when."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address = models.EmailField(_("address"))
    language = models.CharField(_("language"), max_length=8)
    told_at = models.DateTimeField(_("told at"))

    class Meta:
        verbose_name = _("announcement recipient")
        verbose_name_plural = _("announcement recipients")
        ordering = ["customer", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "customer", "address"], name="announcement_recipient_once"
            )
        ]

    def __str__(self) -> str:
        return self.address


class ReleaseEvent(models.Model):
    """What was done to a release or a bulletin (created, package added, published, announced): who, when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        PACKAGE_ADDED = "package_added", _("Package added")
        PUBLISHED = "published", _("Published")
        ANNOUNCED = "announced", _("Announced")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("release event")
        verbose_name_plural = _("release events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.release or self.bulletin}"
