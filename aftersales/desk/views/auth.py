"""Signing in, and the rule that every console page is for vendor staff only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class DeskLoginView(LoginView):
    template_name = "desk/login.html"
    redirect_authenticated_user = True


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    """The console's 403 page: says why and where to go instead."""
    return render(request, "desk/forbidden.html", {"message": message}, status=403)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in vendor staff only: anonymous people sign in; customer users get 403.

    Customer users work in the customer portal, which shows only their own
    organisation; the console shows every customer's data.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_active or not user.is_vendor_staff:
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapper
