"""PDF documents (service reports, inspection reports, the year-end report) from templates.

WeasyPrint renders a Django template that extends ``pdf/base.html`` (the vendor's letterhead,
the bundled CJK font). Rendering never fetches anything over the network: the URL fetcher
serves only the app's own static files and ``data:`` URLs, whatever the document's text holds.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

STATIC_PREFIX = "static:"


class RefusedFetch(ValueError):
    """A document asked for something outside the app's own files."""


def _static_path(name: str) -> Path | None:
    name = unquote(name).lstrip("/")
    if not name or ".." in Path(name).parts:
        return None
    found = finders.find(name)
    return Path(found) if found else None


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AppFilesOnly(URLFetcher):
        """Answers ``static:NAME`` (a file found by the staticfiles finders) and ``data:`` only."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(STATIC_PREFIX):
                path = _static_path(urlsplit(url[len(STATIC_PREFIX) :]).path)
                if path is not None and path.is_file():
                    mime, _ = mimetypes.guess_type(path.name)
                    return URLFetcherResponse(
                        url,
                        body=path.read_bytes(),
                        headers={"Content-Type": mime or "application/octet-stream"},
                    )
            raise RefusedFetch(f"refused to fetch {url[:200]!r}: PDFs use only the app's own files")

    return AppFilesOnly


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """Render ``template_name`` (extending ``pdf/base.html``) to PDF bytes in ``language``."""
    from weasyprint import HTML

    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        html = render_to_string(
            template_name,
            {
                "vendor_name": settings.AFTERSALES["VENDOR_NAME"],
                "vendor_address": settings.AFTERSALES["VENDOR_ADDRESS"],
                "vendor_hotline": settings.AFTERSALES["VENDOR_HOTLINE"],
                **context,
            },
        )
    fetcher = _fetcher_class()()
    return HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=fetcher).write_pdf()
