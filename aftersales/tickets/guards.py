"""Close guards: what other areas say must be settled before a ticket may close.

``tickets`` never imports the areas above it; an area registers a guard in its
``AppConfig.ready`` (the spares area: a loan still out). A guard returns the
reasons the ticket may not close yet, each a translated sentence naming the
record. Closing by hand with a reason that remains needs a manager's approval
(``grant_approval``) and an override reason, written on the timeline; the
follow-up and the automatic close never override.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aftersales.tickets.models import Ticket


@dataclass(frozen=True)
class CloseBlock:
    """One reason a ticket may not close yet: which guard, what record, what to tell the user."""

    guard: str
    reference: str
    message: str


CloseGuard = Callable[["Ticket"], list[CloseBlock]]

_GUARDS: dict[str, CloseGuard] = {}


def register_close_guard(name: str, guard: CloseGuard) -> None:
    """Register (or replace) the guard ``name``; called from an app's ``ready``."""
    _GUARDS[name] = guard


def unregister_close_guard(name: str) -> None:
    _GUARDS.pop(name, None)


def close_blocks(ticket: Ticket) -> list[CloseBlock]:
    """Every reason, across the registered guards, why ``ticket`` may not close now."""
    blocks: list[CloseBlock] = []
    for guard in _GUARDS.values():
        blocks.extend(guard(ticket))
    return blocks
