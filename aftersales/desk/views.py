"""Staff console pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/queue.html", {})


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "desk/queue.html", {})
