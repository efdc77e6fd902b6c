"""What commitments knows of the things its clocks measure: hooks the owners register.

``commitments`` sits below tickets, visits and repairs and never imports them.
Each owner registers, in its ``AppConfig.ready``, how to record a clock notice
on its own timeline and how to refresh its denormalised due fields; the sweep
calls these inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Notice:
    """One escalation notice of one clock: the level, who was told, and when."""

    clock: Any
    level: str
    recipients: list
    at: datetime


@dataclass(frozen=True)
class SubjectHooks:
    """Batch hooks: the sweep hands over all notices of a batch at once, so the owner
    can write its timeline events and refresh its due fields with a few queries."""

    on_notices: Callable[[list[Notice]], None]
    on_clocks_changed: Callable[[list[int]], None]


_REGISTRY: dict[str, SubjectHooks] = {}


def register(subject_type: str, *, on_notices, on_clocks_changed) -> None:
    """Declare the hooks for one subject type (idempotent: a re-register replaces)."""
    _REGISTRY[subject_type] = SubjectHooks(on_notices=on_notices, on_clocks_changed=on_clocks_changed)


def hooks_for(subject_type: str) -> SubjectHooks | None:
    return _REGISTRY.get(subject_type)
