"""The OpenAPI schema, its documentation page (served from our own static files), and a
schemathesis run of every operation against the schema."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
_URL = re.compile(r"""(?:https?:)?//([^/"'\s)<>]+)""")


def test_the_schema_describes_every_endpoint(api, cast):
    response = api(cast.specialist).get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/tickets/",
        "/api/v1/tickets/{reference}/",
        "/api/v1/tickets/{reference}/replies/",
        "/api/v1/tickets/{reference}/transitions/",
        "/api/v1/units/{reference}/",
        "/api/v1/customers/",
        "/api/v1/contacts/",
        "/api/v1/calls/",
    } <= set(paths)
    assert "Error" in response.json()["components"]["schemas"]


def test_the_docs_page_loads_nothing_from_another_host(client, settings):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert f"{settings.STATIC_URL}drf_spectacular_sidecar/" in html
    hosts = {host for host in _URL.findall(html) if host not in ("testserver", "localhost", "127.0.0.1")}
    assert hosts == set()


def test_the_docs_pages_scripts_and_styles_are_our_static_files(client, settings):
    html = client.get("/api/v1/docs/").content.decode()
    assets = re.findall(r'<(?:script src|link rel="[a-z]+" href)="([^"]+)"', html)

    prefix = "/" + settings.STATIC_URL.lstrip("/")

    assert len(assets) >= 4  # the style sheet, the icon, the bundle and the preset
    for asset in assets:
        assert asset.startswith(prefix), asset
        assert finders.find(asset.removeprefix(prefix)), asset


@contextmanager
def _wsgi_app_inside_the_test_transaction():
    """Django's WSGI handler, minus the per-request connection closing (as Django's test client does),
    so requests run inside the test's transaction and see its data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _known_reference(cast, path: str) -> dict[str, str] | None:
    """Besides random ones, a reference that exists, so the operation gets past its 404."""
    if "{reference}" not in path:
        return None
    for prefix, value in (
        ("/api/v1/tickets/", cast.ticket1.number),
        ("/api/v1/units/", cast.unit1.serial),
        ("/api/v1/customers/", cast.first.code),
        ("/api/v1/contacts/", str(cast.caller.pk)),
    ):
        if path.startswith(prefix):
            return {"reference": value}
    return None


def run_schemathesis(cast, mode: GenerationMode) -> None:
    """Every operation of the schema, as the manager, with generated data (and, for detail
    operations, also an existing object): no 5xx, and every response as the schema says."""
    token = Token.objects.create(user=cast.manager)
    headers = {"Authorization": f"Token {token.key}"}
    with _wsgi_app_inside_the_test_transaction() as app:
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app, headers=headers)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 12
        for operation in operations:
            if mode == GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
                continue  # a path parameter is any text: nothing to get wrong
            known = _known_reference(cast, operation.path)
            for path_parameters in (None, known) if known else (None,):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

                @given(case=strategy)
                @settings(
                    max_examples=EXAMPLES_PER_OPERATION,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def exercise(case):
                    response = case.call(app=app, headers=headers)
                    case.validate_response(response, checks=CHECKS, headers=headers)

                exercise()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_holds_to_the_schema_and_never_fails_with_a_server_error(cast, mode):
    run_schemathesis(cast, mode)


@pytest.mark.postgres
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_holds_to_the_schema_on_postgresql(cast, mode):
    """PostgreSQL refuses values SQLite stores (odd time zone offsets, NUL, out-of-range numbers)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    run_schemathesis(cast, mode)
