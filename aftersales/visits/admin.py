"""Admin for visits: read-only. Visits change only through the services (steps, clocks, notices)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from aftersales.visits.models import ServiceReport, Visit, VisitEngineer, VisitEvent


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class VisitEngineerInline(_ReadOnly, admin.TabularInline):
    model = VisitEngineer
    extra = 0
    exclude = ("code_hash", "confirmation_signature")


class VisitEventInline(_ReadOnly, admin.TabularInline):
    model = VisitEvent
    extra = 0


@admin.register(Visit)
class VisitAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("number", "kind", "status", "customer", "planned_start", "is_chargeable")
    list_filter = ("status", "kind", "centre")
    search_fields = ("number", "ticket__number", "customer__name")
    list_select_related = ("customer",)
    inlines = (VisitEngineerInline, VisitEventInline)


@admin.register(ServiceReport)
class ServiceReportAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("visit", "signed_by_name", "signed_at", "sign_off")
    list_select_related = ("visit",)
    exclude = ("signature",)
