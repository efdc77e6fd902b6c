"""The year-end demo builds on top of the demo."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from aftersales.reports.demo import build_demo
from aftersales.reports.models import YearEndReport


@pytest.mark.usefixtures("only_base_demo")
@pytest.mark.django_db
def test_the_demo_archives_last_years_reports_and_one_on_demand(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", stdout=StringIO())

    summary = build_demo(now=timezone.now(), rng=random.Random(1))

    assert "year-end reports archived" in summary
    automatic = YearEndReport.objects.filter(is_automatic=True)
    assert automatic.count() >= 2
    assert all(report.sent_at is not None or not report.recipients for report in automatic)
    on_demand = YearEndReport.objects.get(is_automatic=False)
    assert on_demand.summary["tickets"] > 0 and on_demand.generated_by.username == "manager"
    assert all(report.file.open("rb").read(4) == b"%PDF" for report in YearEndReport.objects.all())
