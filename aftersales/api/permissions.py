"""Who may call the API at all; what each may see is the querysets' business (``api.queries``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsActiveUser(BasePermission):
    """Signed in (session or token) as an active user: vendor staff, or a customer user."""

    message = _("Sign in, or send an API token: Authorization: Token <key>.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class IsVendorStaff(IsActiveUser):
    """Vendor staff only: the phone system's screen pop, and staff corrections to tickets."""

    message = _("Only vendor staff may use this endpoint.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.is_vendor_staff
