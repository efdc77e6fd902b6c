"""Admin: the outbox is evidence of what was sent; staff see failures and send them again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import retry_messages


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "kind",
        "addressee",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("subject", "address", "reference", "message_id", "recipient__username")
    list_select_related = ("recipient", "centre")
    date_hierarchy = "created_at"
    actions = ["retry"]

    def get_readonly_fields(self, request: HttpRequest, obj: OutboxMessage | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("to"))
    def addressee(self, obj: OutboxMessage) -> str:
        target = obj.centre or obj.recipient
        if target and obj.address:
            return f"{target} ({obj.address})"
        return str(target or obj.address)

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Send again at the next delivery pass"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = retry_messages(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
