"""Admin: the service policy (versions and rules) is configuration; clocks are read-only evidence."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aftersales.commitments.models import Clock, ClockNotice, CommitmentRule, ServicePolicy


class CommitmentRuleInline(admin.TabularInline):
    model = CommitmentRule
    extra = 0
    fields = (
        "milestone",
        "ticket_kind",
        "severity",
        "coverage",
        "calendar",
        "target_minutes",
        "target_working_days",
        "start_event",
        "meet_event",
        "may_pause",
        "warn_before_minutes",
        "leadership_after_minutes",
    )


@admin.register(ServicePolicy)
class ServicePolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "effective_from", "contract", "rule_count")
    list_filter = ("contract",)
    search_fields = ("name", "contract__number")
    autocomplete_fields = ("contract",)
    inlines = [CommitmentRuleInline]

    @admin.display(description=_("rules"))
    def rule_count(self, obj: ServicePolicy) -> int:
        return obj.rules.count()


class ClockNoticeInline(admin.TabularInline):
    model = ClockNotice
    extra = 0
    can_delete = False
    readonly_fields = ("level", "created_at", "recipients")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ("reference", "milestone", "status", "started_at", "due_at", "met_at", "breached_at")
    list_filter = ("milestone", "status", "calendar", "is_provisional")
    search_fields = ("reference",)
    list_select_related = ("rule",)
    inlines = [ClockNoticeInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
