"""Admin for the spares area: settings and pool/stock master data; loans and history read-only.

Loans, movements and faulty-part returns change only through the services
(history rows, the ticket's timeline, notices), so the admin shows them only.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from aftersales.spares.models import (
    FaultyPartReturn,
    Loan,
    LoanEvent,
    LoanProposal,
    PartMovement,
    SparePart,
    SpareSettings,
    SpareUnit,
    SpareUnitEvent,
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SpareSettings)
class SpareSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "propose_loan_after_hours", "loan_days_default", "faulty_return_overdue_days"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SpareUnitEventInline(_ReadOnlyInline):
    model = SpareUnitEvent
    fields = readonly_fields = ["at", "kind", "actor", "from_status", "to_status", "reference", "body"]


@admin.register(SpareUnit)
class SpareUnitAdmin(admin.ModelAdmin):
    list_display = ["serial", "product_model", "centre", "status", "condition", "location"]
    list_filter = ["centre", "status", "condition"]
    search_fields = ["serial"]
    readonly_fields = ["status"]
    list_select_related = ["product_model", "centre"]
    inlines = [SpareUnitEventInline]


@admin.register(SparePart)
class SparePartAdmin(admin.ModelAdmin):
    list_display = ["part_number", "name", "centre", "quantity_on_hand", "reorder_level"]
    list_filter = ["centre"]
    search_fields = ["part_number", "name"]
    readonly_fields = ["quantity_on_hand"]
    filter_horizontal = ["compatible_models"]


@admin.register(PartMovement)
class PartMovementAdmin(_ReadOnly):
    list_display = ["at", "part", "kind", "quantity", "balance_after", "reference", "by"]
    list_filter = ["kind"]
    search_fields = ["reference", "part__part_number", "serial"]


@admin.register(FaultyPartReturn)
class FaultyPartReturnAdmin(_ReadOnly):
    list_display = [
        "part_number",
        "serial",
        "reference",
        "centre",
        "status",
        "recorded_at",
        "tracking_number",
    ]
    list_filter = ["status", "centre"]
    search_fields = ["part_number", "serial", "reference", "tracking_number"]


@admin.register(LoanProposal)
class LoanProposalAdmin(_ReadOnly):
    list_display = ["ticket", "centre", "status", "proposed_at", "decided_by"]
    list_filter = ["status", "centre"]


class LoanEventInline(_ReadOnlyInline):
    model = LoanEvent
    fields = readonly_fields = ["at", "kind", "actor", "from_status", "to_status", "body"]


@admin.register(Loan)
class LoanAdmin(_ReadOnly):
    list_display = [
        "number",
        "customer",
        "spare_unit",
        "status",
        "out_at",
        "expected_return_on",
        "returned_at",
    ]
    list_filter = ["status", "is_chargeable", "is_substitute"]
    search_fields = ["number", "ticket__number", "spare_unit__serial"]
    inlines = [LoanEventInline]
