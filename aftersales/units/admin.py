"""Admin: product models, units with their parts and entitlement, contracts."""

from __future__ import annotations

from datetime import date

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aftersales.core.business_time import local_date
from aftersales.units.entitlement import ENTITLEMENT_SELECT_RELATED, entitlement_for
from aftersales.units.models import Contract, ProductModel, Unit, UnitPart


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "product_line",
        "hardware_warranty_months",
        "software_warranty_months",
    )
    list_filter = ("kind", "product_line")
    search_fields = ("code", "name")
    list_select_related = ("product_line",)
    autocomplete_fields = ("product_line",)


class UnitPartInline(admin.TabularInline):
    model = UnitPart
    fk_name = "unit"
    extra = 0
    fields = ("name", "part_number", "serial", "origin", "fitted_on", "removed_on", "replaces")
    raw_id_fields = ("replaces",)


class ContractUnitInline(admin.TabularInline):
    model = Contract.units.through
    extra = 0
    autocomplete_fields = ("contract",)
    verbose_name = _("contract")
    verbose_name_plural = _("contracts")


def _today() -> date:
    return local_date(timezone.now())


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = (
        "serial",
        "product_model",
        "customer",
        "site",
        "shipped_on",
        "accepted_on",
        "software_version",
        "entitlement_today",
        "warranty_ends_on",
        "is_active",
    )
    list_filter = ("is_active", "product_model__kind", "product_model", "shipped_on")
    search_fields = ("serial", "customer__name", "customer__code", "site__name", "parts__serial")
    autocomplete_fields = ("product_model", "customer", "site", "replaces")
    readonly_fields = ("entitlement_summary", "replaced_by_unit")
    inlines = [UnitPartInline, ContractUnitInline]
    date_hierarchy = "shipped_on"
    fieldsets = (
        (None, {"fields": ("serial", "product_model", "customer", "site", "is_active")}),
        (
            _("Warranty and entitlement"),
            {"fields": ("shipped_on", "accepted_on", "replaces", "replaced_by_unit", "entitlement_summary")},
        ),
        (_("Software"), {"fields": ("software_version", "licensed_features")}),
    )

    def get_queryset(self, request):
        # Entitlement per row without a query per row: models, two replacement levels, contracts.
        return (
            super()
            .get_queryset(request)
            .select_related(*ENTITLEMENT_SELECT_RELATED, "customer", "site")
            .prefetch_related("contracts")
        )

    @admin.display(description=_("entitlement today"))
    def entitlement_today(self, obj: Unit) -> str:
        return entitlement_for(obj, on=_today()).label

    @admin.display(description=_("warranty ends"))
    def warranty_ends_on(self, obj: Unit) -> date | None:
        return entitlement_for(obj, on=_today()).warranty_ends_on

    @admin.display(description=_("entitlement today"))
    def entitlement_summary(self, obj: Unit) -> str:
        if obj.pk is None:
            return "—"
        verdict = entitlement_for(obj, on=_today())
        return format_html(
            "<strong>{}</strong> — {}<br>{}: {} · {}: {}",
            verdict.label,
            verdict.reason,
            _("hardware warranty ends"),
            verdict.hardware_warranty_ends_on or "—",
            _("software warranty ends"),
            verdict.software_warranty_ends_on or "—",
        )

    @admin.display(description=_("replaced by"))
    def replaced_by_unit(self, obj: Unit) -> str:
        replacement = Unit.objects.filter(replaces=obj).only("serial").first() if obj.pk else None
        return replacement.serial if replacement else "—"


@admin.register(UnitPart)
class UnitPartAdmin(admin.ModelAdmin):
    list_display = ("name", "serial", "part_number", "unit", "origin", "fitted_on", "removed_on")
    list_filter = ("origin",)
    search_fields = ("serial", "name", "part_number", "unit__serial")
    list_select_related = ("unit__product_model",)
    autocomplete_fields = ("unit",)
    raw_id_fields = ("replaces",)


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "customer",
        "kind",
        "starts_on",
        "ends_on",
        "covers_hardware",
        "covers_software",
    )
    list_filter = ("kind", "covers_hardware", "covers_software")
    search_fields = ("number", "customer__name", "customer__code", "units__serial")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer", "units")
    date_hierarchy = "ends_on"
