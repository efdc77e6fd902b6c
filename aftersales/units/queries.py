"""Reads about the installed base."""

from __future__ import annotations

from django.db.models import QuerySet

from aftersales.units.entitlement import ENTITLEMENT_SELECT_RELATED
from aftersales.units.models import Unit


def units_for_entitlement(units: QuerySet[Unit] | None = None) -> QuerySet[Unit]:
    """Units loaded so that ``entitlement_for`` runs without a query per unit.

    The model and two levels of replaced units are joined, the contracts
    prefetched: a list of any length costs two queries (units, contracts).
    """
    queryset = Unit.objects.all() if units is None else units
    return queryset.select_related(*ENTITLEMENT_SELECT_RELATED, "customer", "site").prefetch_related(
        "contracts"
    )
