"""What fees knows of the things its quotes are for: hooks the owners register.

``fees`` never imports repairs or visits. An owner (e.g. repairs, subject type ``"repair"``)
registers, in its ``AppConfig.ready``, a callable that ``record_customer_decision`` calls with the
quote inside the decision's transaction, so the owner resumes or closes its work in the same
commit. An exception raised by the hook rolls the decision back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QuoteHooks:
    on_decided: Callable[[Any], None] | None = None
    on_completed: Callable[[Any], None] | None = None


_REGISTRY: dict[str, QuoteHooks] = {}


def register(subject_type: str, *, on_decided=None, on_completed=None) -> None:
    """Declare the hooks for one subject type (idempotent: a re-register replaces)."""
    _REGISTRY[subject_type] = QuoteHooks(on_decided=on_decided, on_completed=on_completed)


def unregister(subject_type: str) -> None:
    _REGISTRY.pop(subject_type, None)


def hooks_for(subject_type: str) -> QuoteHooks | None:
    return _REGISTRY.get(subject_type) if subject_type else None
