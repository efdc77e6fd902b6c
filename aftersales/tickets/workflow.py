"""The ticket's statuses and the moves between them: one table, mirrored in ``docs/workflow.md``.

Every status change goes through a move of ``MOVES``. A move names its source
statuses, its target, the capability a person needs (``aftersales.<capability>``
from ``accounts.roles``) and the conditions the ticket must meet. A move that
is not in the table for the ticket's status is refused with the reason
(``InvalidTransition``, HTTP 409); a person without the capability is refused
with ``NotPermitted`` (403).

Work that does not change the status (replies, notes, on-site requests …) is
listed in ``ACTIONS`` with the statuses in which it is possible, so the desk
shows only what the user may do now (``allowed_moves`` / ``allowed_actions``).

``by=None`` means the system itself (the auto-close sweep, mail intake); only
moves marked ``system_may`` accept it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.backends import PERMISSION_APP
from aftersales.accounts.roles import Capability
from aftersales.core.business_time import add_minutes
from aftersales.core.errors import InvalidTransition, NotPermitted
from aftersales.tickets.models import OPEN_STATUSES, Kind, Status

if TYPE_CHECKING:
    from aftersales.accounts.models import User
    from aftersales.customers.models import Customer
    from aftersales.tickets.models import Ticket, TicketSettings

ALL_STATUSES = frozenset(Status)
OPEN = frozenset(OPEN_STATUSES)
NOT_FINISHED = OPEN | {Status.RESOLVED}
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class MoveContext:
    """What a condition may look at besides the ticket."""

    at: datetime
    settings: TicketSettings
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    """A rule a ticket must meet for a move; ``check`` returns the refusal reason or None."""

    description: Promise
    check: Callable[[Ticket, MoveContext], str | None]


@dataclass(frozen=True)
class Move:
    """One allowed status change."""

    name: str
    label: Promise
    sources: frozenset[str]
    target: str
    capability: str | None
    conditions: tuple[Condition, ...] = ()
    needs: Promise | str = ""
    system_may: bool = False
    customer_may: bool = False

    @property
    def permission(self) -> str | None:
        return f"{PERMISSION_APP}.{self.capability}" if self.capability else None


@dataclass(frozen=True)
class Action:
    """Work on a ticket that does not change its status."""

    name: str
    label: Promise
    statuses: frozenset[str]
    capability: str
    kinds: frozenset[str] | None = None
    # False: done by another area's service on its own evidence, never offered as a bare button.
    is_offered: bool = True

    @property
    def permission(self) -> str:
        return f"{PERMISSION_APP}.{self.capability}"


# --- conditions ------------------------------------------------------------------------------


def _within_reopen_window(ticket: Ticket, ctx: MoveContext) -> str | None:
    days = ctx.settings.reopen_window_days
    if ticket.closed_at is None or ctx.at <= add_minutes(ticket.closed_at, days * MINUTES_PER_DAY):
        return None
    return gettext(
        "%(number)s was closed more than %(days)s days ago and can no longer be reopened: open a new ticket."
    ) % {"number": ticket.number, "days": days}


def _silent_long_enough(ticket: Ticket, ctx: MoveContext) -> str | None:
    days = ctx.settings.auto_close_after_days
    last_contact = max(filter(None, (ticket.resolved_at, ctx.inputs.get("last_contact_at"))), default=None)
    if last_contact is not None and ctx.at >= add_minutes(last_contact, days * MINUTES_PER_DAY):
        return None
    return gettext(
        "%(number)s has not been silent for %(days)s days since it was resolved or last heard of."
    ) % {
        "number": ticket.number,
        "days": days,
    }


def _has_resolution_record(ticket: Ticket, ctx: MoveContext) -> str | None:
    """Complaints resolve with their recorded outcome, every other kind with a handling report."""
    if ticket.kind == Kind.COMPLAINT:
        if ticket.complaint_outcome.strip() or ctx.inputs.get("has_new_report"):
            return None
        return gettext("Record the outcome of complaint %(number)s before resolving it.") % {
            "number": ticket.number
        }
    if ctx.inputs.get("has_new_report") or ctx.inputs.get("has_current_report"):
        return None
    return gettext(
        "%(number)s needs the centre's handling report (diagnosis, what was done, level reached) "
        "before it can be resolved."
    ) % {"number": ticket.number}


def _duplicate_target_is_valid(ticket: Ticket, ctx: MoveContext) -> str | None:
    original = ctx.inputs.get("duplicate_of")
    if original is None:
        return None  # checked by the service as missing input
    if original.pk == ticket.pk:
        return gettext("A ticket cannot be a duplicate of itself.")
    if original.customer_id != ticket.customer_id:
        return gettext("%(number)s belongs to another customer.") % {"number": original.number}
    if original.status == Status.CANCELLED:
        return gettext("%(number)s is cancelled: mark this ticket a duplicate of the original instead.") % {
            "number": original.number
        }
    return None


WITHIN_REOPEN_WINDOW = Condition(
    _("within the reopen window (ticket settings) of closing"), _within_reopen_window
)
SILENT_LONG_ENOUGH = Condition(
    _("resolved and silent for the auto-close days (ticket settings)"), _silent_long_enough
)
HAS_RESOLUTION_RECORD = Condition(
    _("a handling report written since the ticket was last reopened (complaints: the outcome)"),
    _has_resolution_record,
)
DUPLICATE_TARGET_IS_VALID = Condition(
    _("the original is another, not cancelled ticket of the same customer"), _duplicate_target_is_valid
)

# --- the table ---------------------------------------------------------------------------------

C = Capability
MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move("accept", _("Accept"), frozenset({Status.NEW}), Status.ACCEPTED, C.ACCEPT_TICKET),
        Move(
            "start_work", _("Start work"), frozenset({Status.ACCEPTED}), Status.IN_PROGRESS, C.ACCEPT_TICKET
        ),
        Move(
            "wait_for_customer",
            _("Wait for the customer"),
            frozenset({Status.IN_PROGRESS}),
            Status.WAITING,
            C.REPLY_TICKET,
            needs=_("what we wait for"),
        ),
        Move(
            "customer_replied",
            _("Customer replied"),
            frozenset({Status.WAITING}),
            Status.IN_PROGRESS,
            C.REPLY_TICKET,
            system_may=True,
            customer_may=True,
        ),
        Move(
            "resolve",
            _("Resolve"),
            frozenset({Status.IN_PROGRESS}),
            Status.RESOLVED,
            C.RESOLVE_TICKET,
            conditions=(HAS_RESOLUTION_RECORD,),
            needs=_("the handling report, unless written already"),
        ),
        Move(
            "confirm_fixed",
            _("Follow-up: fixed"),
            frozenset({Status.RESOLVED}),
            Status.CLOSED,
            C.RECORD_FOLLOWUP,
            needs=_("satisfaction 1–5, comment"),
            customer_may=True,  # the customer confirms and rates in the portal (the follow-up, 回访)
        ),
        Move(
            "not_fixed",
            _("Follow-up: not fixed"),
            frozenset({Status.RESOLVED}),
            Status.IN_PROGRESS,
            C.RECORD_FOLLOWUP,
            needs=_("what still fails"),
            customer_may=True,
        ),
        Move(
            "close",
            _("Close without follow-up"),
            frozenset({Status.RESOLVED}),
            Status.CLOSED,
            C.CLOSE_TICKET,
            needs=_("a reason"),
        ),
        Move(
            "auto_close",
            _("Close after silence"),
            frozenset({Status.RESOLVED}),
            Status.CLOSED,
            None,
            conditions=(SILENT_LONG_ENOUGH,),
            system_may=True,
        ),
        Move(
            "reopen",
            _("Reopen"),
            frozenset({Status.CLOSED}),
            Status.IN_PROGRESS,
            C.CLOSE_TICKET,
            conditions=(WITHIN_REOPEN_WINDOW,),
            needs=_("a reason"),
        ),
        Move(
            "customer_reopened",
            _("Reopened by the customer's message"),
            frozenset({Status.RESOLVED, Status.CLOSED}),
            Status.IN_PROGRESS,
            None,
            conditions=(WITHIN_REOPEN_WINDOW,),
            system_may=True,
            customer_may=True,
        ),
        Move("cancel", _("Cancel"), OPEN, Status.CANCELLED, C.CANCEL_TICKET, needs=_("a reason")),
        Move(
            "mark_duplicate",
            _("Mark as duplicate"),
            OPEN,
            Status.CANCELLED,
            C.CANCEL_TICKET,
            conditions=(DUPLICATE_TARGET_IS_VALID,),
            needs=_("the original ticket"),
        ),
    )
}

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("reply", _("Reply to the customer"), ALL_STATUSES, C.REPLY_TICKET),
        Action("note", _("Add an internal note"), ALL_STATUSES, C.REPLY_TICKET),
        Action("log_call", _("Log a call"), ALL_STATUSES, C.LOG_CALL),
        Action("edit", _("Edit details"), NOT_FINISHED, C.REPLY_TICKET),
        Action("route", _("Forward to another centre"), NOT_FINISHED, C.ROUTE_TICKET),
        Action("assign", _("Assign"), NOT_FINISHED, C.ASSIGN_TICKET),
        Action(
            "change_severity",
            _("Change severity"),
            OPEN,
            C.CHANGE_SEVERITY,
            kinds=frozenset({Kind.FAULT}),
        ),
        Action(
            "request_onsite",
            _("Request on-site service"),
            OPEN,
            C.REQUEST_ONSITE,
            kinds=frozenset(Kind) - {Kind.COMPLAINT, Kind.CONSULTATION},
        ),
        # Recorded by a visit's confirmed arrival (visits.services), not by a button on the ticket.
        Action("record_arrival", _("Record arrival on site"), OPEN, C.RECORD_ARRIVAL, is_offered=False),
        Action(
            "record_restored",
            _("Record service restored"),
            OPEN,
            C.RECORD_RESTORED,
            kinds=frozenset({Kind.FAULT}),
        ),
        Action(
            "write_handling_report",
            _("Write the handling report"),
            frozenset({Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING}),
            C.RESOLVE_TICKET,
        ),
        Action("override_entitlement", _("Override entitlement"), NOT_FINISHED, C.OVERRIDE_ENTITLEMENT),
        Action(
            "record_complaint_outcome",
            _("Record the complaint outcome"),
            NOT_FINISHED,
            C.HANDLE_COMPLAINT,
            kinds=frozenset({Kind.COMPLAINT}),
        ),
    )
}


# --- checks ------------------------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _sources_label(statuses: frozenset[str]) -> str:
    ordered = [s for s in Status if s in statuses]
    return gettext(" or ").join(_status_label(s) for s in ordered)


def is_customer_contact(user: User, customer: Customer) -> bool:
    """A customer user speaks for their organisation and, at a head office, for its branches."""
    contact = getattr(user, "contact", None)
    if not user.is_customer_user or contact is None:
        return False
    return contact.customer_id in (customer.pk, customer.parent_id)


def _may_perform(user: User | None, move: Move, ticket: Ticket) -> bool:
    if user is None:
        return move.system_may
    if not user.is_active:
        return False
    if move.customer_may and is_customer_contact(user, ticket.customer):
        return True
    if user.is_customer_user:
        return False
    return move.permission is not None and user.has_perm(move.permission)


def _refuse_permission(user: User | None, label: Promise) -> NotPermitted:
    name = str(user) if user is not None else gettext("the system")
    return NotPermitted(
        gettext("%(user)s may not “%(action)s” on this ticket.") % {"user": name, "action": label}
    )


def check_move(
    ticket: Ticket,
    move_name: str,
    *,
    user: User | None,
    at: datetime | None = None,
    settings: TicketSettings | None = None,
    inputs: dict[str, Any] | None = None,
) -> Move:
    """The move if ``user`` may make it on ``ticket`` now; otherwise the refusal, with its reason."""
    from aftersales.tickets.queries import ticket_settings

    move = MOVES.get(move_name)
    if move is None:
        raise InvalidTransition(
            gettext("“%(move)s” is not a move of the ticket workflow.") % {"move": move_name}
        )
    if not _may_perform(user, move, ticket):
        raise _refuse_permission(user, move.label)
    if ticket.status not in move.sources:
        raise InvalidTransition(refusal_reason(ticket, move))
    ctx = MoveContext(at=at or timezone.now(), settings=settings or ticket_settings(), inputs=inputs or {})
    for condition in move.conditions:
        reason = condition.check(ticket, ctx)
        if reason:
            raise InvalidTransition(reason)
    return move


def refusal_reason(ticket: Ticket, move: Move) -> str:
    """Why ``move`` is impossible from the ticket's status, naming where it would be possible."""
    possible = [m.label for m in MOVES.values() if ticket.status in m.sources and m.capability]
    reason = gettext("%(number)s is %(status)s: “%(move)s” is only possible from %(sources)s.") % {
        "number": ticket.number,
        "status": _status_label(ticket.status),
        "move": move.label,
        "sources": _sources_label(move.sources),
    }
    if possible:
        return reason + " " + gettext("Possible now: %(moves)s.") % {"moves": ", ".join(map(str, possible))}
    return (
        reason
        + " "
        + gettext("No move is possible from %(status)s.") % {"status": _status_label(ticket.status)}
    )


def check_action(ticket: Ticket, action_name: str, *, user: User) -> Action:
    """The action if ``user`` may do it on ``ticket`` in its status and kind; otherwise the refusal."""
    action = ACTIONS[action_name]
    if not user.is_active or user.is_customer_user or not user.has_perm(action.permission):
        raise _refuse_permission(user, action.label)
    if ticket.status not in action.statuses:
        raise InvalidTransition(
            gettext("%(number)s is %(status)s: “%(action)s” is not possible any more.")
            % {"number": ticket.number, "status": _status_label(ticket.status), "action": action.label}
        )
    if action.kinds is not None and ticket.kind not in action.kinds:
        raise InvalidTransition(
            gettext("“%(action)s” does not apply to a %(kind)s.")
            % {"action": action.label, "kind": Kind(ticket.kind).label.lower()}
        )
    return action


def allowed_moves(ticket: Ticket, user: User | None, *, at: datetime | None = None) -> list[Move]:
    """The moves to offer ``user`` on ``ticket`` now (conditions needing form input are not judged)."""
    from aftersales.tickets.queries import ticket_settings

    ctx = MoveContext(
        at=at or timezone.now(),
        settings=ticket_settings(),
        inputs={"has_new_report": True},  # the resolve form carries the handling report
    )
    offered = []
    for move in MOVES.values():
        if move.capability is None or ticket.status not in move.sources:
            continue
        if not _may_perform(user, move, ticket):
            continue
        if any(condition.check(ticket, ctx) for condition in move.conditions):
            continue
        offered.append(move)
    return offered


def allowed_actions(ticket: Ticket, user: User) -> list[Action]:
    """The non-status actions to offer ``user`` on ``ticket`` now."""
    offered = []
    for action in ACTIONS.values():
        if not action.is_offered or ticket.status not in action.statuses:
            continue
        if action.kinds is not None and ticket.kind not in action.kinds:
            continue
        if user.is_active and not user.is_customer_user and user.has_perm(action.permission):
            offered.append(action)
    return offered


def _who_may(move: Move) -> str:
    who = [f"{PERMISSION_APP}.{move.capability}"] if move.capability else []
    if move.customer_may:
        who.append("the ticket's customer")
    if move.system_may:
        who.append("the system")
    return " or ".join(who)


def describe_table() -> list[dict[str, str]]:
    """The table as English text rows, for ``docs/workflow.md`` and the test that keeps the two equal."""
    rows = []
    with translation.override("en"):
        for move in MOVES.values():
            rows.append(
                {
                    "move": move.name,
                    "from": ", ".join(s.value for s in Status if s in move.sources),
                    "to": str(move.target),
                    "capability": _who_may(move),
                    "conditions": "; ".join(str(c.description) for c in move.conditions) or "-",
                    "needs": str(move.needs) or "-",
                }
            )
    return rows
