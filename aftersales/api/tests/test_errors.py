"""Bad input is a JSON error with the right status, never a 500; tokens authenticate integrations."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aftersales.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def _post_raw(client, path: str, body: bytes, content_type: str = "application/json"):
    return client.generic("POST", path, body, content_type=content_type)


# --- authentication ----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_token_authenticates_an_integration(cast, api):
    response = api(cast.specialist).get("/api/v1/tickets/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_a_bad_token_is_a_401_that_asks_for_a_token(cast):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/tickets/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert _error(response)["code"] == "authentication_failed"


def test_no_credentials_is_a_401(cast, api):
    response = api(None).post("/api/v1/calls/", {"caller": "13800001234"})

    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_an_inactive_users_token_stops_working(cast, api):
    client = api(cast.specialist)
    cast.specialist.is_active = False
    cast.specialist.save(update_fields=["is_active"])

    assert client.get("/api/v1/tickets/").status_code == 401


def test_a_signed_in_session_works_for_the_pages(cast):
    client = APIClient()
    client.force_login(cast.customer1)

    response = client.get(f"/api/v1/tickets/{cast.ticket1.number}/")

    assert response.status_code == 200


def test_the_token_command_prints_the_same_token_until_rotated(cast, capsys):
    call_command("api_token", "specialist")
    first = capsys.readouterr().out.strip()
    call_command("api_token", "specialist")
    again = capsys.readouterr().out.strip()
    stored = Token.objects.get(user=cast.specialist).key
    call_command("api_token", "specialist", "--rotate")
    rotated = capsys.readouterr().out.strip()

    assert first == again == stored != rotated
    assert Token.objects.get(user=cast.specialist).key == rotated


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"caller": ',
        b"[1, 2, 3]",
        b'"13800001234"',
        b"null",
        b'{"caller": NaN}',
        b'{"caller": "\\ud800"}',
        b"[" * 100_000 + b"]" * 100_000,
        '{"caller": "张工"}'.encode("gb18030"),
        b"\xff\xfe\x00",
    ],
    ids=["truncated", "list", "string", "null", "nan", "lone-surrogate", "deep", "gbk", "binary"],
)
def test_malformed_json_is_a_400(cast, api, body):
    response = _post_raw(api(cast.specialist), "/api/v1/calls/", body)

    assert response.status_code == 400
    _error(response)


def test_a_charset_other_than_utf8_is_a_400(cast, api):
    body = '{"caller": "张工"}'.encode("gb18030")

    response = _post_raw(api(cast.specialist), "/api/v1/calls/", body, "application/json; charset=gb18030")

    assert response.status_code == 400


def test_a_body_that_is_not_json_is_a_415(cast, api):
    response = _post_raw(api(cast.specialist), "/api/v1/calls/", b"caller=1380000", "text/plain")

    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_a_method_the_route_does_not_take_is_a_405(cast, api):
    response = api(cast.specialist).delete(f"/api/v1/tickets/{cast.ticket1.pk}/")

    assert response.status_code == 405
    _error(response)


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"move": "accept", "version": 2**70}, "version"),
        ({"move": "accept", "version": "one"}, "version"),
        ({"move": "accept", "version": 1.5}, "version"),
        ({"move": ["accept"], "version": 1}, "move"),
        ({"move": "fly_away", "version": 1}, "move"),
        ({"move": "mark_duplicate", "version": 1, "duplicate_of": 2**80}, "duplicate_of"),
        ({"move": "mark_duplicate", "version": 1, "duplicate_of": {"id": 1}}, "duplicate_of"),
        ({"move": "confirm_fixed", "version": 1, "satisfaction": 10**30}, "satisfaction"),
    ],
)
def test_wrong_types_and_huge_numbers_are_a_400_naming_the_field(cast, api, payload, field):
    response = api(cast.manager).post(f"/api/v1/tickets/{cast.ticket1.pk}/transitions/", payload)

    assert response.status_code == 400
    assert field in _error(response)["fields"]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/tickets/{2**70}/",
        f"/api/v1/units/{2**70}/",
        f"/api/v1/customers/{2**70}/",
        "/api/v1/contacts/-1/",
        "/api/v1/tickets/%E2%80%AE/",
    ],
)
def test_impossible_ids_in_the_path_are_a_404(cast, api, path):
    response = api(cast.specialist).get(path)

    assert response.status_code == 404
    _error(response)


@pytest.mark.parametrize(
    "query",
    [
        {"customer": 2**70},
        {"customer": "bank-a"},
        {"status": "sleeping"},
        {"updated_since": "yesterday"},
        {"updated_since": "99999-01-01T00:00:00"},
        {"ordering": "title"},
        {"cursor": "not-base64!"},
        {"cursor": base64.b64encode(b"p=drop table&o=1").decode()},
        {"cursor": base64.b64encode(f"p={2**70}".encode()).decode()},
    ],
)
def test_bad_filters_and_cursors_are_a_400(cast, api, query):
    response = api(cast.specialist).get("/api/v1/tickets/", query)

    assert response.status_code == 400
    _error(response)


def test_a_forged_cursor_for_the_time_order_is_a_400(cast, api):
    cursor = base64.b64encode(b"p=not a time").decode()

    response = api(cast.specialist).get("/api/v1/tickets/", {"ordering": "reported_at", "cursor": cursor})

    assert response.status_code == 400


def test_a_title_longer_than_the_column_is_a_400_not_a_database_error(cast, api):
    response = api(cast.customer1).post(
        "/api/v1/tickets/",
        {"unit": cast.unit1.serial, "severity": "general", "title": "长" * 201, "description": "x"},
    )

    assert response.status_code == 400
    assert "title" in _error(response)["fields"]
    assert Ticket.objects.count() == 2


def test_a_nul_character_is_a_400(cast, api):
    response = api(cast.customer1).post(
        "/api/v1/tickets/",
        {"unit": cast.unit1.serial, "severity": "general", "title": "a\x00b", "description": "x"},
    )

    assert response.status_code == 400
    assert "title" in _error(response)["fields"]


@pytest.mark.parametrize(
    "moment", ["0380-11-05T02:13:45+20:18", "0001-01-01T00:00:00+23:00", "9999-12-31T23:59:59-23:00"]
)
def test_an_odd_offset_or_edge_year_in_a_filter_never_reaches_the_database_unconverted(cast, api, moment):
    _check_moment_filter(cast, api, moment)


@pytest.mark.postgres
@pytest.mark.parametrize("moment", ["0380-11-05T02:13:45+20:18", "0001-01-01T00:00:00+23:00"])
def test_an_odd_offset_in_a_filter_is_not_a_postgresql_error(cast, api, moment):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    _check_moment_filter(cast, api, moment)


def _check_moment_filter(cast, api, moment: str) -> None:
    response = api(cast.specialist).get("/api/v1/tickets/", {"updated_since": moment})

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "updated_since" in _error(response)["fields"]


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_an_unknown_api_path_is_a_json_404(cast, api, method):
    response = getattr(api(cast.specialist), method)("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_missing_trailing_slash_is_named_instead_of_redirected(cast, api):
    response = api(cast.specialist).post("/api/v1/calls", {"caller": "13800001234"})

    assert response.status_code == 404
    assert "/api/v1/calls/" in _error(response)["message"]
