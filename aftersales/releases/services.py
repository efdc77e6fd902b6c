"""Changes in the releases area: releases, packages, bulletins, installations, downloads, announcements.

Every service is keyword-only, runs in one transaction, records who did it
and when (``ReleaseEvent``, ``Installation``, ``DownloadLog``,
``AnnouncementRecipient``), and raises ``core.errors`` with a message the
user can act on. A package's SHA-256 is computed here from the bytes stored,
never taken from the client, and checked again on every download.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability
from aftersales.core.business_time import local_date
from aftersales.core.errors import Conflict, DomainError, InvalidInput, NotPermitted
from aftersales.customers.queries import customer_scope_for_user
from aftersales.notifications.services import queue_notice
from aftersales.releases import versions
from aftersales.releases.entitlement import packages_for
from aftersales.releases.models import (
    Announcement,
    AnnouncementRecipient,
    Bulletin,
    DownloadLog,
    Installation,
    Release,
    ReleaseEvent,
    ReleasePackage,
)
from aftersales.releases.queries import Recipient, announcement_recipients
from aftersales.units.models import ProductModel, Unit
from aftersales.units.services import record_software_version

# A package upload larger than this is refused (``AFTERSALES_MAX_PACKAGE_MB``, default 512 MB).
DEFAULT_MAX_PACKAGE_MB = 512
_NAME_UNSAFE = str.maketrans({"\r": " ", "\n": " ", "\x00": "", "/": "_", "\\": "_"})
_CHUNK = 1024 * 1024


def max_package_bytes() -> int:
    return int(float(getattr(settings, "AFTERSALES_MAX_PACKAGE_MB", DEFAULT_MAX_PACKAGE_MB)) * 1024 * 1024)


def _require_publisher(by: User) -> None:
    if not (by.is_active and by.is_vendor_staff and by.has_perm(f"aftersales.{Capability.PUBLISH_RELEASES}")):
        raise NotPermitted(_("You may not publish software releases or bulletins."))


def _display_name(name: str) -> str:
    return (name or "").rsplit("/", 1)[-1].translate(_NAME_UNSAFE).strip()[:200]


def _digest(file) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks (a package may be hundreds of megabytes)."""
    digest = hashlib.sha256()
    size = 0
    if hasattr(file, "seek"):
        file.seek(0)
    for chunk in file.chunks(_CHUNK) if hasattr(file, "chunks") else iter(lambda: file.read(_CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    if hasattr(file, "seek"):
        file.seek(0)
    return digest.hexdigest(), size


def _event(
    *, action: str, by: User | None, at: datetime, release=None, bulletin=None, detail: str = ""
) -> None:
    ReleaseEvent.objects.create(
        action=action, by=by, at=at, release=release, bulletin=bulletin, detail=detail[:300]
    )


# --- releases and packages ---------------------------------------------------------------------


def create_release(
    *,
    by: User,
    product_model: ProductModel,
    version: str,
    released_on: date,
    kind: str = Release.Kind.UPGRADE,
    notes: str = "",
    applies_to: str = "",
    documentation: File | None = None,
    now: datetime | None = None,
) -> Release:
    """A new, unpublished release; its version must be new for the model."""
    _require_publisher(by)
    now = now or timezone.now()
    version = (version or "").strip()
    if not versions.is_valid_version(version):
        raise InvalidInput(_("Enter the version as numbers and letters separated by dots, like 2.1.4."))
    if kind not in Release.Kind.values:
        raise InvalidInput(_("Choose upgrade or patch."))
    applies_to = versions.validate_spec(applies_to)
    if not product_model.has_software:
        raise InvalidInput(_("%(model)s has no software to release.") % {"model": product_model})
    if documentation is not None and documentation.size == 0:
        raise InvalidInput(_("The documentation file is empty."))
    with transaction.atomic():
        if Release.objects.filter(product_model=product_model, version__iexact=version).exists():
            raise Conflict(
                _("%(model)s already has a release %(version)s.")
                % {"model": product_model, "version": version},
                code="duplicate_version",
            )
        release = Release(
            product_model=product_model,
            version=version,
            released_on=released_on,
            kind=kind,
            notes=(notes or "").strip(),
            applies_to=applies_to,
            created_by=by,
        )
        if documentation is not None:
            release.documentation_name = _display_name(documentation.name)
            release.documentation.save(
                release.documentation_name or "documentation", documentation, save=False
            )
        try:
            with transaction.atomic():
                release.save()
        except IntegrityError:
            raise Conflict(
                _("%(model)s already has a release %(version)s.")
                % {"model": product_model, "version": version},
                code="duplicate_version",
            ) from None
        _event(action=ReleaseEvent.Action.CREATED, by=by, at=now, release=release, detail=version)
    return release


def add_package(
    *,
    release: Release,
    by: User,
    file: File,
    required_feature: str = "",
    now: datetime | None = None,
) -> ReleasePackage:
    """Store a package file of the release, with the size and SHA-256 of the bytes received."""
    _require_publisher(by)
    now = now or timezone.now()
    required_feature = (required_feature or "").strip()
    features = release.product_model.features or []
    if required_feature and required_feature not in features:
        raise InvalidInput(
            _("%(feature)s is not a licensable feature of %(model)s (known: %(known)s).")
            % {
                "feature": required_feature,
                "model": release.product_model,
                "known": ", ".join(features) or "-",
            }
        )
    name = _display_name(getattr(file, "name", ""))
    if not name:
        raise InvalidInput(_("The package file needs a name."))
    size = getattr(file, "size", None)
    if size is not None and size > max_package_bytes():
        raise InvalidInput(
            _("The package is larger than the %(limit)s MB limit.")
            % {"limit": max_package_bytes() // (1024 * 1024)}
        )
    sha256, size = _digest(file)
    if size == 0:
        raise InvalidInput(_("The package file is empty."))
    if size > max_package_bytes():
        raise InvalidInput(
            _("The package is larger than the %(limit)s MB limit.")
            % {"limit": max_package_bytes() // (1024 * 1024)}
        )
    with transaction.atomic():
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if locked.packages.filter(original_name=name, required_feature=required_feature).exists():
            raise Conflict(
                _("The release already has a package %(name)s.") % {"name": name}, code="duplicate_package"
            )
        package = ReleasePackage(
            release=locked,
            original_name=name,
            size=size,
            sha256=sha256,
            required_feature=required_feature,
            uploaded_by=by,
        )
        package.file.save(name, file, save=False)
        package.save()
        _event(action=ReleaseEvent.Action.PACKAGE_ADDED, by=by, at=now, release=locked, detail=name)
    return package


def publish_release(*, release: Release, by: User, now: datetime | None = None) -> Release:
    """Offer the release to the units it applies to; a release without a package cannot be published."""
    _require_publisher(by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if locked.is_published:
            raise Conflict(_("The release is already published."), code="already_published")
        if not locked.packages.exists():
            raise InvalidInput(_("Upload at least one package before publishing."))
        locked.is_published = True
        locked.published_at = now
        locked.save(update_fields=["is_published", "published_at", "updated_at"])
        _event(action=ReleaseEvent.Action.PUBLISHED, by=by, at=now, release=locked)
    return locked


# --- bulletins ---------------------------------------------------------------------------------


def create_bulletin(
    *,
    by: User,
    product_model: ProductModel,
    title: str,
    severity: str,
    affected_versions: str,
    text: str,
    fixed_by: Release | None = None,
    now: datetime | None = None,
) -> Bulletin:
    """A security bulletin for the given versions of one model (optionally fixed by a release of it)."""
    _require_publisher(by)
    now = now or timezone.now()
    title, text = (title or "").strip(), (text or "").strip()
    if not title or not text:
        raise InvalidInput(_("A bulletin needs a title and a text."))
    if severity not in Bulletin.Severity.values:
        raise InvalidInput(_("Choose the severity."))
    affected_versions = versions.validate_spec(affected_versions)
    if not affected_versions:
        raise InvalidInput(_("Say which versions are affected, e.g. 2.1.* or <2.1.4."))
    if fixed_by is not None and fixed_by.product_model_id != product_model.pk:
        raise InvalidInput(_("The fixing release is for another model."))
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            title=title[:200],
            severity=severity,
            product_model=product_model,
            affected_versions=affected_versions,
            text=text,
            fixed_by=fixed_by,
            published_on=local_date(now),
            created_by=by,
        )
        _event(action=ReleaseEvent.Action.CREATED, by=by, at=now, bulletin=bulletin, detail=title)
    return bulletin


# --- installing and downloading ----------------------------------------------------------------


def _may_record_for_staff(user: User) -> bool:
    return any(
        user.has_perm(f"aftersales.{capability}")
        for capability in (
            Capability.PUBLISH_RELEASES,
            Capability.CHANGE_INSTALLED_BASE,
            Capability.WORK_VISIT,
        )
    )


def _is_own_unit(user: User, unit: Unit) -> bool:
    return customer_scope_for_user(user).filter(pk=unit.customer_id).exists()


def record_installation(
    *,
    unit: Unit,
    release: Release,
    method: str,
    by: User,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Installation:
    """Record that ``release`` now runs on ``unit``; the unit's software version follows.

    A customer user records only installs by the customer, on their own
    organisation's unit, of a release offered to that unit. Staff (who may
    publish releases, change the installed base or work visits) record
    remote and visit installs of any published release of the unit's model —
    a paid upgrade out of warranty included. The licence is never changed.
    """
    now = now or timezone.now()
    at = at or now
    if at > now:
        raise InvalidInput(_("An installation cannot be in the future."))
    if method not in Installation.Method.values:
        raise InvalidInput(_("Say how the release was installed."))
    if by.is_customer_user:
        if method != Installation.Method.CUSTOMER or not by.is_active or not _is_own_unit(by, unit):
            raise NotPermitted(_("You can record installations only on your own organisation's units."))
    elif not (by.is_active and _may_record_for_staff(by)):
        raise NotPermitted(_("You may not record software installations."))
    with transaction.atomic():
        locked = Unit.objects.select_for_update(of=("self",)).select_related("product_model").get(pk=unit.pk)
        if not locked.is_active:
            raise DomainError(_("The unit is no longer in service."), code="unit_inactive")
        if not release.is_published or release.product_model_id != locked.product_model_id:
            raise InvalidInput(_("The release is not a published release of this unit's model."))
        if locked.software_version and versions.version_key(locked.software_version) == versions.version_key(
            release.version
        ):
            raise Conflict(
                _("Unit %(serial)s already runs %(version)s.")
                % {"serial": locked.serial, "version": release.version},
                code="already_installed",
            )
        if by.is_customer_user:
            offers = packages_for(locked, local_date(at), releases=[_with_packages(release)])
            if not any(offer.is_offered for offer in offers):
                raise NotPermitted(
                    _("This release is not offered for unit %(serial)s.") % {"serial": locked.serial}
                )
        installation = Installation.objects.create(
            unit=locked,
            release=release,
            installed_at=at,
            method=method,
            by=by,
            previous_version=locked.software_version,
            reference=(reference or "").strip()[:40],
            note=(note or "").strip()[:300],
        )
        record_software_version(unit=locked, version=release.version)
    return installation


def _with_packages(release: Release) -> Release:
    if "packages" in getattr(release, "_prefetched_objects_cache", {}):
        return release
    return Release.objects.prefetch_related("packages").select_related("product_model").get(pk=release.pk)


def verify_package(package: ReleasePackage) -> None:
    """Refuse a package whose stored bytes no longer have the SHA-256 computed on upload."""
    try:
        with package.file.open("rb") as stored:
            sha256, size = _digest(stored)
    except FileNotFoundError:
        raise Conflict(
            _("The package file is missing; the vendor has been told."), code="package_missing"
        ) from None
    if sha256 != package.sha256 or size != package.size:
        raise Conflict(
            _("The package file is damaged (its checksum does not match); please contact the service desk."),
            code="checksum_mismatch",
        )


def record_download(
    *,
    user: User,
    package: ReleasePackage,
    unit: Unit | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> DownloadLog:
    """Check the package may be downloaded and is intact, then log the download.

    A customer user downloads for one of their own organisation's units, and
    only a package offered to that unit; staff who publish releases may
    download any package (logged without a unit).
    """
    now = now or timezone.now()
    if user.is_customer_user:
        if unit is None or not user.is_active or not _is_own_unit(user, unit):
            raise NotPermitted(_("You can download only for your own organisation's units."))
        offers = packages_for(unit, local_date(now), releases=[_with_packages(package.release)])
        if not any(offer.is_offered and offer.package.pk == package.pk for offer in offers):
            raise NotPermitted(
                _("This package is not offered for unit %(serial)s.") % {"serial": unit.serial}
            )
    elif not (
        user.is_active and user.is_vendor_staff and user.has_perm(f"aftersales.{Capability.PUBLISH_RELEASES}")
    ):
        raise NotPermitted(_("You may not download release packages."))
    verify_package(package)
    with transaction.atomic():
        return DownloadLog.objects.create(user=user, unit=unit, package=package, at=now, ip=ip or None)


# --- announcements -----------------------------------------------------------------------------


def _site_url(path: str) -> str:
    return settings.AFTERSALES["SITE_URL"].rstrip("/") + path


def _release_message(release: Release, recipient: Recipient) -> tuple[str, str]:
    serials = ", ".join(recipient.serials)
    values = {
        "model": release.product_model.name,
        "version": release.version,
        "kind": release.get_kind_display(),
        "customer": recipient.customer.name,
        "serials": serials,
    }
    subject = _("Software %(kind)s %(version)s for %(model)s") % values
    lines = [
        _("Dear %(name)s,") % {"name": recipient.name},
        "",
        _("Software %(kind)s %(version)s for %(model)s was released on %(date)s.")
        % {**values, "date": release.released_on.isoformat()},
        _("Units of %(customer)s it applies to: %(serials)s.") % values,
    ]
    if release.notes:
        lines += ["", release.notes]
    lines += ["", _("See what your units may download: %(url)s") % {"url": recipient.link}]
    return subject, "\n".join(lines)


def _bulletin_message(bulletin: Bulletin, recipient: Recipient) -> tuple[str, str]:
    values = {
        "severity": bulletin.get_severity_display(),
        "title": bulletin.title,
        "model": bulletin.product_model.name,
        "versions": bulletin.affected_versions,
        "customer": recipient.customer.name,
        "serials": ", ".join(recipient.serials),
    }
    subject = _("Security bulletin (%(severity)s): %(title)s") % values
    lines = [
        _("Dear %(name)s,") % {"name": recipient.name},
        "",
        _("A security bulletin concerns %(model)s versions %(versions)s.") % values,
        _("Affected units of %(customer)s: %(serials)s.") % values,
        "",
        bulletin.text,
    ]
    if bulletin.fixed_by_id:
        lines += ["", _("Release %(version)s fixes it.") % {"version": bulletin.fixed_by.version}]
    lines += ["", _("Details and downloads: %(url)s") % {"url": recipient.link}]
    return subject, "\n".join(lines)


def announce(
    *,
    by: User,
    release: Release | None = None,
    bulletin: Bulletin | None = None,
    now: datetime | None = None,
) -> Announcement:
    """E-mail a published release, or a bulletin, to the customers whose units it concerns.

    Recipients (``queries.announcement_recipients``, which the desk previews):
    per affected customer, its contacts with an e-mail who receive reports —
    or, when none does, every contact with an e-mail — and its account
    manager; each in their own language, with a link to the portal's
    downloads (the account manager's to the desk page). One outbox row per
    recipient address, deduplicated per announcement; nobody to tell is an
    error, so an announcement always says who was told.
    """
    _require_publisher(by)
    now = now or timezone.now()
    if (release is None) == (bulletin is None):
        raise InvalidInput(_("Announce either a release or a bulletin."))
    if release is not None and not release.is_published:
        raise InvalidInput(_("Publish the release before announcing it."))
    recipients = announcement_recipients(release=release, bulletin=bulletin)
    if not recipients:
        raise InvalidInput(_("No customer with an e-mail address has a unit this concerns."))
    with transaction.atomic():
        announcement = Announcement.objects.create(release=release, bulletin=bulletin, sent_at=now, by=by)
        rows = []
        for recipient in recipients:
            with translation.override(recipient.language):
                if release is not None:
                    subject, body = _release_message(release, recipient)
                else:
                    subject, body = _bulletin_message(bulletin, recipient)
            queue_notice(
                kind="release_announcement" if release is not None else "security_bulletin",
                subject=subject,
                body=body,
                recipient=recipient.user,
                address=recipient.address,
                language=recipient.language,
                reference=(f"REL-{release.pk}" if release is not None else f"SB-{bulletin.pk}"),
                dedupe_key=f"announcement:{announcement.pk}:{recipient.address.lower()}",
                now=now,
            )
            rows.append(
                AnnouncementRecipient(
                    announcement=announcement,
                    customer=recipient.customer,
                    contact=recipient.contact,
                    user=recipient.user,
                    address=recipient.address,
                    language=recipient.language,
                    told_at=now,
                )
            )
        AnnouncementRecipient.objects.bulk_create(rows)
        _event(
            action=ReleaseEvent.Action.ANNOUNCED,
            by=by,
            at=now,
            release=release,
            bulletin=bulletin,
            detail=_("%(count)s recipients") % {"count": len(rows)},
        )
    return announcement
