"""The visits demo builds a visit in every state on top of the demo."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from aftersales.visits.demo import STORIES, build_demo
from aftersales.visits.models import Visit


@pytest.mark.django_db
def test_the_demo_gets_a_visit_in_every_state():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("demo", stdout=StringIO())

    summary = build_demo(now=timezone.now(), rng=random.Random(7))

    assert summary.startswith(f"{len(STORIES)} visits")
    statuses = set(Visit.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in Visit.Status}
    assert Visit.objects.filter(report__signed_at__isnull=False).exists()
    assert Visit.objects.filter(status="completed", report__signed_at__isnull=True).exists()
