"""Which release packages a unit is offered, and why the others are not: ``packages_for``.

A package is offered to a unit on a day when all of these hold, checked in
this order (the first that fails is the reason staff see):

1. the unit is in service;
2. the release is published and is for the unit's product model;
3. the release applies to the version the unit runs (``Release.applies_to``,
   see ``releases.versions``; an unrecorded version matches only a blank
   spec) and the unit does not already run that version or a later one;
4. the package's required feature is blank (the base package) or is in the
   unit's ``licensed_features`` — an unlicensed feature is never offered,
   whatever the warranty or contract, and installing never adds features;
5. ``units.entitlement.software_upgrade_entitled``: the software warranty
   runs, or a running upgrade-service contract lists the unit.

Patches follow the same rule as upgrades (the service letter: "upgrades and
patches are free during warranty, paid after"): a unit out of warranty and
without an upgrade-service contract is offered neither; staff may still
install a paid patch on a visit (``services.record_installation``).
Customers see only what is offered; staff also see the reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from aftersales.releases import versions
from aftersales.releases.models import Release, ReleasePackage
from aftersales.units.entitlement import software_upgrade_entitled
from aftersales.units.models import Unit


@dataclass(frozen=True)
class PackageOffer:
    """One package for one unit: offered or not, and the reason (shown to staff)."""

    unit: Unit
    package: ReleasePackage
    is_offered: bool
    reason: str

    @property
    def release(self) -> Release:
        return self.package.release


def release_applies(unit: Unit, release: Release) -> tuple[bool, str]:
    """Whether the release installs on the unit as it is now (model and version), with the reason."""
    if not unit.is_active:
        return False, _("The unit is no longer in service.")
    if not release.is_published:
        return False, _("The release is not published.")
    if release.product_model_id != unit.product_model_id:
        return False, _("The release is for another model.")
    current = unit.software_version
    if not current:
        if release.applies_to.strip():
            return False, _("The unit's software version is not recorded.")
        return True, _("Applies to every version.")
    if versions.version_key(current) >= versions.version_key(release.version):
        return False, _("The unit already runs %(version)s or later.") % {"version": release.version}
    if not versions.matches(current, release.applies_to):
        return False, _("Does not apply to version %(version)s.") % {"version": current}
    return True, _("Applies to version %(version)s.") % {"version": current}


def packages_for(
    unit: Unit,
    on: date,
    *,
    releases: Iterable[Release] | None = None,
    contracts=None,
) -> list[PackageOffer]:
    """Every package of the releases for the unit's model, each offered or refused with its reason.

    ``releases`` (with ``packages`` prefetched) lets a list of units share one
    load; otherwise the published releases of the unit's model are read (two
    queries). The unit should come from ``units.queries.units_for_entitlement``
    so the warranty check reads nothing more.
    """
    if releases is None:
        releases = published_releases_for_models([unit.product_model_id])
    offers = []
    entitled: bool | None = None
    for release in releases:
        if release.product_model_id != unit.product_model_id:
            continue
        applies, applies_reason = release_applies(unit, release)
        for package in release.packages.all():
            if not applies:
                offers.append(PackageOffer(unit, package, False, applies_reason))
                continue
            feature = package.required_feature
            if feature and feature not in (unit.licensed_features or []):
                offers.append(
                    PackageOffer(
                        unit, package, False, _("Feature %(feature)s is not licensed.") % {"feature": feature}
                    )
                )
                continue
            if entitled is None:
                entitled = software_upgrade_entitled(unit, on, contracts=contracts)
            if not entitled:
                offers.append(
                    PackageOffer(
                        unit,
                        package,
                        False,
                        _("Software warranty ended and no upgrade-service contract runs."),
                    )
                )
                continue
            offers.append(PackageOffer(unit, package, True, _("Entitled.")))
    return offers


def offered_packages(
    unit: Unit, on: date, *, releases: Iterable[Release] | None = None
) -> list[ReleasePackage]:
    """Only the packages offered to the unit (what a customer sees)."""
    return [offer.package for offer in packages_for(unit, on, releases=releases) if offer.is_offered]


def published_releases_for_models(model_ids: Iterable[int]) -> list[Release]:
    """The published releases of these models, newest first, with their packages (two queries)."""
    return list(
        Release.objects.filter(product_model_id__in=set(model_ids), is_published=True)
        .select_related("product_model")
        .prefetch_related("packages")
        .order_by("-released_on", "-id")
    )
