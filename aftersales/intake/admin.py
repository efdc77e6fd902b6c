"""Admin for mail intake: the mailboxes to read, and the intake log (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aftersales.intake.models import InboundMessage, Mailbox


class MailboxForm(forms.ModelForm):
    """The password is never sent back to the browser; left blank it stays as it was."""

    password = forms.CharField(
        label=_("password"),
        widget=forms.PasswordInput(render_value=False),
        max_length=200,
        required=False,
        help_text=_("Leave blank to keep the current password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "host",
            "port",
            "use_tls",
            "username",
            "password",
            "folder",
            "processed_folder",
            "is_active",
        ]

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if password:
            return password
        if self.instance.pk and self.instance.password:
            return self.instance.password
        raise forms.ValidationError(_("Enter the mailbox password."))


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["name", "username", "host", "port", "use_tls", "folder", "is_active", "last_fetched_at"]
    list_filter = ["is_active"]
    readonly_fields = ["last_fetched_at", "last_error"]
    fields = [*MailboxForm.Meta.fields, "last_fetched_at", "last_error"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """The intake log: what arrived and what became of it. Messages change only through the
    intake services (the console's mail page processes them again)."""

    list_display = ["received_at", "sender", "subject", "status", "outcome", "ticket", "source"]
    list_filter = ["status", "outcome", "source", "mailbox"]
    search_fields = ["sender", "subject", "message_id", "sha256"]
    list_select_related = ["ticket"]
    exclude = ["raw", "html"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).defer("raw", "html")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
