"""The JSON the API accepts: UTF-8, bounded in size and depth, text the database can store.

DRF's own parser turns most bad input into a 400 but not all of it: an
unknown charset label, nesting deep enough to exhaust the recursion limit and
lone surrogates (valid JSON escapes that no UTF-8 database column takes) would
reach the view or the database and end in a 500. Here they are refused up
front, before any view code runs.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from aftersales.api.errors import PayloadTooLarge


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are JavaScript, not JSON; no field of ours takes them."""
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    """``application/json`` in UTF-8 (no other charset), at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes."""

    def parse(self, stream, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(
                gettext("The request body is larger than %(limit)s bytes.") % {"limit": limit}
            )
        charset = ((parser_context or {}).get("encoding") or "utf-8").lower().replace("_", "-")
        if charset not in ("utf-8", "utf8"):
            raise ParseError(gettext("Send JSON encoded as UTF-8."), code="parse_error")
        try:
            text = raw.decode("utf-8")
            data = json.loads(text, parse_constant=_refuse_constant)
            # A lone surrogate ("\ud800") parses but cannot be stored; this finds any, at any depth.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError) as exc:
            raise ParseError(
                gettext("The body is not valid UTF-8 JSON: %(error)s") % {"error": exc}, code="parse_error"
            ) from exc
        return data
