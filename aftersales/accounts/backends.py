"""Authentication backend that grants permissions from the user's role."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from aftersales.accounts.roles import Role, capabilities_of

PERMISSION_APP = "aftersales"


def _model_permissions(role: str) -> set[str]:
    """Django admin permissions that come with the role itself.

    An administrator configures everything in the admin (policy, calendars,
    users), so gets every model permission; leadership reads everything and
    changes nothing, so gets every *view* permission. Other roles work in the
    desk, not the admin, and get model permissions only through groups.
    """
    if role == Role.ADMIN:
        rows = Permission.objects.all()
    elif role == Role.LEADER:
        rows = Permission.objects.filter(codename__startswith="view_")
    else:
        return set()
    return {f"{app}.{codename}" for app, codename in rows.values_list("content_type__app_label", "codename")}


class RoleBackend(ModelBackend):
    """Django's model backend plus ``aftersales.<capability>`` from the role table.

    Per-user and group permissions still work for the admin; role capabilities
    are added on top so a role change takes effect without editing groups. The
    set is computed once per user object (one query for the group and user
    permissions as Django does, one more for administrators and leadership).
    """

    def get_all_permissions(self, user_obj, obj=None):  # type: ignore[override]
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_aftersales_perm_cache"):
            role_perms = {f"{PERMISSION_APP}.{cap}" for cap in capabilities_of(user_obj.role)}
            user_obj._aftersales_perm_cache = (
                role_perms | _model_permissions(user_obj.role) | super().get_all_permissions(user_obj)
            )
        return user_obj._aftersales_perm_cache
