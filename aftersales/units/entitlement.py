"""Entitlement: is work on a unit (or one of its parts) free, under contract, or paid?

The one function every part of Aftersales asks (ticket intake, the unit page,
spare loans, repairs, visits): ``entitlement_for``. The rules, from the
service commitment letter:

* Warranty counts from installation acceptance, or from shipment where no
  acceptance is recorded. Terms come from the product model: hardware
  (default 36 months) and software (default 12 months); a hardware-only model
  has no software term and a software product no hardware term; a term of 0
  months means none.
* A term of N calendar months covers the start day and ends the day before
  the same day N months later (2026-01-20 + 36 months → last covered day
  2029-01-19); when that month is too short, at the end of that month
  (2026-01-31 + 1 month → 2026-02-28). See
  ``business_time.last_day_of_months_term``. A fault reported before the start
  (during commissioning) is in warranty.
* A repair never changes the warranty end (there is nothing to change: the
  end is derived from the dates above). A unit that *replaces* another
  inherits that unit's warranty ends — the remaining term, not a new one —
  through any number of replacements.
* Only factory-configured parts are covered, and parts the vendor fitted as
  replacements for them, under the unit's original hardware term. A part the
  customer added is never covered, whatever the unit's warranty or contracts.
* Once the warranty has ended, an extended-warranty or premium-support
  contract that lists the unit and runs on the day covers it, for hardware
  and/or software as the contract says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.business_time import last_day_of_months_term
from aftersales.units.models import Contract, Unit, UnitPart

IN_WARRANTY = "in_warranty"
UNDER_CONTRACT = "under_contract"
CHARGEABLE = "chargeable"
VERDICT_LABELS = {
    IN_WARRANTY: gettext_lazy("In warranty"),
    UNDER_CONTRACT: gettext_lazy("Under contract"),
    CHARGEABLE: gettext_lazy("Chargeable"),
}

COVER_CONTRACT_KINDS = (Contract.Kind.EXTENDED_WARRANTY, Contract.Kind.PREMIUM_SUPPORT)

# Select these with a unit so entitlement needs no query for the model or for
# replacements two deep (deeper chains cost two queries per further level).
ENTITLEMENT_SELECT_RELATED = (
    "product_model",
    "replaces__product_model",
    "replaces__replaces__product_model",
)

_MAX_REPLACEMENTS = 100  # a chain longer than this is a data loop, not history


@dataclass(frozen=True)
class WarrantyEnds:
    """The last covered day of each term of a unit (None: the unit has no such term)."""

    hardware: date | None
    software: date | None
    inherited_from: Unit | None = None


@dataclass(frozen=True)
class EntitlementVerdict:
    """The answer for one unit (or part) on one day, with the reason shown to staff and customers.

    ``verdict`` is one of ``in_warranty``, ``under_contract``, ``chargeable``
    (the values of ``tickets.models.Entitlement``). ``warranty_ends_on`` is the
    later of the ends that matter: the hardware end for a part, the later of
    both for a unit.
    """

    verdict: str
    hardware_warranty_ends_on: date | None
    software_warranty_ends_on: date | None
    warranty_ends_on: date | None
    contract: Contract | None
    reason: str

    @property
    def is_free(self) -> bool:
        return self.verdict != CHARGEABLE

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.verdict])


def warranty_ends(unit: Unit) -> WarrantyEnds:
    """The unit's own warranty ends, or those of the first unit in its replacement chain.

    A replacement keeps its own model's kinds of term (a hardware-only
    replacement has no software term) but the dates of the original; where the
    original had no such term, the replacement's own term applies.
    """
    own = _own_ends(unit)
    original = unit
    seen = {unit.pk}
    while original.replaces_id is not None:
        original = original.replaces
        if original.pk in seen or len(seen) > _MAX_REPLACEMENTS:
            raise ValueError(f"unit {unit.serial} is part of a replacement loop")
        seen.add(original.pk)
    if original is unit:
        return own
    inherited = _own_ends(original)
    return WarrantyEnds(
        hardware=(inherited.hardware or own.hardware) if unit.product_model.has_hardware else None,
        software=(inherited.software or own.software) if unit.product_model.has_software else None,
        inherited_from=original,
    )


def _own_ends(unit: Unit) -> WarrantyEnds:
    model = unit.product_model
    start = unit.warranty_starts_on
    hardware = (
        last_day_of_months_term(start, model.hardware_warranty_months)
        if model.has_hardware and model.hardware_warranty_months
        else None
    )
    software = (
        last_day_of_months_term(start, model.software_warranty_months)
        if model.has_software and model.software_warranty_months
        else None
    )
    return WarrantyEnds(hardware=hardware, software=software)


def _contracts_of(unit: Unit, contracts: Iterable[Contract] | None) -> list[Contract]:
    """The given contracts, the prefetched ones, or one query for the unit's contracts."""
    if contracts is not None:
        return list(contracts)
    prefetched = getattr(unit, "_prefetched_objects_cache", {})
    if "contracts" in prefetched:
        return list(prefetched["contracts"])
    return list(unit.contracts.all())


def _covering_contract(
    contracts: list[Contract], *, on: date, hardware: bool, software: bool
) -> Contract | None:
    """The running cover contract for the aspects asked, the one that runs longest first."""
    covering = [
        contract
        for contract in contracts
        if contract.kind in COVER_CONTRACT_KINDS
        and contract.is_active_on(on)
        and ((hardware and contract.covers_hardware) or (software and contract.covers_software))
    ]
    return max(covering, key=lambda contract: (contract.ends_on, contract.number), default=None)


def entitlement_for(
    unit: Unit,
    *,
    part: UnitPart | None = None,
    on: date,
    contracts: Iterable[Contract] | None = None,
) -> EntitlementVerdict:
    """Whether work on ``unit`` (or on ``part`` of it) on day ``on`` is free, and why.

    Queries: none when ``unit`` was loaded with ``ENTITLEMENT_SELECT_RELATED``
    and its contracts prefetched (``prefetch_related("contracts")``) or passed
    in ``contracts`` (the unit's contracts, any kind: they are filtered here);
    otherwise at most one for the contracts (read only once the relevant
    warranty has ended), one for the product model if not selected, and two
    per replacement level not selected. ``units.queries.units_for_entitlement``
    loads a list that way.
    """
    if part is not None and part.unit_id != unit.pk:
        raise ValueError(f"part {part.pk} does not belong to unit {unit.serial}")
    ends = warranty_ends(unit)
    inherited = ""
    if ends.inherited_from is not None:
        inherited = " " + _("(inherited from the replaced unit %(serial)s)") % {
            "serial": ends.inherited_from.serial
        }

    def verdict(
        kind: str, relevant_end: date | None, reason: str, contract: Contract | None = None
    ) -> EntitlementVerdict:
        return EntitlementVerdict(
            verdict=kind,
            hardware_warranty_ends_on=ends.hardware,
            software_warranty_ends_on=ends.software,
            warranty_ends_on=relevant_end,
            contract=contract,
            reason=reason,
        )

    if part is not None:
        if part.origin == UnitPart.Origin.CUSTOMER_ADDED:
            return verdict(CHARGEABLE, ends.hardware, _("Part added by the customer: not covered"))
        if ends.hardware is not None and on <= ends.hardware:
            reason = _("Hardware warranty until %(hardware)s") % {"hardware": ends.hardware.isoformat()}
            if part.origin == UnitPart.Origin.VENDOR_REPLACEMENT:
                reason = _("Replacement part fitted by the vendor: hardware warranty until %(date)s") % {
                    "date": ends.hardware.isoformat()
                }
            return verdict(IN_WARRANTY, ends.hardware, reason + inherited)
        contract = _covering_contract(_contracts_of(unit, contracts), on=on, hardware=True, software=False)
        if contract is not None:
            return verdict(UNDER_CONTRACT, ends.hardware, _contract_reason(contract), contract)
        if ends.hardware is None:
            return verdict(CHARGEABLE, None, _("The product has no hardware warranty"))
        return verdict(
            CHARGEABLE,
            ends.hardware,
            _("Warranty ended on %(date)s") % {"date": ends.hardware.isoformat()} + inherited,
        )

    terms = [end for end in (ends.hardware, ends.software) if end is not None]
    latest = max(terms, default=None)
    running = [end for end in terms if on <= end]
    if running:
        return verdict(IN_WARRANTY, latest, _warranty_reason(ends, on) + inherited)
    contract = _covering_contract(
        _contracts_of(unit, contracts),
        on=on,
        hardware=unit.product_model.has_hardware,
        software=unit.product_model.has_software,
    )
    if contract is not None:
        return verdict(UNDER_CONTRACT, latest, _contract_reason(contract), contract)
    if latest is None:
        return verdict(CHARGEABLE, None, _("The product has no warranty"))
    return verdict(
        CHARGEABLE, latest, _("Warranty ended on %(date)s") % {"date": latest.isoformat()} + inherited
    )


def _warranty_reason(ends: WarrantyEnds, on: date) -> str:
    """One whole sentence per combination, so each translates as a sentence."""
    hardware = ends.hardware.isoformat() if ends.hardware else ""
    software = ends.software.isoformat() if ends.software else ""
    hardware_runs = ends.hardware is not None and on <= ends.hardware
    software_runs = ends.software is not None and on <= ends.software
    values = {"hardware": hardware, "software": software}
    if hardware_runs and software_runs:
        return _("Hardware warranty until %(hardware)s, software warranty until %(software)s") % values
    if hardware_runs and ends.software is not None:
        return _("Hardware warranty until %(hardware)s; software warranty ended on %(software)s") % values
    if hardware_runs:
        return _("Hardware warranty until %(hardware)s") % values
    if ends.hardware is not None:
        return _("Software warranty until %(software)s; hardware warranty ended on %(hardware)s") % values
    return _("Software warranty until %(software)s") % values


def _contract_reason(contract: Contract) -> str:
    return _("Covered by contract %(number)s until %(date)s") % {
        "number": contract.number,
        "date": contract.ends_on.isoformat(),
    }


def software_upgrade_entitled(unit: Unit, on: date, *, contracts: Iterable[Contract] | None = None) -> bool:
    """Whether the unit may receive software upgrades free of charge on ``on``.

    While its software warranty runs, or under a running upgrade-service
    contract that lists it. (Which packages it may receive also depends on its
    licensed features; that is the releases' concern.)
    """
    ends = warranty_ends(unit)
    if ends.software is not None and on <= ends.software:
        return True
    return any(
        contract.kind == Contract.Kind.UPGRADE_SERVICE and contract.is_active_on(on)
        for contract in _contracts_of(unit, contracts)
    )
