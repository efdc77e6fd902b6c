"""The OpenAPI document: every operation lists the error responses it can give, in the one error shape.

Integrators generate clients from the schema, and the schemathesis run checks
the API against it, so the errors are part of the contract, not a surprise.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "The messages for each refused field, by field name.",
                    "additionalProperties": True,
                },
            },
        }
    },
}

_ALWAYS = {
    "400": "The request is not valid (a field, a query parameter, the JSON itself).",
    "401": "No credentials, or a bad token.",
    "403": "Signed in, but not allowed.",
    "405": "Method not allowed.",
}
_WITH_BODY = {
    "409": "The ticket changed since you read it (version), or the workflow refuses the move.",
    "413": "The request body is too large.",
    "415": "Send application/json.",
}
_DETAIL = {"404": "No such object, or not one you may see."}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: an ``Error`` component and the error responses."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            errors = dict(_ALWAYS)
            if method in ("post", "put", "patch"):
                errors.update(_WITH_BODY)
            if "{" in path:
                errors.update(_DETAIL)
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
