"""The portal's downloads: per unit of the organisation, the packages it is entitled to, and bulletins.

A download names a unit and a package; anything but a package offered to one
of the user's own units is a 404. The file is checked against the SHA-256
computed on upload, the download logged (who, which unit, when, from where),
then streamed. The customer may record that they installed a release.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.portal.views import customer_view
from aftersales.releases import queries, services
from aftersales.releases.models import Installation


def _today():
    return local_date(timezone.now())


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@customer_view("GET")
def downloads(request: HttpRequest) -> HttpResponse:
    rows = queries.portal_downloads(request.user, on=_today())
    return render(request, "portal/releases/downloads.html", {"nav": "downloads", "rows": rows})


@customer_view("GET")
def package_download(request: HttpRequest, serial: str, package_id: int) -> HttpResponse:
    unit, package = queries.get_portal_offered_package(request.user, serial, package_id, on=_today())
    try:
        services.record_download(user=request.user, unit=unit, package=package, ip=_client_ip(request))
    except DomainError as error:
        return render(
            request,
            "portal/releases/downloads.html",
            {"nav": "downloads", "rows": [], "error": error.message},
            status=409,
        )
    response = FileResponse(
        package.file.open("rb"),
        as_attachment=True,
        filename=package.original_name,
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Checksum-SHA256"] = package.sha256
    return response


@customer_view("GET")
def package_documentation(request: HttpRequest, serial: str, package_id: int) -> HttpResponse:
    """The documentation of a release whose package the unit is offered (404 otherwise, or none)."""
    _unit, package = queries.get_portal_offered_package(request.user, serial, package_id, on=_today())
    release = package.release
    if not release.documentation:
        raise Http404(gettext("This release has no documentation."))
    response = FileResponse(
        release.documentation.open("rb"),
        as_attachment=True,
        filename=release.documentation_name or release.documentation.name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, no-store"
    return response


@customer_view("POST")
def package_installed(request: HttpRequest, serial: str, package_id: int) -> HttpResponse:
    unit, package = queries.get_portal_offered_package(request.user, serial, package_id, on=_today())
    try:
        services.record_installation(
            unit=unit, release=package.release, method=Installation.Method.CUSTOMER, by=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("Recorded: %(serial)s now runs %(version)s.")
            % {"serial": unit.serial, "version": package.release.version},
        )
    return redirect("portal:downloads")
