"""The jobs demo runs on top of the demo vendor and leaves one job of each kind in its state."""

from __future__ import annotations

import random

import pytest
from django.test import override_settings
from django.utils import timezone

from aftersales.demo.scenario import build_demo as build_vendor
from aftersales.jobs.demo import build_demo
from aftersales.jobs.models import InstallationJob, MigrationJob, TrainingSession
from aftersales.jobs.queries import average_score


@pytest.mark.usefixtures("only_base_demo")
@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_the_jobs_demo_adds_an_accepted_installation_a_scored_training_and_a_planned_migration(
    settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    build_vendor(now=now)

    summary = build_demo(now=now, rng=random.Random(1))

    installation = InstallationJob.objects.get()
    assert installation.is_accepted and all(line.unit.accepted_on for line in installation.lines.all())
    training = TrainingSession.objects.get()
    assert (
        training.status == "held" and average_score(training) is not None and training.materials.count() == 1
    )
    migration = MigrationJob.objects.get()
    assert migration.status == "agreed" and migration.window_starts_at > now
    assert installation.ticket.number in summary and migration.ticket.number in summary
