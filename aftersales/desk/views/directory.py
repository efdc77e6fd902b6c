"""Directory pages of the console: a unit, a customer, the customer list, the on-call roster.

A customer (or unit) the reader may not see is a 404, not a 403: the console
does not confirm that another account manager's customer exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.accounts import services as people
from aftersales.accounts.models import OnCallShift
from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError, NotPermitted
from aftersales.customers.models import Customer
from aftersales.desk import directory_queries as directory
from aftersales.desk.directory_forms import ShiftForm
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.inspections.queries import customer_overdue_count
from aftersales.units.models import Unit


@require_GET
@staff_required
def unit_detail(request: HttpRequest, serial: str) -> HttpResponse:
    try:
        unit = directory.get_visible_unit(request.user, serial)
    except Unit.DoesNotExist as missing:
        raise Http404(_("No unit with this serial number.")) from missing
    page = directory.unit_page(request.user, unit)
    return render(request, "desk/directory/unit.html", {"nav": "customers", "page": page, "unit": unit})


@require_GET
@staff_required
def customer_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    page = directory.customer_list(request.user, search=search, page=request.GET.get("page"))
    return render(
        request,
        "desk/directory/customers.html",
        {"nav": "customers", "page": page, "customers": page.object_list, "search": search.strip()},
    )


@require_GET
@staff_required
def customer_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        customer = directory.get_visible_customer(request.user, code)
    except Customer.DoesNotExist as missing:
        raise Http404(_("No such customer.")) from missing
    page = directory.customer_page(request.user, customer)
    overdue = customer_overdue_count(customer.pk, today=local_date(timezone.now()))
    return render(
        request,
        "desk/directory/customer.html",
        {"nav": "customers", "page": page, "customer": customer, "overdue_inspections": overdue},
    )


def _roster_url(centre_code: str) -> str:
    return f"{reverse('desk:roster')}?centre={centre_code}"


@require_http_methods(["GET", "POST"])
@staff_required
def roster(request: HttpRequest) -> HttpResponse:
    """Who is on duty per centre; leads and managers add shifts here (POST)."""
    centres = directory.roster_centres()
    code = request.GET.get("centre", "")
    centre = next((centre for centre in centres if centre.code == code), None)
    if code and centre is None:
        raise Http404(_("No such service centre."))
    centre = centre or directory.default_roster_centre(request.user, centres)
    if centre is None:
        return render(request, "desk/directory/roster.html", {"nav": "roster", "page": None})
    form = None
    if directory.can_manage_roster(request.user, centre):
        form = ShiftForm(request.POST or None)
    if request.method == "POST":
        if form is None:
            return forbidden(request, _("You may not edit the roster of this centre."))
        if form.is_valid():
            try:
                people.add_shift(
                    centre=centre,
                    user=form.cleaned_data["user"],
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except NotPermitted as refused:
                return forbidden(request, refused.message)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Shift added."))
                return HttpResponseRedirect(_roster_url(centre.code))
    page = directory.roster_page(request.user, centre, centres)
    return render(request, "desk/directory/roster.html", {"nav": "roster", "page": page, "form": form})


@require_POST
@staff_required
def roster_remove_shift(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a future shift off the roster (a shift that has started stays as a record)."""
    try:
        shift = directory.get_roster_shift(pk)
    except OnCallShift.DoesNotExist as missing:
        raise Http404(_("No such shift.")) from missing
    try:
        people.remove_shift(shift=shift, actor=request.user, now=timezone.now())
    except NotPermitted as refused:
        return forbidden(request, refused.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Shift removed."))
    return HttpResponseRedirect(_roster_url(shift.centre.code))
