"""The year-end report PDF holds the Chinese (or English) text with the CJK font embedded."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from aftersales.reports.tests.yearend_fixture import build_year
from aftersales.reports.yearend import year_end_figures
from aftersales.reports.yearend_pdf import render_year_end_pdf

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils missing"),
]

GENERATED = datetime(2027, 1, 4, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def poppler(tool: str, data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    args = [tool, "-layout", str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def render(customer, language: str) -> bytes:
    with translation.override(language):
        figures = year_end_figures(customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    return render_year_end_pdf(figures, language=language, generated_at=GENERATED)


def test_the_chinese_report_embeds_the_cjk_font_and_holds_the_chinese_text(tmp_path):
    year = build_year()
    data = render(year.bank, "zh-hans")

    fonts = poppler("pdffonts", data, tmp_path)
    assert "WenQuanYi" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip()), fonts
    text = poppler("pdftotext", data, tmp_path)
    for expected in (
        "重庆银行",
        "重庆银行万州分行",
        "电源模块损坏",
        "风扇转速",
        "SR-T3",
        "VS-2",
        "HT-EXT",
        "PSU-NEW",
    ):
        assert expected in text, expected
    assert "2026" in text and "2027-01-04" in text


def test_the_english_report_reads_in_english(tmp_path):
    year = build_year()
    data = render(year.bank, "en")

    text = poppler("pdftotext", data, tmp_path)
    assert "Year-end service report" in text
    assert "Late, customer told in advance" in text and "90 min late" in text and "18 min early" in text
    assert "Under contract" in text and "重庆银行" in text


def test_an_empty_year_still_renders(tmp_path):
    from aftersales.customers.tests.factories import CustomerFactory

    data = render(CustomerFactory(name="空白客户"), "zh-hans")

    assert "空白客户" in poppler("pdftotext", data, tmp_path)
