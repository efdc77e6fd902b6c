"""The inspection demo runs on top of the demo and leaves one visit done and one overdue."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from aftersales.core.business_time import local_date
from aftersales.inspections.demo import build_demo
from aftersales.inspections.models import InspectionPlan, VisitChecklist
from aftersales.inspections.queries import overdue_visits

pytestmark = pytest.mark.django_db


def test_the_inspection_demo_builds_on_a_small_cast(cast):
    now = timezone.now()

    summary = build_demo(now=now, rng=random.Random(7))

    assert "2 plans" in summary
    done = VisitChecklist.objects.get(completed_at__isnull=False)
    assert done.visit.checklist_results.filter(ticket__isnull=False).count() == 1
    assert overdue_visits(today=local_date(now)).count() == 1


@pytest.mark.usefixtures("only_base_demo")
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_the_demo_adds_plans_a_done_visit_and_an_overdue_one():
    from io import StringIO

    call_command("demo", stdout=StringIO())
    now = timezone.now()

    summary = build_demo(now=now, rng=random.Random(7))

    assert summary.startswith("inspections: 2 templates, 2 plans")
    assert InspectionPlan.objects.count() == 2
    done = VisitChecklist.objects.get(completed_at__isnull=False)
    assert done.visit.checklist_results.filter(ticket__isnull=False).count() == 1
    assert done.visit.checklist_results.exclude(photo="").count() == 1
    assert overdue_visits(today=local_date(now)).count() == 1
