"""Admin: releases, packages, installations, downloads, bulletins and announcements, read only.

Changes go through the desk pages and ``releases.services`` (which compute the
packages' checksums and record who did what); the admin only looks.
"""

from __future__ import annotations

from django.contrib import admin

from aftersales.releases.models import (
    Announcement,
    AnnouncementRecipient,
    Bulletin,
    DownloadLog,
    Installation,
    Release,
    ReleaseEvent,
    ReleasePackage,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PackageInline(admin.TabularInline):
    model = ReleasePackage
    extra = 0
    fields = ("original_name", "required_feature", "size", "sha256")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ("product_model", "version", "kind", "released_on", "applies_to", "is_published")
    list_filter = ("kind", "is_published", "product_model")
    search_fields = ("version", "product_model__code")
    list_select_related = ("product_model",)
    inlines = [PackageInline]


@admin.register(Installation)
class InstallationAdmin(ReadOnlyAdmin):
    list_display = ("unit", "release", "previous_version", "method", "installed_at", "by")
    list_filter = ("method",)
    search_fields = ("unit__serial", "release__version")
    list_select_related = ("unit__product_model", "release__product_model", "by")


@admin.register(DownloadLog)
class DownloadLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "unit", "package", "ip")
    search_fields = ("unit__serial", "user__username", "package__original_name")
    list_select_related = ("user", "unit__product_model", "package")


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ("title", "severity", "product_model", "affected_versions", "fixed_by", "published_on")
    list_filter = ("severity", "product_model")
    list_select_related = ("product_model", "fixed_by__product_model")


class RecipientInline(admin.TabularInline):
    model = AnnouncementRecipient
    extra = 0
    fields = ("customer", "address", "language", "told_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "release", "bulletin", "by")
    list_select_related = ("release__product_model", "bulletin", "by")
    inlines = [RecipientInline]


@admin.register(ReleaseEvent)
class ReleaseEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "release", "bulletin", "by", "detail")
    list_select_related = ("release__product_model", "bulletin", "by")
