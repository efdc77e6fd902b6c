"""PDFs embed the bundled CJK font, hold the Chinese text, and never fetch from outside the app."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.template import engines

from aftersales.core import pdf

needs_poppler = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils missing")


def pdf_fonts(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def probe_template(monkeypatch):
    """A document extending the letterhead whose body is the context's ``body`` HTML."""
    source = '{% extends "pdf/base.html" %}{% block content %}{{ body|safe }}{% endblock %}'
    template = engines["django"].from_string(source)
    monkeypatch.setattr(pdf, "render_to_string", lambda name, context: template.render(context))


@needs_poppler
def test_a_pdf_embeds_the_cjk_font_and_holds_the_chinese_text(probe_template, tmp_path):
    data = pdf.render_pdf(
        "any", {"body": "<h1>服务报告</h1><p>故障已排除，设备运行正常。</p>"}, language="zh-hans"
    )

    fonts = pdf_fonts(data, tmp_path)
    assert "WenQuanYi" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip()), fonts
    text = pdf_text(data, tmp_path)
    assert "故障已排除" in text and "服务报告" in text and "江南科友" in text


def test_rendering_fetches_nothing_outside_the_apps_own_files(probe_template, monkeypatch):
    asked: list[str] = []
    real_fetch = pdf._fetcher_class()

    class Recording(real_fetch):
        def fetch(self, url, headers=None):
            asked.append(url)
            try:
                response = super().fetch(url, headers)
            except pdf.RefusedFetch:
                asked.append("refused")
                raise
            asked.append("served")
            return response

    monkeypatch.setattr(pdf, "_fetcher_class", lambda: Recording)
    body = (
        '<img src="http://127.0.0.1:9/x.png"><img src="file:///etc/passwd">'
        '<link rel="stylesheet" href="https://cdn.example.com/a.css"><img src="static:../../settings.py">'
    )
    pdf.render_pdf("any", {"body": body})

    outside = [
        url for url in asked if url not in ("refused", "served") and not url.startswith("static:fonts/")
    ]
    assert sorted(outside) == sorted(
        [
            "http://127.0.0.1:9/x.png",
            "file:///etc/passwd",
            "https://cdn.example.com/a.css",
            "static:../../settings.py",
        ]
    )
    # Each outside address was refused; only the bundled font was served.
    for url in outside:
        assert asked[asked.index(url) + 1] == "refused"
    assert "served" in asked
