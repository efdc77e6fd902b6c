"""The console's mail page (``/desk/mail/``): quarantined and held messages for specialists.

The raw message is only ever downloaded (``message/rfc822`` as an attachment),
never rendered: it is untrusted input.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from aftersales.accounts.roles import Capability
from aftersales.core.errors import DomainError
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.intake import queries
from aftersales.intake.models import InboundMessage
from aftersales.intake.services import reprocess_message


def _takes_reports(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(f"aftersales.{Capability.TAKE_REPORT}"):
            return forbidden(request, gettext("Your role does not take reports."))
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


@require_GET
@_takes_reports
def mail_review(request: HttpRequest) -> HttpResponse:
    context = {
        "nav": "mail",
        "attention": queries.messages_needing_attention(),
        "to_link": queries.tickets_to_link(),
        "recent": queries.recent_messages(),
    }
    return render(request, "intake/mail_review.html", context)


@require_GET
@_takes_reports
def download_raw(request: HttpRequest, message_id: int) -> HttpResponse:
    message = queries.raw_message(message_id)
    if message is None:
        raise Http404
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@_takes_reports
def process_again(request: HttpRequest, message_id: int) -> HttpResponse:
    message = InboundMessage.objects.filter(pk=message_id).only("id", "status").first()
    if message is None:
        raise Http404
    try:
        message = reprocess_message(message=message, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("Message #%(id)s processed again: %(outcome)s.")
            % {"id": message.pk, "outcome": message.get_outcome_display()},
        )
    return redirect("intake:review")
