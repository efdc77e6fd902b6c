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
class SubjectHooks:
    on_notice: Callable[[Any, str, list, datetime], None]
    on_clocks_changed: Callable[[int], None]


_REGISTRY: dict[str, SubjectHooks] = {}


def register(subject_type: str, *, on_notice, on_clocks_changed) -> None:
    """Declare the hooks for one subject type (idempotent: a re-register replaces)."""
    _REGISTRY[subject_type] = SubjectHooks(on_notice=on_notice, on_clocks_changed=on_clocks_changed)


def hooks_for(subject_type: str) -> SubjectHooks | None:
    return _REGISTRY.get(subject_type)
