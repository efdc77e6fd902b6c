"""The person's inbox: the notices addressed to them (warnings, escalations, assignments)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from aftersales.desk.queries import INBOX_LIMIT, inbox_messages, parse_id
from aftersales.desk.services import mark_notices_read
from aftersales.desk.views.auth import staff_required


@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    context = {"nav": "inbox", "notices": inbox_messages(request.user), "limit": INBOX_LIMIT}
    return render(request, "desk/inbox.html", context)


@require_POST
@staff_required
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notice (``id``) or all of them read."""
    notice_id = parse_id(request.POST.get("id"))
    mark_notices_read(user=request.user, message_ids=[notice_id] if notice_id else None)
    return redirect("desk:inbox")
