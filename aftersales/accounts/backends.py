"""Authentication backend that grants permissions from the user's role."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from aftersales.accounts.roles import capabilities_of

PERMISSION_APP = "aftersales"


class RoleBackend(ModelBackend):
    """Django's model backend plus ``aftersales.<capability>`` from the role table.

    Per-user and group permissions still work for the admin; role capabilities
    are added on top so a role change takes effect without editing groups.
    """

    def get_all_permissions(self, user_obj, obj=None):  # type: ignore[override]
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_aftersales_perm_cache"):
            role_perms = {f"{PERMISSION_APP}.{cap}" for cap in capabilities_of(user_obj.role)}
            user_obj._aftersales_perm_cache = role_perms | super().get_all_permissions(user_obj)
        return user_obj._aftersales_perm_cache
