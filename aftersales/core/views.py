"""Health check and the front door."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 otherwise; for load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    """Customer users go to the portal; staff (and anyone not signed in) to the console."""
    user = request.user
    if user.is_authenticated and getattr(user, "is_customer_user", False):
        return HttpResponseRedirect(reverse("portal:home"))
    return HttpResponseRedirect(reverse("desk:queue"))
