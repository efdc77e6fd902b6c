"""Admin for tickets: read-only views for support staff, and the ticket settings.

Tickets change only through the services (the workflow table, the timeline,
the clocks), so the admin shows them but never edits or deletes them.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from aftersales.tickets.models import FollowUp, HandlingReport, Ticket, TicketEvent, TicketSettings


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TicketEventInline(_ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "kind", "actor", "from_status", "to_status", "field", "old_value", "new_value", "body"]
    readonly_fields = fields
    ordering = ["at", "id"]


class HandlingReportInline(_ReadOnlyInline):
    model = HandlingReport
    fields = ["created_at", "author", "level_reached", "diagnosis", "actions_taken", "root_cause"]
    readonly_fields = fields


class FollowUpInline(_ReadOnlyInline):
    model = FollowUp
    fields = ["created_at", "recorded_by", "channel", "is_fixed", "satisfaction", "comment"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "title",
        "kind",
        "severity",
        "status",
        "customer",
        "centre",
        "assignee",
        "reported_at",
        "next_due_at",
        "has_breach",
    ]
    list_filter = ["status", "kind", "severity", "channel", "has_breach", "centre"]
    search_fields = ["number", "title", "unit__serial", "customer__name"]
    list_select_related = ["customer", "centre", "assignee"]
    date_hierarchy = "reported_at"
    show_full_result_count = False  # an exact COUNT(*) over every ticket is slow at scale
    inlines = [HandlingReportInline, FollowUpInline, TicketEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(TicketSettings)
class TicketSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "auto_close_after_days", "reopen_window_days", "onsite_description_min_length"]
    autocomplete_fields = ["complaint_owner"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not TicketSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
