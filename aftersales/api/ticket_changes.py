"""From an API request to the ticket services: one service per move, one per kind of correction.

The services check the workflow table, the caller's capability and the
ticket ``version``; nothing here decides whether a change is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from aftersales.accounts.models import User
from aftersales.core.errors import InvalidInput
from aftersales.tickets import services
from aftersales.tickets.models import Ticket

MoveService = Callable[..., Ticket]


def _follow_up(is_fixed: bool) -> MoveService:
    def record(*, ticket: Ticket, by: User, expected_version: int, **inputs: Any) -> Ticket:
        channel = inputs.pop("channel", None)
        return services.record_follow_up(
            ticket=ticket,
            by=by,
            is_fixed=is_fixed,
            expected_version=expected_version,
            **({"channel": channel} if channel else {}),
            **inputs,
        )

    return record


def _mark_duplicate(*, ticket: Ticket, by: User, expected_version: int, **inputs: Any) -> Ticket:
    original = inputs.get("duplicate_of")
    if original is None:
        raise InvalidInput(gettext("Name the original ticket (duplicate_of)."))
    return services.cancel_ticket(
        ticket=ticket,
        by=by,
        duplicate_of=original,
        reason=inputs.get("reason", ""),
        expected_version=expected_version,
    )


def _with_text(service: MoveService, name: str) -> MoveService:
    """Services whose text input is required pass "" on, so the service says what is missing."""

    def call(*, ticket: Ticket, by: User, expected_version: int, **inputs: Any) -> Ticket:
        return service(
            ticket=ticket, by=by, expected_version=expected_version, **{name: inputs.get(name, "")}
        )

    return call


MOVE_SERVICES: dict[str, MoveService] = {
    "accept": services.accept_ticket,
    "start_work": services.start_work,
    "wait_for_customer": _with_text(services.wait_for_customer, "reason"),
    "customer_replied": _with_text(services.customer_replied, "body"),
    "resolve": services.resolve_ticket,
    "confirm_fixed": _follow_up(True),
    "not_fixed": _follow_up(False),
    "close": _with_text(services.close_ticket, "reason"),
    "reopen": _with_text(services.reopen_ticket, "reason"),
    "cancel": _with_text(services.cancel_ticket, "reason"),
    "mark_duplicate": _mark_duplicate,
}


def move_ticket(*, ticket: Ticket, by: User, move: str, version: int, inputs: dict[str, Any]) -> Ticket:
    """Make ``move`` on the ticket read at ``version``; refusals come from the services."""
    return MOVE_SERVICES[move](ticket=ticket, by=by, expected_version=version, **inputs)


_DETAIL_FIELDS = ("title", "description", "business_impact", "onsite_contact")


def change_ticket(*, ticket: Ticket, by: User, version: int, changes: dict[str, Any]) -> Ticket:
    """Apply staff corrections in one transaction: all of them, or none.

    The first service compares ``version``; the ones after it work on the
    version the first one left (the row is already claimed by this transaction).
    """
    reason = changes.pop("reason", "") or ""
    steps: list[Callable[[int | None], Ticket]] = []
    details = {name: changes[name] for name in _DETAIL_FIELDS if name in changes}
    if details:
        steps.append(
            lambda expected: services.update_ticket_details(
                ticket=ticket, by=by, expected_version=expected, **details
            )
        )
    if "centre" in changes:
        steps.append(
            lambda expected: services.route_ticket(
                ticket=ticket, by=by, centre=changes["centre"], reason=reason, expected_version=expected
            )
        )
    if "assignee" in changes:
        steps.append(
            lambda expected: services.assign_ticket(
                ticket=ticket, by=by, assignee=changes["assignee"], reason=reason, expected_version=expected
            )
        )
    if "severity" in changes:
        steps.append(
            lambda expected: services.change_severity(
                ticket=ticket, by=by, severity=changes["severity"], reason=reason, expected_version=expected
            )
        )
    if "entitlement" in changes:
        steps.append(
            lambda expected: services.override_entitlement(
                ticket=ticket,
                by=by,
                entitlement=changes["entitlement"],
                contract=changes.get("entitlement_contract"),
                warranty_ends_on=changes.get("warranty_ends_on"),
                reason=reason,
                expected_version=expected,
            )
        )
    if not steps:
        raise InvalidInput(gettext("Nothing to change: give at least one field besides the version."))
    with transaction.atomic():
        for index, step in enumerate(steps):
            step(version if index == 0 else None)
    return ticket
