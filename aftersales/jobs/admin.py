"""Admin views of jobs: read-mostly; changes go through the job pages (services), not here."""

from django.contrib import admin

from aftersales.jobs.models import (
    InstallationJob,
    InstallationLine,
    JobEvent,
    MigrationJob,
    MigrationStep,
    TrainingAttendee,
    TrainingMaterial,
    TrainingSession,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class InstallationLineInline(_ReadOnlyInline):
    model = InstallationLine


class TrainingAttendeeInline(_ReadOnlyInline):
    model = TrainingAttendee


class TrainingMaterialInline(_ReadOnlyInline):
    model = TrainingMaterial


class MigrationStepInline(_ReadOnlyInline):
    model = MigrationStep


class _JobAdmin(admin.ModelAdmin):
    list_display = ("ticket", "customer", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("ticket__number", "customer__name")
    list_select_related = ("ticket", "customer")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InstallationJob)
class InstallationJobAdmin(_JobAdmin):
    inlines = [InstallationLineInline]


@admin.register(TrainingSession)
class TrainingSessionAdmin(_JobAdmin):
    inlines = [TrainingAttendeeInline, TrainingMaterialInline]


@admin.register(MigrationJob)
class MigrationJobAdmin(_JobAdmin):
    inlines = [MigrationStepInline]


@admin.register(JobEvent)
class JobEventAdmin(_JobAdmin):
    list_display = ("ticket", "kind", "at", "by", "text")
    list_filter = ("kind",)
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "by")
