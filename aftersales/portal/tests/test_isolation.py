"""Tenant isolation: a customer user reaches nothing of another organisation, by any portal URL.

The walk reads the URL patterns of the ``portal`` namespace from the resolver,
so a new portal page is covered without editing this file. Each URL parameter
is filled by its name with ``customer2``'s object; a parameter name this file
does not know fails the test, so that whoever adds it says here what it names.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.portal.tests.conftest import open_fault
from aftersales.tickets.models import Attachment, TicketEvent
from aftersales.units.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class PortalRoute:
    name: str
    parameters: tuple[str, ...]
    methods: frozenset[str]


def _walk(patterns, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found += _walk(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{prefix}{entry.name}", entry))
    return found


def portal_routes() -> list[PortalRoute]:
    """Every named URL of the ``portal`` namespace with its parameters and accepted methods."""
    _, resolver = get_resolver().namespace_dict["portal"]
    routes = []
    for name, pattern in _walk(resolver.url_patterns, "portal:"):
        parameters = tuple(pattern.pattern.regex.groupindex)
        methods = getattr(pattern.callback, "portal_methods", None)
        if methods is None:
            view_class = getattr(pattern.callback, "view_class", None)
            methods = frozenset(m.upper() for m in getattr(view_class, "http_method_names", ["get", "post"]))
        routes.append(PortalRoute(name=name, parameters=parameters, methods=frozenset(methods)))
    return routes


# Every URL parameter name of the portal, one a line (each area adds its own).
FOREIGN_PARAMETERS = [
    "number",
    "serial",
    "contract_id",
    "attachment_id",
    "package_id",
    "visit_number",
    "yearend_report_id",
    "job_number",
    "quote_number",
    "statement_number",
    "rma_number",
    "inspection_number",
]


def _parameter_values(cast, owner: int) -> dict[str, str | int]:
    """What each URL parameter names, taken from customer ``owner``'s objects."""
    values = {
        "number": getattr(cast, f"ticket{owner}").number,
        "serial": getattr(cast, f"unit{owner}").serial,
        "contract_id": getattr(cast, f"contract{owner}").pk,
        "attachment_id": getattr(cast, f"attachment{owner}").pk,
        "package_id": getattr(cast, f"package{owner}").pk,
        "visit_number": getattr(cast, f"visit{owner}").number,
        "yearend_report_id": getattr(cast, f"yearend_report{owner}").pk,
        "job_number": _job_ticket(cast, owner).number,
        "quote_number": getattr(cast, f"quote{owner}").number,
        "statement_number": getattr(cast, f"statement{owner}").number,
        "rma_number": getattr(cast, f"repair{owner}").number,
        "inspection_number": getattr(cast, f"inspection{owner}").number,
    }
    assert set(values) == set(FOREIGN_PARAMETERS)
    return values


def _job_ticket(cast, owner: int):
    """A training request (a job) of customer ``owner``, made on first use: job URLs name its ticket."""
    from aftersales.jobs import services as jobs

    if not hasattr(cast, f"job{owner}"):
        session = jobs.start_training(
            by=cast.specialist,
            request=jobs.JobRequest(
                customer=cast.first if owner == 1 else cast.second, title="运维培训", description="运维培训"
            ),
            topic="密码机日常运维",
            trainer=cast.engineer,
            starts_at=cast.ticket1.reported_at,
        )
        setattr(cast, f"job{owner}", session.ticket)
    return getattr(cast, f"job{owner}")


def _fill(route: PortalRoute, values: dict[str, str | int]) -> str:
    unknown = [name for name in route.parameters if name not in values]
    if unknown:
        pytest.fail(
            f"{route.name} has URL parameters {unknown} this test cannot fill: "
            "add what they name to _parameter_values()"
        )
    return reverse(route.name, kwargs={name: values[name] for name in route.parameters})


def _writes(cast) -> tuple[int, int, str, int]:
    other = cast.ticket2
    other.refresh_from_db()
    return (
        TicketEvent.objects.filter(ticket=other).count(),
        Attachment.objects.filter(ticket=other).count(),
        other.status,
        other.version,
    )


def test_the_walk_finds_the_portal_pages_with_object_parameters():
    with_parameters = {route.name for route in portal_routes() if route.parameters}

    assert {"portal:ticket", "portal:reply", "portal:follow_up", "portal:attachment", "portal:unit"} <= (
        with_parameters
    )


def test_every_portal_url_with_another_organisations_object_is_not_found(cast, portal_client):
    client = portal_client(cast.customer1)
    values = _parameter_values(cast, owner=2)
    before = _writes(cast)
    checked = []

    for route in portal_routes():
        if not route.parameters:
            continue
        url = _fill(route, values)
        if "GET" in route.methods:
            response = client.get(url)
            assert response.status_code in (403, 404), (route.name, "GET", response.status_code)
            checked.append((route.name, "GET"))
        if "POST" in route.methods:
            response = client.post(
                url,
                {
                    "reply-body": "x",
                    "followup-outcome": "fixed",
                    "followup-satisfaction": "5",
                    "followup-version": 1,
                },
            )
            assert response.status_code in (403, 404), (route.name, "POST", response.status_code)
            checked.append((route.name, "POST"))

    assert ("portal:ticket", "GET") in checked and ("portal:reply", "POST") in checked
    assert _writes(cast) == before


@pytest.mark.parametrize("foreign", FOREIGN_PARAMETERS)
def test_one_foreign_parameter_among_own_ones_is_not_found(cast, portal_client, foreign):
    """Own ticket with another organisation's file id, and so on: every parameter is checked."""
    client = portal_client(cast.customer1)
    own, other = _parameter_values(cast, owner=1), _parameter_values(cast, owner=2)
    mixed = {**own, foreign: other[foreign]}

    for route in portal_routes():
        if foreign not in route.parameters or "GET" not in route.methods:
            continue
        response = client.get(_fill(route, mixed))
        assert response.status_code in (403, 404), (route.name, foreign, response.status_code)


def test_every_portal_url_with_own_objects_answers(cast, portal_client):
    """The same walk with customer1's own objects: the pages work, so the 404s above mean something."""
    client = portal_client(cast.customer1)
    values = _parameter_values(cast, owner=1)

    for route in portal_routes():
        if route.parameters and "GET" in route.methods:
            response = client.get(_fill(route, values))
            assert response.status_code == 200, (route.name, response.status_code)


def test_pages_without_parameters_never_show_another_organisations_records(cast, portal_client):
    client = portal_client(cast.customer1)
    foreign = [cast.ticket2.number, cast.unit2.serial, cast.contract2.number, cast.second.name, "log2.txt"]
    foreign.append(cast.inspection2.number)
    own_seen = set()

    for route in portal_routes():
        if route.parameters or "GET" not in route.methods:
            continue
        response = client.get(reverse(route.name))
        text = response.content.decode()
        for value in foreign:
            assert value not in text, (route.name, value)
        own_seen |= {v for v in (cast.ticket1.number, cast.unit1.serial, cast.contract1.number) if v in text}

    assert own_seen == {cast.ticket1.number, cast.unit1.serial, cast.contract1.number}


def test_a_head_office_user_sees_its_branches_and_a_branch_user_only_its_own(cast, portal_client):
    head_office = CustomerFactory(code="hq", name="某银行总行")
    branch = CustomerFactory(code="hq-cq", name="某银行重庆分行", parent=head_office)
    people = {}
    tickets = {}
    for key, customer in (("hq", head_office), ("branch", branch)):
        user = UserFactory(username=f"{key}-user", role=Role.CUSTOMER)
        contact = ContactFactory(customer=customer, user=user)
        unit = UnitFactory(customer=customer, site=SiteFactory(customer=customer, city="重庆"))
        people[key] = user
        tickets[key] = open_fault(by=cast.specialist, customer=customer, unit=unit, reporter=contact)

    head = portal_client(people["hq"])
    assert head.get(reverse("portal:ticket", args=[tickets["branch"].number])).status_code == 200
    assert head.get(reverse("portal:unit", args=[tickets["branch"].unit.serial])).status_code == 200
    head.logout()

    local = portal_client(people["branch"])
    assert local.get(reverse("portal:ticket", args=[tickets["branch"].number])).status_code == 200
    assert local.get(reverse("portal:ticket", args=[tickets["hq"].number])).status_code == 404
    assert local.get(reverse("portal:unit", args=[tickets["hq"].unit.serial])).status_code == 404
    assert tickets["hq"].number not in local.get(reverse("portal:tickets")).content.decode()


def test_staff_going_to_the_portal_are_sent_to_the_desk(cast, portal_client):
    response = portal_client(cast.engineer).get(reverse("portal:ticket", args=[cast.ticket1.number]))

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:queue")


def test_a_customer_user_going_to_the_desk_is_refused_there(cast, portal_client):
    assert portal_client(cast.customer1).get(reverse("desk:queue")).status_code == 403


def test_anonymous_visitors_sign_in_first(client, cast):
    url = reverse("portal:ticket", args=[cast.ticket1.number])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login") + "?next=")


def test_a_customer_login_without_an_organisation_is_told_why(db, portal_client):
    orphan = UserFactory(username="orphan", role=Role.CUSTOMER)

    response = portal_client(orphan).get(reverse("portal:home"))

    assert response.status_code == 403
    assert "not linked to an organisation" in response.content.decode()
