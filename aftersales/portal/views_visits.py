"""Portal pages of visits: the organisation's visits with their service report PDFs, and the
customer's typed sign-off of a report not signed on site."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.portal.views import customer_view
from aftersales.visits import documents, forms, queries, services
from aftersales.visits.models import Visit

VISITS_SHOWN = 100


def _portal_visit_or_404(request: HttpRequest, visit_number: str) -> Visit:
    try:
        return queries.get_portal_visit(request.user, visit_number)
    except Visit.DoesNotExist:
        raise Http404(gettext("No such visit.")) from None


def _render_list(
    request: HttpRequest, *, sign_form=None, signing: str = "", error: str = "", status: int = 200
):
    today = local_date(timezone.now())
    visits = list(queries.portal_visits(request.user, today)[:VISITS_SHOWN])
    context = {
        "nav": "visits",
        "visits": visits,
        "sign_form": sign_form or forms.SignForm(prefix="sign", initial={"name": request.contact.name}),
        "signing": signing,
        "error": error,
    }
    return render(request, "portal/visits/list.html", context, status=status)


@customer_view("GET")
def visit_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


@customer_view("GET")
def visit_report_pdf(request: HttpRequest, visit_number: str) -> HttpResponse:
    """The service report PDF of a visit that left the site or is completed."""
    visit = _portal_visit_or_404(request, visit_number)
    if visit.status not in (Visit.Status.LEFT, Visit.Status.COMPLETED) or queries.report_of(visit) is None:
        raise Http404(gettext("This visit has no report yet."))
    language = documents.pdf_language(request.GET.get("language") or request.LANGUAGE_CODE)
    response = HttpResponse(
        documents.service_report_pdf(visit, language=language), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{visit.number}-{language}.pdf"'
    return response


@customer_view("POST")
def visit_sign(request: HttpRequest, visit_number: str) -> HttpResponse:
    """The customer confirms the report by typing their name (when it was not signed on site)."""
    visit = _portal_visit_or_404(request, visit_number)
    form = forms.SignForm(request.POST, prefix="sign")
    if not form.is_valid():
        return _render_list(request, sign_form=form, signing=visit.number, status=400)
    if not form.cleaned_data["typed_confirmation"]:
        form.add_error("typed_confirmation", gettext("Tick the box to confirm."))
        return _render_list(request, sign_form=form, signing=visit.number, status=400)
    try:
        services.sign_report(
            visit=visit, name=form.cleaned_data["name"], typed_confirmation=True, by=request.user
        )
    except DomainError as error:
        return _render_list(
            request, sign_form=form, signing=visit.number, error=error.message, status=error.status_code
        )
    messages.success(
        request,
        gettext("Thank you: the service report of %(number)s is confirmed.") % {"number": visit.number},
    )
    return redirect("/portal/visits/")
