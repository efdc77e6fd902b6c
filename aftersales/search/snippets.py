"""Result snippets: the text around the first matched word, with the matched words marked.

Everything the ticket says is escaped first; only the ``<mark>`` tags are
markup, so a ticket's text can never inject HTML into the results page.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SNIPPET_BEFORE = 40
SNIPPET_CHARS = 160


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    """Longest words first, so 服务器 is marked whole rather than as 服务 + 器."""
    distinct = sorted({term for term in terms if term}, key=len, reverse=True)
    if not distinct:
        return None
    return re.compile("|".join(re.escape(term) for term in distinct), re.IGNORECASE)


def _marked(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    if pattern is None:
        return escape(text)
    parts = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append("<mark>" + escape(match.group()) + "</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every piece of the text was escaped above


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a term marked."""
    return _marked(text or "", _pattern(terms))


def snippet(text: str, terms: list[str]) -> SafeString:
    """About ``SNIPPET_CHARS`` characters of ``text`` from a little before its first match."""
    text = " ".join((text or "").split())
    pattern = _pattern(terms)
    first = pattern.search(text) if pattern is not None else None
    start = max(0, first.start() - SNIPPET_BEFORE) if first is not None else 0
    end = start + SNIPPET_CHARS
    body = _marked(text[start:end], pattern)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + body + suffix)  # body is escaped; the ellipses are text
