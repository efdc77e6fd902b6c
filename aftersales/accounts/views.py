"""Signing in safely: the lockout page, the client's address, and password reset by e-mail.

Failed sign-ins are counted by django-axes per account and address (settings:
``AXES_*``); a reset link is Django's token, bound to the current password and
to ``PASSWORD_RESET_TIMEOUT``, so it works once and expires.
"""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache


def client_ip_address(request: HttpRequest) -> str | None:
    """The address a sign-in came from, for counting failures per account and address.

    Behind ``AFTERSALES_PROXY_COUNT`` reverse proxies every request arrives from
    the proxy; the client is the entry that many places from the right of
    ``X-Forwarded-For`` (what the client wrote further left is not trusted).
    Without a proxy only the socket's address counts, so a forged header
    cannot dodge the lockout.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.AFTERSALES_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """Too many failed sign-ins for this account from this address: say for how long, and what to do."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }
    return render(request, "registration/locked_out.html", context, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail; the page never says whether the address is known."""

    template_name = "registration/reset_request.html"
    email_template_name = "registration/reset_email.txt"
    subject_template_name = "registration/reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_hours": _valid_hours()}

    def form_valid(self, form):
        # The link points at the configured address of the system, never at whatever Host the
        # request claimed.
        self.extra_email_context = {
            "site_url": settings.AFTERSALES["SITE_URL"].rstrip("/"),
            "vendor_name": settings.AFTERSALES["VENDOR_NAME"],
            "valid_hours": _valid_hours(),
        }
        return super().form_valid(form)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_sent.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_hours": _valid_hours()}


@method_decorator(never_cache, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"


def _valid_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
