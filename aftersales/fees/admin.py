"""Admin: schedule versions are edited here until quotes are made against them; quotes,
charges and statements are read-only evidence (they change only through the services)."""

from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from aftersales.fees.models import (
    Charge,
    FeeItem,
    FeeSchedule,
    FeeSettings,
    Quote,
    QuoteEvent,
    QuoteLine,
    Statement,
)
from aftersales.fees.services import copy_schedule


class FeeItemInline(admin.TabularInline):
    model = FeeItem
    extra = 0
    fields = ("position", "category", "code", "name_zh", "name_en", "unit", "price", "vat_rate")

    def _locked(self, obj) -> bool:
        return obj is not None and obj.is_locked

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "effective_from", "published", "item_count", "quote_count")
    list_filter = ("published",)
    search_fields = ("name",)
    inlines = [FeeItemInline]
    actions = ["copy_as_new_version"]

    @admin.display(description=_("items"))
    def item_count(self, obj: FeeSchedule) -> int:
        return obj.items.count()

    @admin.display(description=_("quotes"))
    def quote_count(self, obj: FeeSchedule) -> int:
        return obj.quotes.count()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_locked:
            return ("name", "effective_from", "published", "note")
        return ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return (obj is None or not obj.quotes.exists()) and super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and obj.is_locked:
            messages.info(
                request,
                gettext(
                    "Quotes were made against this published version: copy it as a new version to change it."
                ),
            )
        return super().get_form(request, obj, **kwargs)

    @admin.action(description=_("Copy as a new (unpublished) version"))
    def copy_as_new_version(self, request, queryset):
        copies = [copy_schedule(schedule=schedule) for schedule in queryset]
        self.message_user(
            request,
            ngettext(
                "%(n)d copy made; edit and publish it.",
                "%(n)d copies made; edit and publish them.",
                len(copies),
            )
            % {"n": len(copies)},
        )


@admin.register(FeeSettings)
class FeeSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "discount_limit_percent")

    def has_add_permission(self, request) -> bool:
        return not FeeSettings.objects.exists() and super().has_add_permission(request)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    fields = (
        "position",
        "code",
        "name_zh",
        "quantity",
        "schedule_price",
        "unit_price",
        "discount_percent",
        "amount",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class QuoteEventInline(admin.TabularInline):
    model = QuoteEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "kind", "from_status", "to_status", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Quote)
class QuoteAdmin(_ReadOnly):
    list_display = ("number", "customer", "status", "total", "issued_at")
    list_filter = ("status",)
    search_fields = ("number", "customer__name")
    list_select_related = ("customer",)
    inlines = [QuoteLineInline, QuoteEventInline]


@admin.register(Charge)
class ChargeAdmin(_ReadOnly):
    list_display = ("reference", "customer", "description", "amount", "vat_rate", "at", "statement")
    search_fields = ("reference", "customer__name")
    list_select_related = ("customer", "statement")


@admin.register(Statement)
class StatementAdmin(_ReadOnly):
    list_display = ("number", "customer", "period_start", "period_end", "total")
    search_fields = ("number", "customer__name")
    list_select_related = ("customer",)
