"""How a repair moves: the one table of steps, with where each may start and where it ends.

``services.move_repair`` is the only code that assigns ``Repair.status``; it checks this
table first, then the step's own conditions (backup acknowledgement and erasure record
before shipping; an approved quote before an out-of-warranty repair).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.repairs.models import Status


@dataclass(frozen=True)
class Step:
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str


SHIP_IN = "ship_in"
RECEIVE = "receive"
DIAGNOSE = "diagnose"
QUOTE = "quote"
APPROVE = "approve"
REFUSE = "refuse"
REPAIR = "repair"
TEST = "test"
SHIP_BACK = "ship_back"
CONFIRM_RETURN = "confirm_return"
CANCEL = "cancel"

STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(SHIP_IN, _("Shipped by the customer"), frozenset({Status.OPENED}), Status.SHIPPED_IN),
        Step(RECEIVE, _("Received at the factory"), frozenset({Status.SHIPPED_IN}), Status.RECEIVED),
        Step(DIAGNOSE, _("Diagnosed"), frozenset({Status.RECEIVED}), Status.DIAGNOSED),
        Step(QUOTE, _("Quote issued"), frozenset({Status.DIAGNOSED}), Status.QUOTED),
        Step(APPROVE, _("Quote approved"), frozenset({Status.QUOTED}), Status.APPROVED),
        Step(REFUSE, _("Quote refused"), frozenset({Status.QUOTED}), Status.REFUSED),
        # "Repaired" from "diagnosed" only in warranty (checked by the service); from "quoted"
        # it is refused with its own message: nothing is repaired before the customer approves.
        Step(
            REPAIR,
            _("Repaired"),
            frozenset({Status.DIAGNOSED, Status.QUOTED, Status.APPROVED}),
            Status.REPAIRED,
        ),
        Step(TEST, _("Tested"), frozenset({Status.REPAIRED}), Status.TESTED),
        Step(SHIP_BACK, _("Shipped back"), frozenset({Status.TESTED, Status.REFUSED}), Status.SHIPPED_BACK),
        Step(
            CONFIRM_RETURN, _("Received by the customer"), frozenset({Status.SHIPPED_BACK}), Status.RETURNED
        ),
        Step(
            CANCEL,
            _("Cancel the repair"),
            frozenset({Status.OPENED, Status.SHIPPED_IN}),
            Status.CANCELLED,
        ),
    )
}

# Steps a desk user takes with the step form (quote decisions come from fees; quoting has its own form).
DESK_STEPS = (SHIP_IN, RECEIVE, DIAGNOSE, REPAIR, TEST, SHIP_BACK, CONFIRM_RETURN, CANCEL)


def steps_from(status: str) -> list[Step]:
    return [step for step in STEPS.values() if status in step.sources]
