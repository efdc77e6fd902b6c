"""One error shape for the whole API: ``{"error": {"code", "message", "fields"}}``.

Integrations (a PBX, a CRM, a monitoring system) branch on ``code`` and show
``message`` to a person, so every refusal has both, with the HTTP status that
says who must act: 400 the request is wrong, 401 who are you, 403 you may not,
404 no such thing (or not yours: the API never confirms another customer's
object exists), 405 wrong method, 409 the ticket moved on (stale version or a
move the workflow refuses), 413 too large, 415 not JSON. Domain errors carry
their own status (``core.errors``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from aftersales.core.errors import DomainError


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "too_large"


def error_body(code: str, message: str, fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON every error response carries."""
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def _messages(detail: Any) -> list[str] | dict[str, Any]:
    """DRF's nested error detail as plain strings, keeping the nesting of nested inputs."""
    if isinstance(detail, Mapping):
        return {str(key): _messages(value) for key, value in detail.items()}
    if isinstance(detail, Sequence) and not isinstance(detail, str):
        flat: list[str] = []
        for item in detail:
            value = _messages(item)
            if isinstance(value, list):
                flat.extend(value)
            else:
                return [value]  # a list of nested objects: keep it as it is
        return flat
    return [str(detail)]


def _first_message(fields: Mapping[str, Any]) -> str:
    for name, value in fields.items():
        while isinstance(value, Mapping) and value:
            value = next(iter(value.values()))
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0] if name == "non_field_errors" else f"{name}: {value[0]}"
    return gettext("The request is not valid.")


def _validation_response(detail: Any) -> tuple[str, str, dict[str, Any]]:
    if isinstance(detail, Mapping):
        fields = _messages(detail)
        assert isinstance(fields, dict)
        return "invalid", _first_message(fields), fields
    messages = _messages(detail)
    message = messages[0] if isinstance(messages, list) and messages else gettext("The request is not valid.")
    return "invalid", str(message), {}


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with domain and Django errors mapped and every body in the one shape.

    Anything not listed is a bug and stays a 500 (logged), never a silent 400.
    """
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(fields)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        code, message, fields = _validation_response(exc.detail)
    else:
        code, message, fields = _code_of(exc), str(exc.detail), {}
    response.data = error_body(code, message, fields)
    return response
