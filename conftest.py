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
