"""Repairs in the admin: read-only (every change goes through the services and leaves an event)."""

from __future__ import annotations

from django.contrib import admin

from aftersales.repairs.models import FittedPart, Repair, RepairEvent


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RepairEventInline(admin.TabularInline):
    model = RepairEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "by", "from_status", "to_status", "text")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Repair)
class RepairAdmin(_ReadOnly):
    list_display = ("number", "customer", "unit", "status", "is_chargeable", "next_due_at", "has_breach")
    list_filter = ("status", "is_chargeable", "has_breach")
    search_fields = ("number", "unit__serial", "ticket__number", "customer__name")
    list_select_related = ("customer", "unit")
    inlines = [RepairEventInline]


@admin.register(FittedPart)
class FittedPartAdmin(_ReadOnly):
    list_display = ("repair", "part_number", "quantity", "fitted_at")
    list_select_related = ("repair",)
