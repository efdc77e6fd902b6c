"""Admin: users with their role, service centres with their on-call roster, product lines."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OnCallShift, ProductLine, ServiceCentre, User
from aftersales.accounts.queries import find_overlapping_shift


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class ShiftForm(forms.ModelForm):
    """Refuses a shift that overlaps another of the same person (the rule of ``add_shift``)."""

    class Meta:
        model = OnCallShift
        fields = ("centre", "user", "starts_at", "ends_at", "note")

    def clean(self):
        cleaned = super().clean()
        user, starts_at, ends_at = cleaned.get("user"), cleaned.get("starts_at"), cleaned.get("ends_at")
        if user and starts_at and ends_at and ends_at > starts_at:
            clash = find_overlapping_shift(
                user=user, starts_at=starts_at, ends_at=ends_at, exclude_pk=self.instance.pk
            )
            if clash is not None:
                raise forms.ValidationError(
                    _("%(user)s is already on duty from %(start)s to %(end)s (%(centre)s).")
                    % {
                        "user": user,
                        "start": f"{timezone.localtime(clash.starts_at):%Y-%m-%d %H:%M}",
                        "end": f"{timezone.localtime(clash.ends_at):%Y-%m-%d %H:%M}",
                        "centre": clash.centre,
                    }
                )
        return cleaned


class ShiftFormSet(forms.BaseInlineFormSet):
    """Two new rows of one form may overlap each other too: the database cannot see them yet."""

    def clean(self) -> None:
        super().clean()
        spans: list[tuple] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            if not all(data.get(key) for key in ("user", "starts_at", "ends_at")):
                continue
            for user, starts_at, ends_at in spans:
                if user == data["user"] and starts_at < data["ends_at"] and data["starts_at"] < ends_at:
                    raise forms.ValidationError(_("Two shifts of %(user)s overlap.") % {"user": user})
            spans.append((data["user"], data["starts_at"], data["ends_at"]))


class OnCallShiftInline(admin.TabularInline):
    model = OnCallShift
    form = ShiftForm
    formset = ShiftFormSet
    extra = 1
    fields = ("user", "starts_at", "ends_at", "note")
    autocomplete_fields = ("user",)
    ordering = ("-starts_at",)


@admin.register(ServiceCentre)
class ServiceCentreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "city", "covered_city_list", "is_rnd", "serves_uncovered_sites", "phone")
    list_filter = ("is_rnd", "serves_uncovered_sites", "product_lines")
    search_fields = ("code", "name", "city")
    filter_horizontal = ("product_lines",)
    inlines = [OnCallShiftInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # robot webhooks are HTTPS

    @admin.display(description=_("covered cities"))
    def covered_city_list(self, obj: ServiceCentre) -> str:
        return "、".join(obj.covered_cities)


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    form = ShiftForm
    list_display = ("centre", "user", "starts_at", "ends_at", "note")
    list_filter = ("centre",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "centre__name")
    list_select_related = ("centre", "user")
    autocomplete_fields = ("centre", "user")
    date_hierarchy = "starts_at"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "role", "centre", "phone", "email", "is_active", "is_staff")
    list_filter = ("role", "centre", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    list_select_related = ("centre",)
    autocomplete_fields = ("centre",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Service organisation"), {"fields": ("role", "centre", "phone", "language")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Service organisation"), {"fields": ("role", "centre", "phone", "language", "email")}),
    )

    @admin.display(description=_("name"), ordering="first_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()
