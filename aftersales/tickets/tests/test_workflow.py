"""The workflow table: every move allowed from its statuses, refused with its reason elsewhere."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from aftersales.core.errors import InvalidTransition, NotPermitted
from aftersales.tickets import services, workflow
from aftersales.tickets.models import Status, Ticket
from aftersales.tickets.tests.factories import REPORTED_AT, TicketFactory

pytestmark = pytest.mark.django_db

AT = REPORTED_AT + timedelta(days=1)


def perform(move: str, ticket: Ticket, user, *, at=AT) -> Ticket:
    """Call the service behind ``move`` with valid input, so only the table can refuse it."""
    common = {"ticket": ticket, "by": user, "at": at}
    if move == "accept":
        return services.accept_ticket(**common)
    if move == "start_work":
        return services.start_work(**common)
    if move == "wait_for_customer":
        return services.wait_for_customer(**common, reason="请提供设备日志")
    if move == "customer_replied":
        return services.customer_replied(**common, body="日志已上传")
    if move == "resolve":
        return services.resolve_ticket(
            **common, diagnosis="主板通讯芯片故障", actions_taken="更换加密卡", level_reached="L2"
        )
    if move == "confirm_fixed":
        return services.record_follow_up(**common, is_fixed=True, satisfaction=5, comment="满意")
    if move == "not_fixed":
        return services.record_follow_up(**common, is_fixed=False, comment="仍然报错")
    if move == "close":
        return services.close_ticket(**common, reason="客户书面确认已解决")
    if move == "reopen":
        return services.reopen_ticket(**common, reason="故障复现")
    if move == "cancel":
        return services.cancel_ticket(**common, reason="客户撤回")
    if move == "mark_duplicate":
        original = TicketFactory(customer=ticket.customer, unit=ticket.unit, status=Status.IN_PROGRESS)
        return services.cancel_ticket(**common, duplicate_of=original)
    raise AssertionError(f"no service for {move}")


USER_MOVES = [name for name, move in workflow.MOVES.items() if move.capability is not None]


def test_every_move_a_person_makes_has_a_service_in_this_test():
    assert set(USER_MOVES) | {"auto_close", "customer_reopened"} == set(workflow.MOVES)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("move", USER_MOVES)
def test_each_move_is_allowed_from_its_statuses_and_refused_with_the_reason_from_the_others(
    cast, status, move
):
    ticket = TicketFactory(status=status)
    table_move = workflow.MOVES[move]

    if status in table_move.sources:
        changed = perform(move, ticket, cast.manager)
        assert changed.status == table_move.target
        assert Ticket.objects.get(pk=ticket.pk).status == table_move.target
        event = changed.events.filter(kind="status").last()
        assert (event.from_status, event.to_status, event.actor) == (status, table_move.target, cast.manager)
    else:
        with pytest.raises(InvalidTransition) as refused:
            perform(move, ticket, cast.manager)
        assert refused.value.status_code == 409
        assert refused.value.message == workflow.refusal_reason(ticket, table_move)
        assert str(Status(status).label) in refused.value.message
        assert str(table_move.label) in refused.value.message
        assert Ticket.objects.get(pk=ticket.pk).status == status
        assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


@pytest.mark.parametrize("status", list(Status))
def test_the_auto_close_move_applies_only_to_resolved_tickets(status):
    ticket = TicketFactory(status=status, resolved_at=REPORTED_AT)

    closed = services.auto_close_silent_tickets(now=REPORTED_AT + timedelta(days=30))

    expected = Status.CLOSED if status == Status.RESOLVED else status
    assert Ticket.objects.get(pk=ticket.pk).status == expected
    assert [t.pk for t in closed] == ([ticket.pk] if status == Status.RESOLVED else [])


def test_a_move_name_outside_the_table_is_refused():
    ticket = TicketFactory(status=Status.NEW)

    with pytest.raises(InvalidTransition, match="not a move"):
        workflow.check_move(ticket, "teleport", user=None)


def test_the_refusal_names_the_moves_possible_now():
    ticket = TicketFactory(status=Status.NEW)

    reason = workflow.refusal_reason(ticket, workflow.MOVES["resolve"])

    assert "In progress" in reason
    assert "Accept" in reason and "Cancel" in reason


@pytest.mark.parametrize("move", USER_MOVES)
def test_leadership_cannot_make_any_move(cast, move):
    source = sorted(workflow.MOVES[move].sources)[0]
    ticket = TicketFactory(status=source)

    with pytest.raises(NotPermitted):
        perform(move, ticket, cast.leader)

    assert Ticket.objects.get(pk=ticket.pk).status == source


@pytest.mark.parametrize("move", [m for m in USER_MOVES if not workflow.MOVES[m].customer_may])
def test_a_customer_user_cannot_make_a_staff_move_even_on_their_own_ticket(cast, customers, move):
    source = sorted(workflow.MOVES[move].sources)[0]
    ticket = TicketFactory(status=source, unit__customer=customers.first)

    with pytest.raises(NotPermitted):
        perform(move, ticket, cast.customer1)


def test_a_customer_user_may_answer_only_their_own_organisations_ticket(cast, customers):
    own = TicketFactory(status=Status.WAITING, unit__customer=customers.first)
    other = TicketFactory(status=Status.WAITING, unit__customer=customers.second)

    assert (
        services.customer_replied(ticket=own, by=cast.customer1, body="日志见附件").status
        == Status.IN_PROGRESS
    )
    with pytest.raises(NotPermitted):
        services.customer_replied(ticket=other, by=cast.customer1, body="日志见附件")


def test_only_the_system_closes_a_ticket_for_silence(cast):
    ticket = TicketFactory(status=Status.RESOLVED, resolved_at=REPORTED_AT)

    with pytest.raises(NotPermitted):
        workflow.check_move(ticket, "auto_close", user=cast.manager, at=REPORTED_AT + timedelta(days=30))
    assert workflow.check_move(ticket, "auto_close", user=None, at=REPORTED_AT + timedelta(days=30))


@pytest.mark.parametrize(
    ("role", "status", "expected"),
    [
        ("engineer", Status.NEW, {"accept", "cancel", "mark_duplicate"} - {"cancel", "mark_duplicate"}),
        ("manager", Status.NEW, {"accept", "cancel", "mark_duplicate"}),
        ("specialist", Status.RESOLVED, {"confirm_fixed", "not_fixed", "close"}),
        ("engineer", Status.IN_PROGRESS, {"wait_for_customer", "resolve"}),
        ("leader", Status.IN_PROGRESS, set()),
        ("customer1", Status.WAITING, {"customer_replied"}),
        ("customer1", Status.NEW, set()),
        ("customer1", Status.RESOLVED, {"confirm_fixed", "not_fixed"}),
    ],
)
def test_allowed_moves_offer_what_the_user_may_do_now(cast, customers, role, status, expected):
    ticket = TicketFactory(status=status, unit__customer=customers.first)

    offered = {move.name for move in workflow.allowed_moves(ticket, getattr(cast, role), at=AT)}

    assert offered == expected


def test_allowed_moves_do_not_offer_a_reopen_after_the_window(cast):
    ticket = TicketFactory(status=Status.CLOSED, closed_at=REPORTED_AT)

    assert "reopen" in {
        m.name for m in workflow.allowed_moves(ticket, cast.manager, at=REPORTED_AT + timedelta(days=29))
    }
    assert "reopen" not in {
        m.name for m in workflow.allowed_moves(ticket, cast.manager, at=REPORTED_AT + timedelta(days=31))
    }


def test_allowed_actions_follow_role_status_and_kind(cast):
    fault = TicketFactory(status=Status.IN_PROGRESS)
    closed = TicketFactory(status=Status.CLOSED)

    assert {"reply", "note", "request_onsite", "record_restored"} <= {
        a.name for a in workflow.allowed_actions(fault, cast.engineer)
    }
    assert "record_complaint_outcome" not in {a.name for a in workflow.allowed_actions(fault, cast.manager)}
    assert "change_severity" not in {a.name for a in workflow.allowed_actions(closed, cast.manager)}
    assert workflow.allowed_actions(fault, cast.leader) == []
    assert workflow.allowed_actions(fault, cast.customer1) == []


def test_docs_show_the_same_table_as_the_code():
    text = (Path(settings.BASE_DIR) / "docs" / "workflow.md").read_text(encoding="utf-8")

    for row in workflow.describe_table():
        line = (
            "| "
            + " | ".join(row[c] for c in ("move", "from", "to", "capability", "conditions", "needs"))
            + " |"
        )
        assert line in text
