"""Shared pytest set-up: Huey runs tasks inline, and nothing reaches the network."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _huey_immediate():
    """Tasks run inline in tests (periodic scheduling is tested by calling the services)."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Pages render without a collectstatic manifest (the manifest storage needs one)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs ~0.3 s a user; tests create hundreds. Production keeps Argon2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English unless they ask for Chinese (the product defaults to zh-hans)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """A transactional test flushes the tables after it runs, taking with them the rows the
    migrations seed (the letter's policy, the official calendars). Put them back for every
    transactional test, so test order never decides what a test sees."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or "transactional_db" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from aftersales.commitments.models import CommitmentRule, ServicePolicy
    from aftersales.commitments.policy_seed import seed_policy
    from aftersales.core.services import seed_calendar_from_package

    seed_policy(ServicePolicy, CommitmentRule)
    seed_calendar_from_package()


@pytest.fixture
def only_base_demo(monkeypatch):
    """The demo without the areas' own demos: for a test that adds one area's demo on top itself."""
    monkeypatch.setattr("aftersales.demo.scenario.AREA_DEMOS", ())
