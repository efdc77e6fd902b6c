"""Tenant isolation: every ``api`` route, walked as ``customer1`` with ``customer2``'s objects.

The routes are read from the URL configuration, not listed here: a route
added tomorrow is walked by this test without editing it. Each route's
object comes from its view's own queryset model; each path parameter is
filled with ``customer2``'s object (by id and by every unique text key: a
ticket's number, a unit's serial, a customer's code), and every method the
route accepts must answer 403 or 404 and change nothing of ``customer2``'s.
Routes without path parameters must not list ``customer2``'s objects, and
writes to them must neither succeed nor touch ``customer2``'s data.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from aftersales.customers.models import Customer
from aftersales.fees.tests.factories import issued_quote
from aftersales.releases.tests.factories import ReleaseFactory, ReleasePackageFactory
from aftersales.tickets import services
from aftersales.tickets.models import Attachment, Ticket, TicketEvent
from aftersales.visits.models import VisitKind
from aftersales.visits.services import schedule_visit
from aftersales.visits.tests.factories import dispatched_visit

pytestmark = pytest.mark.django_db

SAFE_STATUSES = {403, 404}
# The schema, its page and the JSON 404 for unknown paths serve no customer's data.
ROUTES_WITHOUT_DATA = {"schema", "docs", "unknown"}
# Vendor records that belong to no customer, for staff only: walked with any object, always refused.
STAFF_ONLY_ROUTES = {"release-detail"}


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]
    view_class: type
    methods: tuple[str, ...]
    initkwargs: dict


def _patterns(resolver: URLResolver):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        elif isinstance(entry, URLPattern):
            yield entry


def api_routes() -> list[Route]:
    """Every named route under the ``api`` namespace, with the HTTP methods its view answers."""
    _prefix, resolver = get_resolver().namespace_dict["api"]
    routes = []
    for pattern in _patterns(resolver):
        if pattern.name in ROUTES_WITHOUT_DATA:
            continue
        callback = pattern.callback
        view_class = callback.cls
        actions = getattr(callback, "actions", None)
        answered = (
            actions
            if actions is not None
            else [m for m in view_class.http_method_names if hasattr(view_class, m)]
        )
        methods = tuple(m for m in answered if m not in ("head", "options"))  # HEAD is GET without a body
        routes.append(
            Route(
                name=pattern.name,
                kwargs=tuple(pattern.pattern.regex.groupindex),
                view_class=view_class,
                methods=methods,
                initkwargs=getattr(callback, "initkwargs", {}),
            )
        )
    return routes


def _route_model(route: Route, user) -> type[models.Model] | None:
    """The model of the route's own queryset, asked of the view as the request would build it."""
    view = route.view_class(**route.initkwargs)
    if not hasattr(view, "get_queryset"):
        return None
    view.request = Request(APIRequestFactory().get("/"))
    view.request.user = user
    view.format_kwarg = None
    view.kwargs = {}
    view.action = "list"
    try:
        return view.get_queryset().model
    except AssertionError:  # a plain APIView without a queryset
        return None


def owned_by(model: type[models.Model], customer: Customer) -> models.QuerySet:
    """The objects of ``model`` that belong to ``customer``: directly, or through one foreign key."""
    if model is Customer:
        return Customer.objects.filter(pk=customer.pk)
    foreign = [f for f in model._meta.get_fields() if f.many_to_one and f.related_model is not None]
    for field in foreign:
        if field.related_model is Customer:
            return model.objects.filter(**{field.name: customer})
    for field in foreign:
        for inner in field.related_model._meta.get_fields():
            if inner.many_to_one and inner.related_model is Customer:
                return model.objects.filter(**{f"{field.name}__{inner.name}": customer})
    return model.objects.none()


def lookup_values(obj: models.Model) -> list[str]:
    """The object's id and every unique text key it can be named by."""
    values = [str(obj.pk)]
    for field in obj._meta.concrete_fields:
        if field.unique and isinstance(field, models.CharField | models.SlugField) and not field.primary_key:
            values.append(str(getattr(obj, field.name)))
    return values


def snapshot(customer: Customer) -> dict:
    """What a leaked write would change: ``customer``'s tickets, their timelines and files, its records."""
    tickets = Ticket.objects.filter(customer=customer)
    return {
        "tickets": sorted(tickets.values_list("id", "version", "status", "updated_at", "assignee_id")),
        "events": TicketEvent.objects.filter(ticket__customer=customer).count(),
        "attachments": Attachment.objects.filter(ticket__customer=customer).count(),
        "customer": Customer.objects.filter(pk=customer.pk).values_list("updated_at", flat=True).get(),
        "units": sorted(customer.units.values_list("id", "updated_at")),
        "contacts": sorted(customer.contacts.values_list("id", "updated_at")),
    }


def write_body(world) -> dict:
    """A body naming ``customer2``'s objects in every way a write could take them, and valid moves."""
    return {
        "version": world.ticket2.version,
        "move": "cancel",
        "reason": "cross-tenant probe",
        "body": "cross-tenant probe",
        "title": "cross-tenant probe",
        "description": "cross-tenant probe",
        "kind": "fault",
        "severity": "severe",
        "unit": world.unit2.serial,
        "onsite_contact": world.contact2.pk,
        "duplicate_of": world.ticket2.number,
        "caller": world.contact2.mobile,
    }


@pytest.fixture
def world(cast):
    """customer2's ticket carries a reply and a file, so routes over timelines and files have data."""
    services.reply_to_customer(ticket=cast.ticket2, by=cast.specialist, body="请提供日志")
    services.add_customer_message(
        ticket=cast.ticket2,
        by=cast.customer2,
        body="日志见附件",
        channel="api",
        attachments=[services.IncomingFile(name="log.txt", content_type="text/plain", content=b"log")],
    )
    _lend_a_spare(cast.ticket2, by=cast.manager)
    dispatched_visit(ticket=cast.ticket2, engineer=cast.engineer, dispatcher=cast.lead)
    issued_quote(customer=cast.first, by=cast.specialist)
    issued_quote(customer=cast.second, by=cast.specialist)
    from aftersales.repairs.services import open_repair

    for ticket in (cast.ticket1, cast.ticket2):
        open_repair(ticket=ticket, by=cast.specialist, fault="返厂维修")
    cast.ticket2.refresh_from_db()
    ReleasePackageFactory(release=ReleaseFactory(product_model=cast.unit2.product_model, applies_to=""))
    _jobs_of(cast, cast.second)
    # An inspection visit of customer2's, for the inspection routes.
    schedule_visit(
        customer=cast.second,
        kind=VisitKind.INSPECTION,
        planned_start=timezone.now(),
        purpose="季度巡检",
        by=cast.lead,
        units=[cast.unit2],
    )
    return cast


def _lend_a_spare(ticket, *, by) -> None:
    """customer2 has a spare unit on loan (``/loans/``)."""
    from datetime import timedelta

    from django.utils import timezone

    from aftersales.core.business_time import local_date
    from aftersales.spares import services as spares

    spare = spares.add_spare_unit(
        centre=ticket.centre, product_model=ticket.unit.product_model, serial=f"SP-{ticket.number}", by=by
    )
    spares.lend_unit(
        ticket=ticket,
        spare_unit=spare,
        by=by,
        expected_return_on=local_date(timezone.now()) + timedelta(days=7),
    )


def _jobs_of(cast, customer) -> None:
    """One installation, training and migration of ``customer``, for the jobs routes to walk."""
    from aftersales.jobs import services as jobs

    def request():
        return jobs.JobRequest(customer=customer, title="job probe", description="job probe")

    jobs.start_installation(by=cast.specialist, request=request())
    jobs.start_training(
        by=cast.specialist, request=request(), topic="probe", trainer=cast.engineer, starts_at=timezone.now()
    )
    jobs.start_migration(by=cast.specialist, request=request(), scope="probe")


def test_the_walk_finds_the_routes_it_must_cover():
    names = {route.name for route in api_routes()}

    assert {
        "ticket-list",
        "ticket-detail",
        "ticket-transitions",
        "ticket-replies",
        "unit-detail",
        "calls",
    } <= names


def test_every_detail_route_refuses_customer1_with_customer2s_objects(world, api):
    client = api(world.customer1)
    body = write_body(world)
    before = snapshot(world.second)
    checked = 0
    for route in api_routes():
        if not route.kwargs:
            continue
        model = _route_model(route, world.specialist)
        assert model is not None, f"{route.name}: cannot tell which objects the route serves"
        obj = (
            model.objects.first()
            if route.name in STAFF_ONLY_ROUTES
            else owned_by(model, world.second).first()
        )
        assert obj is not None, f"{route.name}: give customer2 a {model.__name__} in the world fixture"
        assert len(route.kwargs) == 1, f"{route.name}: teach the walk to fill {route.kwargs}"
        for value in lookup_values(obj):
            path = reverse(f"api:{route.name}", kwargs={route.kwargs[0]: value})
            for method in route.methods:
                response = getattr(client, method)(path, body if method != "get" else None)
                assert response.status_code in SAFE_STATUSES, (method, path, response.status_code)
                checked += 1
        assert snapshot(world.second) == before, route.name

    assert checked >= 10


def test_routes_without_parameters_never_list_or_touch_customer2s_objects(world, api):
    client = api(world.customer1)
    body = write_body(world)
    before = snapshot(world.second)
    for route in api_routes():
        if route.kwargs:
            continue
        path = reverse(f"api:{route.name}")
        model = _route_model(route, world.specialist)
        for method in route.methods:
            if method == "get":
                response = client.get(path)
                assert response.status_code in {200, *SAFE_STATUSES}, (path, response.status_code)
                if response.status_code == 200 and model is not None:
                    theirs = set(owned_by(model, world.second).values_list("pk", flat=True))
                    assert theirs, f"{path}: give customer2 a {model.__name__} in the world fixture"
                    filtered = client.get(path, {"customer": world.second.pk}).json()
                    assert not theirs & {*_ids(response.json()), *_ids(filtered)}, path
            else:
                response = getattr(client, method)(path, body)
                assert response.status_code in {400, *SAFE_STATUSES}, (method, path, response.status_code)
            assert snapshot(world.second) == before, (method, path)


def _ids(page) -> list[int]:
    return [row["id"] for row in page.get("results", [])] if isinstance(page, dict) else []


def test_customer1_may_not_write_to_its_own_ticket_about_customer2s_objects(world, api):
    response = api(world.customer1).post(
        f"/api/v1/tickets/{world.ticket1.pk}/transitions/",
        {"move": "mark_duplicate", "version": world.ticket1.version, "duplicate_of": world.ticket2.number},
    )

    assert response.status_code == 400
    assert "duplicate_of" in response.json()["error"]["fields"]


def test_customer1_may_not_name_customer2s_contact_as_onsite_contact(world, api):
    response = api(world.customer1).post(
        "/api/v1/tickets/",
        {
            "unit": world.unit1.serial,
            "severity": "general",
            "title": "t",
            "description": "d",
            "onsite_contact": world.contact2.pk,
        },
    )

    assert response.status_code == 400
    assert "onsite_contact" in response.json()["error"]["fields"]
