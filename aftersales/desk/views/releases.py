"""Desk pages of the releases area: releases and packages, bulletins, announcements, a unit's versions.

Every member of staff may read these pages; creating, uploading, publishing
and announcing need ``publish_releases`` (the services check it; the pages
only hide the buttons). Recording an install needs the capability the
service names.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.business_time import local_date
from aftersales.core.errors import DomainError
from aftersales.desk.views.auth import forbidden, staff_required
from aftersales.releases import queries, services
from aftersales.releases.forms import BulletinForm, InstallationForm, PackageForm, ReleaseForm
from aftersales.units.models import Unit

PUBLISH = "aftersales.publish_releases"


def _may_publish(request: HttpRequest) -> bool:
    return request.user.has_perm(PUBLISH)


def _today():
    return local_date(timezone.now())


@require_GET
@staff_required
def release_list(request: HttpRequest) -> HttpResponse:
    context = {
        "nav": "releases",
        "releases": list(queries.release_list()[:200]),
        "bulletins": list(queries.bulletin_list()[:100]),
        "may_publish": _may_publish(request),
    }
    return render(request, "desk/releases/list.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def release_new(request: HttpRequest) -> HttpResponse:
    if not _may_publish(request):
        return forbidden(request, gettext("You may not publish software releases or bulletins."))
    form = ReleaseForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                release = services.create_release(
                    by=request.user,
                    product_model=data["product_model"],
                    version=data["version"],
                    released_on=data["released_on"],
                    kind=data["kind"],
                    notes=data["notes"],
                    applies_to=data["applies_to"],
                    documentation=data["documentation"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, gettext("Release %(version)s created.") % {"version": release.version}
                )
                return redirect("desk:release_detail", release_id=release.pk)
        status = 400
    return render(
        request,
        "desk/releases/form.html",
        {"nav": "releases", "form": form, "kind": "release"},
        status=status,
    )


def _release_page(
    request: HttpRequest,
    release_id: int,
    *,
    package_form: PackageForm | None = None,
    install_form: InstallationForm | None = None,
    preview: bool = False,
    status: int = 200,
) -> HttpResponse:
    release = queries.get_release(release_id)
    standings = queries.release_breakdown(release, on=_today())
    context = {
        "nav": "releases",
        "release": release,
        "packages": list(release.packages.all()),
        "download_counts": queries.download_counts(release),
        "standings": standings,
        "entitled_count": sum(1 for s in standings if s.is_entitled),
        "not_entitled_count": sum(1 for s in standings if not s.is_entitled),
        "follow_up": queries.follow_up_table(release=release),
        "announcements": list(queries.announcements_of(release=release)),
        "events": list(release.events.all()),
        "may_publish": _may_publish(request),
        "package_form": package_form or PackageForm(),
        "install_form": install_form or InstallationForm(),
        "recipients": queries.announcement_recipients(release=release) if preview else None,
    }
    return render(request, "desk/releases/release.html", context, status=status)


@require_GET
@staff_required
def release_detail(request: HttpRequest, release_id: int) -> HttpResponse:
    return _release_page(request, release_id)


@require_POST
@staff_required
def release_add_package(request: HttpRequest, release_id: int) -> HttpResponse:
    release = queries.get_release(release_id)
    form = PackageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            package = services.add_package(
                release=release,
                by=request.user,
                file=form.cleaned_data["file"],
                required_feature=form.cleaned_data["required_feature"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return _release_page(request, release_id, package_form=form, status=error.status_code)
        messages.success(
            request,
            gettext("Package %(name)s stored, SHA-256 %(sha)s.")
            % {"name": package.original_name, "sha": package.sha256},
        )
        return redirect("desk:release_detail", release_id=release.pk)
    return _release_page(request, release_id, package_form=form, status=400)


@require_POST
@staff_required
def release_publish(request: HttpRequest, release_id: int) -> HttpResponse:
    release = queries.get_release(release_id)
    try:
        services.publish_release(release=release, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Release %(version)s published.") % {"version": release.version})
    return redirect("desk:release_detail", release_id=release.pk)


def _announce(request: HttpRequest, **subject) -> None:
    """Send the announcement of a release or a bulletin; the outcome is a message on the next page."""
    try:
        announcement = services.announce(by=request.user, **subject)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("Announced to %(count)s recipients.") % {"count": announcement.recipients.count()},
        )


@require_http_methods(["GET", "POST"])
@staff_required
def release_announce(request: HttpRequest, release_id: int) -> HttpResponse:
    """GET previews the recipients; POST sends."""
    if request.method == "GET":
        return _release_page(request, release_id, preview=True)
    release = queries.get_release(release_id)
    _announce(request, release=release)
    return redirect("desk:release_detail", release_id=release.pk)


@require_POST
@staff_required
def release_install(request: HttpRequest, release_id: int) -> HttpResponse:
    release = queries.get_release(release_id)
    form = InstallationForm(request.POST)
    if form.is_valid():
        unit = Unit.objects.filter(serial=form.cleaned_data["serial"].strip()).first()
        if unit is None:
            form.add_error("serial", gettext("No unit has this serial number."))
        else:
            try:
                services.record_installation(
                    unit=unit,
                    release=release,
                    method=form.cleaned_data["method"],
                    by=request.user,
                    reference=form.cleaned_data["reference"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
                return _release_page(request, release_id, install_form=form, status=error.status_code)
            messages.success(
                request,
                gettext("Recorded: %(serial)s now runs %(version)s.")
                % {"serial": unit.serial, "version": release.version},
            )
            return redirect("desk:release_detail", release_id=release.pk)
    return _release_page(request, release_id, install_form=form, status=400)


@require_GET
@staff_required
def release_package_download(request: HttpRequest, package_id: int) -> HttpResponse:
    package = queries.get_package(package_id)
    try:
        services.record_download(user=request.user, package=package, ip=request.META.get("REMOTE_ADDR"))
    except DomainError as error:
        if error.status_code == 403:
            return forbidden(request, error.message)
        messages.error(request, error.message)
        return redirect("desk:release_detail", release_id=package.release_id)
    response = FileResponse(
        package.file.open("rb"),
        as_attachment=True,
        filename=package.original_name,
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Checksum-SHA256"] = package.sha256
    return response


@require_GET
@staff_required
def release_documentation(request: HttpRequest, release_id: int) -> HttpResponse:
    release = queries.get_release(release_id)
    if not release.documentation:
        raise Http404(gettext("This release has no documentation."))
    return FileResponse(
        release.documentation.open("rb"),
        as_attachment=True,
        filename=release.documentation_name or release.documentation.name.rsplit("/", 1)[-1],
    )


@require_http_methods(["GET", "POST"])
@staff_required
def bulletin_new(request: HttpRequest) -> HttpResponse:
    if not _may_publish(request):
        return forbidden(request, gettext("You may not publish software releases or bulletins."))
    form = BulletinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                bulletin = services.create_bulletin(by=request.user, **data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, gettext("Bulletin created."))
                return redirect("desk:release_bulletin", bulletin_id=bulletin.pk)
        status = 400
    return render(
        request,
        "desk/releases/form.html",
        {"nav": "releases", "form": form, "kind": "bulletin"},
        status=status,
    )


def _bulletin_page(request: HttpRequest, bulletin_id: int, *, preview: bool = False) -> HttpResponse:
    bulletin = queries.get_bulletin(bulletin_id)
    context = {
        "nav": "releases",
        "bulletin": bulletin,
        "units": queries.bulletin_units(bulletin),
        "follow_up": queries.follow_up_table(bulletin=bulletin),
        "announcements": list(queries.announcements_of(bulletin=bulletin)),
        "events": list(bulletin.events.all()),
        "may_publish": _may_publish(request),
        "recipients": queries.announcement_recipients(bulletin=bulletin) if preview else None,
    }
    return render(request, "desk/releases/bulletin.html", context)


@require_GET
@staff_required
def bulletin_detail(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    return _bulletin_page(request, bulletin_id)


@require_http_methods(["GET", "POST"])
@staff_required
def bulletin_announce(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    if request.method == "GET":
        return _bulletin_page(request, bulletin_id, preview=True)
    bulletin = queries.get_bulletin(bulletin_id)
    _announce(request, bulletin=bulletin)
    return redirect("desk:release_bulletin", bulletin_id=bulletin.pk)


@require_GET
@staff_required
def unit_versions(request: HttpRequest, serial: str) -> HttpResponse:
    """A unit's version history, downloads, and every package of its model offered or refused (with why)."""
    unit = queries.get_unit_for_staff(serial)
    context = {
        "nav": "releases",
        "unit": unit,
        "installations": list(queries.unit_installations(unit)),
        "downloads": list(queries.unit_downloads(unit)[:100]),
        "offers": queries.unit_offers(unit, on=_today()),
    }
    return render(request, "desk/releases/unit.html", context)
