"""Admin of inspections: templates with their items, plans; generated records read-only."""

from __future__ import annotations

from django.contrib import admin

from aftersales.inspections.models import (
    ChecklistItem,
    ChecklistResult,
    ChecklistTemplate,
    InspectionPlan,
    PlanOccurrence,
    VisitChecklist,
)


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ("position", "section", "label")


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    inlines = [ChecklistItemInline]


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "frequency", "starts_on", "engineer", "centre", "is_active")
    list_filter = ("frequency", "is_active", "is_remote_contact", "centre")
    search_fields = ("name", "customer__name")
    autocomplete_fields = ("customer",)
    raw_id_fields = ("contract", "engineer")
    filter_horizontal = ("sites", "units")
    list_select_related = ("customer", "engineer", "centre")


@admin.register(PlanOccurrence)
class PlanOccurrenceAdmin(admin.ModelAdmin):
    list_display = ("plan", "occurs_on", "site", "visit", "created_at")
    list_select_related = ("plan", "site", "visit")
    readonly_fields = ("plan", "occurs_on", "site", "visit", "created_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(VisitChecklist)
class VisitChecklistAdmin(admin.ModelAdmin):
    list_display = ("visit", "template", "started_at", "completed_at", "completed_by")
    list_select_related = ("visit", "template", "completed_by")
    readonly_fields = ("visit", "template", "started_at", "completed_at", "completed_by", "summary")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChecklistResult)
class ChecklistResultAdmin(admin.ModelAdmin):
    list_display = ("visit", "section", "label", "outcome", "ticket")
    list_filter = ("outcome", "section")
    list_select_related = ("visit", "ticket")
    readonly_fields = ("visit", "item", "section", "label", "unit", "outcome", "note", "photo", "ticket")

    def has_add_permission(self, request) -> bool:
        return False
