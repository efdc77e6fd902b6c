"""Admin: customers with their sites, contacts and branches."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from aftersales.customers.models import Contact, Customer, Site, normalise_phone


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("name", "city", "address")


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "department", "phone", "mobile", "email", "receives_reports", "language", "user")
    autocomplete_fields = ("user",)


class BranchInline(admin.TabularInline):
    model = Customer
    fk_name = "parent"
    extra = 0
    fields = ("code", "name", "account_manager")
    readonly_fields = ("code", "name", "account_manager")
    show_change_link = True
    can_delete = False
    verbose_name = _("branch")
    verbose_name_plural = _("branches")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class IsHeadOfficeFilter(admin.SimpleListFilter):
    title = _("organisation")
    parameter_name = "organisation"

    def lookups(self, request, model_admin):
        return [("head", _("Head offices and independents")), ("branch", _("Branches"))]

    def queryset(self, request, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        if self.value() == "head":
            return queryset.filter(parent__isnull=True)
        if self.value() == "branch":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "account_manager", "tax_number", "site_count", "contact_count")
    list_filter = (IsHeadOfficeFilter, ("account_manager", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "invoice_title", "tax_number")
    list_select_related = ("parent", "account_manager")
    autocomplete_fields = ("parent", "account_manager")
    inlines = [SiteInline, ContactInline, BranchInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "parent", "account_manager", "note")}),
        (
            _("Invoice details"),
            {"fields": ("invoice_title", "tax_number", "invoice_address", "invoice_bank")},
        ),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                sites_total=Count("sites", distinct=True), contacts_total=Count("contacts", distinct=True)
            )
        )

    @admin.display(description=_("sites"), ordering="sites_total")
    def site_count(self, obj: Customer) -> int:
        return obj.sites_total

    @admin.display(description=_("contacts"), ordering="contacts_total")
    def contact_count(self, obj: Customer) -> int:
        return obj.contacts_total


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "city", "address")
    list_filter = ("city",)
    search_fields = ("name", "city", "address", "customer__name", "customer__code")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "department", "phone", "mobile", "email", "receives_reports", "user")
    list_filter = ("receives_reports", "language")
    search_fields = (
        "name",
        "email",
        "phone",
        "mobile",
        "phone_normalised",
        "mobile_normalised",
        "customer__name",
    )
    list_select_related = ("customer", "user")
    autocomplete_fields = ("customer", "user")

    def get_search_results(self, request, queryset, search_term):
        """A number typed any way (+86, dashes, extension) finds the contact by its normalised form."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = normalise_phone(search_term)
        if number and len(number) >= 5:
            results |= queryset.filter(phone_normalised=number) | queryset.filter(mobile_normalised=number)
        return results, may_have_duplicates
