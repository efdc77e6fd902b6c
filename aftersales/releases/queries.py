"""Reads of the releases area: affected units, recipients, the desk's tables, the portal's downloads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count, Max, Prefetch, QuerySet
from django.http import Http404

from aftersales.accounts.models import User
from aftersales.customers.models import Contact, Customer
from aftersales.customers.queries import customer_scope_for_user
from aftersales.releases import versions
from aftersales.releases.entitlement import (
    PackageOffer,
    packages_for,
    published_releases_for_models,
    release_applies,
)
from aftersales.releases.models import (
    Announcement,
    AnnouncementRecipient,
    Bulletin,
    DownloadLog,
    Installation,
    Release,
    ReleasePackage,
)
from aftersales.units.models import Unit
from aftersales.units.queries import units_for_entitlement

# --- lists -------------------------------------------------------------------------------------


def release_list() -> QuerySet[Release]:
    """Releases for the desk list, newest first, with their model and package count (one query)."""
    return Release.objects.select_related("product_model").annotate(package_count=Count("packages"))


def bulletin_list() -> QuerySet[Bulletin]:
    return Bulletin.objects.select_related("product_model", "fixed_by")


def get_release(release_id: int) -> Release:
    try:
        return (
            Release.objects.select_related("product_model", "created_by")
            .prefetch_related("packages", "events__by")
            .get(pk=release_id)
        )
    except (Release.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None


def get_bulletin(bulletin_id: int) -> Bulletin:
    try:
        return (
            Bulletin.objects.select_related("product_model", "fixed_by", "created_by")
            .prefetch_related("events__by")
            .get(pk=bulletin_id)
        )
    except (Bulletin.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None


def get_package(package_id: int) -> ReleasePackage:
    try:
        return ReleasePackage.objects.select_related("release__product_model").get(pk=package_id)
    except (ReleasePackage.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None


# --- affected units ----------------------------------------------------------------------------


def _units_of_model(model_id: int) -> QuerySet[Unit]:
    return units_for_entitlement(Unit.objects.filter(product_model_id=model_id, is_active=True)).order_by(
        "customer__name", "serial"
    )


def release_units(release: Release) -> list[Unit]:
    """Units in service the release installs on (model and version), entitled or not."""
    if not release.is_published:
        # Judge an unpublished release as if published, so staff see whom it will reach.
        release = Release(
            pk=release.pk,
            product_model_id=release.product_model_id,
            version=release.version,
            applies_to=release.applies_to,
            is_published=True,
        )
    return [unit for unit in _units_of_model(release.product_model_id) if release_applies(unit, release)[0]]


def bulletin_units(bulletin: Bulletin) -> list[Unit]:
    """Units in service of the bulletin's model running an affected version."""
    return [
        unit
        for unit in _units_of_model(bulletin.product_model_id)
        if versions.matches(unit.software_version, bulletin.affected_versions)
    ]


@dataclass
class UnitStanding:
    """One unit the release applies to, and whether each of its packages is offered (staff view)."""

    unit: Unit
    offers: list[PackageOffer]

    @property
    def is_entitled(self) -> bool:
        return any(offer.is_offered for offer in self.offers)

    @property
    def refusal(self) -> str:
        refused = [offer.reason for offer in self.offers if not offer.is_offered]
        return "; ".join(dict.fromkeys(refused))


def release_breakdown(release: Release, *, on: date) -> list[UnitStanding]:
    """Each unit the release applies to, with its package offers (entitled or not, and why)."""
    units = release_units(release)
    packaged = Release.objects.prefetch_related("packages").get(pk=release.pk)
    if not packaged.is_published:
        packaged.is_published = True  # preview the offers of a release still being prepared
    return [UnitStanding(unit=unit, offers=packages_for(unit, on, releases=[packaged])) for unit in units]


# --- recipients --------------------------------------------------------------------------------


@dataclass
class Recipient:
    """One address to tell about an announcement, and the units of its customer concerned."""

    customer: Customer
    address: str
    name: str
    language: str
    link: str
    contact: Contact | None = None
    user: User | None = None
    serials: list[str] = field(default_factory=list)

    @property
    def is_account_manager(self) -> bool:
        return self.contact is None


def _site_url(path: str) -> str:
    return settings.AFTERSALES["SITE_URL"].rstrip("/") + path


def announcement_recipients(
    *, release: Release | None = None, bulletin: Bulletin | None = None
) -> list[Recipient]:
    """Whom an announcement goes to, customer by customer (the desk previews this list).

    Per customer with an affected unit: its contacts with an e-mail address
    who receive reports — or all its contacts with an address when none is
    marked — and its account manager if they have an address. An address
    appears once per customer.
    """
    units = release_units(release) if release is not None else bulletin_units(bulletin)
    serials: dict[int, list[str]] = defaultdict(list)
    customers: dict[int, Customer] = {}
    for unit in units:
        serials[unit.customer_id].append(unit.serial)
        customers[unit.customer_id] = unit.customer
    if not customers:
        return []
    desk_path = (
        f"/desk/releases/{release.pk}/" if release is not None else f"/desk/releases/bulletins/{bulletin.pk}/"
    )
    portal_link = _site_url("/portal/downloads/")
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in (
        Contact.objects.filter(customer_id__in=customers)
        .exclude(email="")
        .select_related("user")
        .order_by("name")
    ):
        contacts[contact.customer_id].append(contact)
    managers = {
        customer.pk: customer.account_manager
        for customer in Customer.objects.filter(pk__in=customers).select_related("account_manager")
    }
    found = []
    for customer_id, customer in sorted(customers.items(), key=lambda item: item[1].name):
        chosen = [c for c in contacts[customer_id] if c.receives_reports] or contacts[customer_id]
        seen: set[str] = set()
        for contact in chosen:
            if contact.email.lower() in seen:
                continue
            seen.add(contact.email.lower())
            found.append(
                Recipient(
                    customer=customer,
                    address=contact.email,
                    name=contact.name,
                    language=contact.language or "zh-hans",
                    link=portal_link,
                    contact=contact,
                    user=contact.user,
                    serials=serials[customer_id],
                )
            )
        manager = managers.get(customer_id)
        if manager is not None and manager.is_active and manager.email and manager.email.lower() not in seen:
            found.append(
                Recipient(
                    customer=customer,
                    address=manager.email,
                    name=manager.display_name,
                    language=getattr(manager, "language", "") or "zh-hans",
                    link=_site_url(desk_path),
                    user=manager,
                    serials=serials[customer_id],
                )
            )
    return found


# --- who was told, who downloaded, who installed -----------------------------------------------


@dataclass
class CustomerFollowUp:
    """One customer's line in the told/downloaded/installed table."""

    customer: Customer
    told: list[str] = field(default_factory=list)
    told_at: datetime | None = None
    affected_units: int = 0
    downloads: int = 0
    last_download_at: datetime | None = None
    installed_units: int = 0
    last_installed_at: datetime | None = None


def follow_up_table(
    *, release: Release | None = None, bulletin: Bulletin | None = None
) -> list[CustomerFollowUp]:
    """Per customer told of the release or bulletin (or affected by it): told, downloaded, installed.

    For a bulletin, "downloaded" and "installed" count its fixing release.
    Four queries whatever the number of customers.
    """
    announcements = (
        Announcement.objects.filter(release=release)
        if release
        else Announcement.objects.filter(bulletin=bulletin)
    )
    rows: dict[int, CustomerFollowUp] = {}
    for recipient in (
        AnnouncementRecipient.objects.filter(announcement__in=announcements)
        .select_related("customer")
        .order_by("told_at")
    ):
        row = rows.setdefault(recipient.customer_id, CustomerFollowUp(customer=recipient.customer))
        if recipient.address not in row.told:
            row.told.append(recipient.address)
        row.told_at = row.told_at or recipient.told_at
    units = release_units(release) if release is not None else bulletin_units(bulletin)
    for unit in units:
        row = rows.setdefault(unit.customer_id, CustomerFollowUp(customer=unit.customer))
        row.affected_units += 1
    fixing = release if release is not None else bulletin.fixed_by
    if fixing is not None:
        for item in (
            DownloadLog.objects.filter(package__release=fixing, unit__isnull=False)
            .values("unit__customer")
            .annotate(count=Count("id"), last=Max("at"))
        ):
            row = rows.get(item["unit__customer"])
            if row is not None:
                row.downloads, row.last_download_at = item["count"], item["last"]
        for item in (
            Installation.objects.filter(release=fixing)
            .values("unit__customer")
            .annotate(count=Count("unit", distinct=True), last=Max("installed_at"))
        ):
            row = rows.get(item["unit__customer"])
            if row is not None:
                row.installed_units, row.last_installed_at = item["count"], item["last"]
    return sorted(rows.values(), key=lambda row: row.customer.name)


def announcements_of(
    *, release: Release | None = None, bulletin: Bulletin | None = None
) -> QuerySet[Announcement]:
    found = (
        Announcement.objects.filter(release=release)
        if release
        else Announcement.objects.filter(bulletin=bulletin)
    )
    return found.select_related("by").annotate(recipient_count=Count("recipients"))


# --- a unit ------------------------------------------------------------------------------------


def unit_installations(unit: Unit) -> QuerySet[Installation]:
    """The unit's version history, newest first."""
    return (
        Installation.objects.filter(unit=unit)
        .select_related("release", "by")
        .order_by("-installed_at", "-id")
    )


def unit_downloads(unit: Unit) -> QuerySet[DownloadLog]:
    return DownloadLog.objects.filter(unit=unit).select_related("package__release", "user").order_by("-at")


def get_unit_for_staff(serial: str) -> Unit:
    unit = units_for_entitlement(Unit.objects.filter(serial=serial)).first()
    if unit is None:
        raise Http404
    return unit


# --- the portal --------------------------------------------------------------------------------


@dataclass
class UnitDownloads:
    """A unit of the customer's organisation with the packages it is offered and the bulletins on it."""

    unit: Unit
    packages: list[ReleasePackage]
    bulletins: list[Bulletin]
    installations: list[Installation] = field(default_factory=list)


def portal_units(user: User) -> QuerySet[Unit]:
    """The organisation's units in service, loaded for entitlement."""
    return units_for_entitlement(
        Unit.objects.filter(customer__in=customer_scope_for_user(user), is_active=True)
    ).order_by("serial")


def portal_downloads(user: User, *, on: date) -> list[UnitDownloads]:
    """Per unit of the user's organisation, exactly the packages it is entitled to, and its bulletins.

    A fixed number of queries (units, contracts, releases, packages, bulletins,
    installations) whatever the number of units.
    """
    units = list(portal_units(user))
    if not units:
        return []
    model_ids = {unit.product_model_id for unit in units}
    releases = published_releases_for_models(model_ids)
    bulletins = list(
        Bulletin.objects.filter(product_model_id__in=model_ids)
        .select_related("fixed_by")
        .order_by("-published_on", "-id")
    )
    history: dict[int, list[Installation]] = defaultdict(list)
    for installation in (
        Installation.objects.filter(unit__in=units).select_related("release").order_by("-installed_at")
    ):
        history[installation.unit_id].append(installation)
    return [
        UnitDownloads(
            unit=unit,
            packages=[
                offer.package for offer in packages_for(unit, on, releases=releases) if offer.is_offered
            ],
            bulletins=[
                bulletin
                for bulletin in bulletins
                if bulletin.product_model_id == unit.product_model_id
                and versions.matches(unit.software_version, bulletin.affected_versions)
            ],
            installations=history[unit.pk][:5],
        )
        for unit in units
    ]


def get_portal_offered_package(
    user: User, serial: str, package_id: int, *, on: date
) -> tuple[Unit, ReleasePackage]:
    """The unit (of the user's organisation) and a package offered to it; anything else is a 404."""
    if not user.is_customer_user:
        raise Http404
    unit = portal_units(user).filter(serial=serial).first()
    if unit is None:
        raise Http404
    package = (
        ReleasePackage.objects.filter(pk=package_id, release__product_model_id=unit.product_model_id)
        .select_related("release__product_model")
        .first()
    )
    if package is None:
        raise Http404
    release = (
        Release.objects.filter(pk=package.release_id)
        .select_related("product_model")
        .prefetch_related(Prefetch("packages", queryset=ReleasePackage.objects.filter(pk=package.pk)))
        .get()
    )
    offers = packages_for(unit, on, releases=[release])
    if not any(offer.is_offered for offer in offers):
        raise Http404
    return unit, offers[0].package


def download_counts(release: Release) -> dict[int, int]:
    """How many times each package of the release was downloaded."""
    return dict(
        DownloadLog.objects.filter(package__release=release)
        .values_list("package")
        .annotate(count=Count("id"))
        .values_list("package", "count")
    )


def unit_offers(unit: Unit, *, on: date) -> list[PackageOffer]:
    """Every published package of the unit's model, offered or refused with the reason (staff see both)."""
    return packages_for(unit, on)
