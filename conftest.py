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
