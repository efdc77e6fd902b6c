"""Changes to the installed base: unit and part swaps, customer-added parts, software versions.

No service here touches a warranty date: warranty ends are derived (see
``units.entitlement``), so a repair cannot move them and a replacement unit
inherits the remaining term through its ``replaces`` link.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.accounts.roles import Capability
from aftersales.core.errors import DomainError, InvalidInput, NotPermitted
from aftersales.units.models import ProductModel, Unit, UnitPart


def _check_actor(actor: User | None) -> None:
    if actor is not None and not actor.has_perm(f"aftersales.{Capability.CHANGE_INSTALLED_BASE}"):
        raise NotPermitted(_("You may not change the installed base."))


def _require_in_service(unit: Unit) -> None:
    if not unit.is_active:
        raise DomainError(
            _("Unit %(serial)s is no longer in service (replaced or retired).") % {"serial": unit.serial},
            code="unit_inactive",
        )


def _require_not_before_shipment(unit: Unit, on: date) -> None:
    if on < unit.shipped_on:
        raise InvalidInput(
            _("%(date)s is before unit %(serial)s was shipped (%(shipped)s).")
            % {"date": on.isoformat(), "serial": unit.serial, "shipped": unit.shipped_on.isoformat()}
        )


def _clean_serial(serial: str, *, required: bool) -> str:
    serial = (serial or "").strip()
    if required and not serial:
        raise InvalidInput(_("Enter the serial number."))
    if len(serial) > 64:
        raise InvalidInput(_("A serial number has at most 64 characters."))
    return serial


def _require_unused_part_serial(serial: str) -> None:
    """A serial can be fitted in one place at a time; removed parts keep theirs for the record."""
    if serial and UnitPart.objects.filter(serial__iexact=serial, removed_on__isnull=True).exists():
        raise DomainError(
            _("A part with serial %(serial)s is already fitted in a unit.") % {"serial": serial},
            code="duplicate_serial",
        )


def replace_unit(
    *,
    old_unit: Unit,
    new_serial: str,
    on: date,
    product_model: ProductModel | None = None,
    software_version: str = "",
    actor: User | None = None,
) -> Unit:
    """Swap a unit for a new one at the same customer and site.

    The new unit ``replaces`` the old one, so it inherits the old unit's
    remaining warranty (not a fresh term); it also joins every contract of the
    old unit still running on ``on`` (the customer paid for the position, not
    the serial), and keeps the licensed features its model offers. The old unit
    leaves service. ``product_model`` is for a swap to a different model
    (e.g. a successor); the default is the same model.
    """
    _check_actor(actor)
    serial = _clean_serial(new_serial, required=True)
    model = product_model or old_unit.product_model
    with transaction.atomic():
        old = Unit.objects.select_for_update().select_related("product_model").get(pk=old_unit.pk)
        _require_in_service(old)
        _require_not_before_shipment(old, on)
        if Unit.objects.filter(serial__iexact=serial).exists():
            raise DomainError(
                _("A unit with serial %(serial)s already exists.") % {"serial": serial},
                code="duplicate_serial",
            )
        features = list(old.licensed_features)
        if model.pk != old.product_model_id:
            features = [feature for feature in features if feature in model.features]
        try:
            with transaction.atomic():
                new = Unit.objects.create(
                    serial=serial,
                    product_model=model,
                    customer_id=old.customer_id,
                    site_id=old.site_id,
                    shipped_on=on,
                    software_version=software_version.strip(),
                    licensed_features=features,
                    replaces=old,
                )
        except IntegrityError as error:  # the same serial registered at the same moment
            raise DomainError(
                _("A unit with serial %(serial)s already exists.") % {"serial": serial},
                code="duplicate_serial",
            ) from error
        new.contracts.add(*old.contracts.filter(ends_on__gte=on))
        old.is_active = False
        old.save(update_fields=["is_active", "updated_at"])
    old_unit.is_active = False
    return new


def replace_part(
    *,
    part: UnitPart,
    new_serial: str,
    on: date,
    name: str = "",
    part_number: str = "",
    actor: User | None = None,
) -> UnitPart:
    """Fit a new part in place of an old one; the old one is recorded as removed on ``on``.

    A part the vendor fits in place of a factory (or earlier replacement) part
    stays covered under the unit's original hardware term, so the new part is a
    *vendor replacement*. Replacing a part the customer added does not make the
    position covered: the new part stays *customer-added*. Name and part number
    default to the old part's.
    """
    _check_actor(actor)
    serial = _clean_serial(new_serial, required=False)
    with transaction.atomic():
        old = UnitPart.objects.select_for_update().select_related("unit").get(pk=part.pk)
        if old.removed_on is not None:
            raise DomainError(
                _("Part %(part)s was already removed on %(date)s.")
                % {"part": old, "date": old.removed_on.isoformat()},
                code="part_removed",
            )
        _require_in_service(old.unit)
        _require_not_before_shipment(old.unit, on)
        if old.fitted_on and on < old.fitted_on:
            raise InvalidInput(
                _("%(date)s is before the part was fitted (%(fitted)s).")
                % {"date": on.isoformat(), "fitted": old.fitted_on.isoformat()}
            )
        _require_unused_part_serial(serial)
        origin = (
            UnitPart.Origin.CUSTOMER_ADDED
            if old.origin == UnitPart.Origin.CUSTOMER_ADDED
            else UnitPart.Origin.VENDOR_REPLACEMENT
        )
        new = UnitPart.objects.create(
            unit=old.unit,
            name=name.strip() or old.name,
            part_number=part_number.strip() or old.part_number,
            serial=serial,
            origin=origin,
            fitted_on=on,
            replaces=old,
        )
        old.removed_on = on
        old.save(update_fields=["removed_on", "updated_at"])
    part.removed_on = on
    return new


def add_customer_part(
    *,
    unit: Unit,
    name: str,
    on: date,
    serial: str = "",
    part_number: str = "",
    actor: User | None = None,
) -> UnitPart:
    """Record a part the customer fitted themselves: it is never covered by the warranty."""
    _check_actor(actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter the part's name."))
    serial = _clean_serial(serial, required=False)
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        _require_in_service(locked)
        _require_not_before_shipment(locked, on)
        _require_unused_part_serial(serial)
        return UnitPart.objects.create(
            unit=locked,
            name=name,
            part_number=part_number.strip(),
            serial=serial,
            origin=UnitPart.Origin.CUSTOMER_ADDED,
            fitted_on=on,
        )


def record_software_version(*, unit: Unit, version: str, actor: User | None = None) -> Unit:
    """Record the software version a unit now runs (security bulletins go by version)."""
    _check_actor(actor)
    version = (version or "").strip()
    if not version:
        raise InvalidInput(_("Enter the software version."))
    if len(version) > Unit._meta.get_field("software_version").max_length:
        raise InvalidInput(_("A software version has at most 40 characters."))
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        _require_in_service(locked)
        locked.software_version = version
        locked.save(update_fields=["software_version", "updated_at"])
    return locked
