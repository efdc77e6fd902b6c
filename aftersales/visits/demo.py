"""Demo visits on top of the demo's tickets: one in every state, built through the services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from aftersales.accounts.models import User
from aftersales.accounts.roles import Role
from aftersales.core.errors import DomainError
from aftersales.tickets.models import OPEN_STATUSES, Kind, Ticket
from aftersales.visits import services
from aftersales.visits.models import Visit

WHY = "远程指导客户重启并重新初始化加密卡两次，故障仍在，需要工程师到现场检测更换硬件。"
PURPOSES = ("现场检测并更换故障主板", "更换电源模块并复核双机热备", "现场排查加密卡初始化失败")
FINDINGS = "主板与加密卡之间的通讯芯片损坏，日志中持续出现通讯超时。"
WORK_DONE = "更换主板，重新导入密钥并完成交易签名测试，业务恢复正常。"
# The states, in the order the candidate tickets get them.
STORIES = (
    "completed_signed",
    "completed_unsigned",
    "left",
    "on_site_unconfirmed",
    "on_the_way",
    "accepted",
    "planned",
    "overdue",
    "cancelled",
)


def _crew(ticket: Ticket) -> tuple[User | None, User | None]:
    engineer = User.objects.filter(is_active=True, role=Role.ENGINEER, centre=ticket.centre).order_by(
        "username"
    )
    lead = User.objects.filter(is_active=True, role=Role.LEAD, centre=ticket.centre).order_by("username")
    return engineer.first(), lead.first()


def _candidates(now: datetime) -> list[Ticket]:
    return list(
        Ticket.objects.filter(
            status__in=OPEN_STATUSES,
            kind=Kind.FAULT,
            centre__isnull=False,
            site__isnull=False,
            unit__isnull=False,
            local_arrived_at=None,
            reported_at__lt=now - timedelta(hours=6),
        )
        .filter(Q(onsite_requested_at=None) | Q(onsite_requested_at__lt=now - timedelta(hours=5)))
        .exclude(visits__isnull=False)
        .select_related("centre", "site", "onsite_contact", "reporter")
        .order_by("number")[:40]
    )


def _tell(
    story: str, ticket: Ticket, engineer: User, lead: User, *, now: datetime, rng: random.Random
) -> Visit:
    overdue = story == "overdue"
    dispatched = now - timedelta(days=3 if overdue else 0, hours=4, minutes=rng.randint(0, 50))
    planned = (
        dispatched + timedelta(hours=1) if story not in ("planned", "accepted") else now + timedelta(hours=3)
    )
    visit = services.dispatch_visit(
        ticket=ticket,
        engineers=[engineer],
        planned_start=planned,
        purpose=rng.choice(PURPOSES),
        why_remote_failed=WHY,
        by=lead,
        at=dispatched,
    )
    if story in ("planned", "overdue"):
        return visit
    if story == "cancelled":
        return services.cancel_visit(
            visit=visit, reason="客户已通过远程指导自行恢复业务。", by=lead, at=dispatched
        )
    services.accept_visit(visit=visit, engineer=engineer, at=dispatched + timedelta(minutes=5))
    if story == "accepted":
        return visit
    services.start_travel(visit=visit, engineer=engineer, at=dispatched + timedelta(minutes=20))
    if story == "on_the_way":
        return visit
    arrival = dispatched + timedelta(minutes=rng.randint(70, 150))
    check = services.check_in(visit=visit, engineer=engineer, note="客户机房", at=arrival, now=now)
    if story == "on_site_unconfirmed":
        return visit
    services.confirm_arrival_with_code(visit=visit, engineer=engineer, code=check.code, now=arrival)
    left = arrival + timedelta(minutes=rng.randint(60, 140))
    if story == "left":
        services.leave_site(visit=visit, engineer=engineer, at=left, now=now)
        return visit
    services.write_report(visit=visit, by=engineer, findings=FINDINGS, work_done=WORK_DONE, at=left)
    if story == "completed_signed":
        contact = visit.onsite_contact
        services.sign_report(
            visit=visit,
            name=contact.name if contact else "客户代表",
            typed_confirmation=True,
            by=engineer,
            at=left,
        )
    services.leave_site(visit=visit, engineer=engineer, at=left, now=now)
    return visit


def build_demo(*, now: datetime, rng: random.Random) -> str:
    """A visit in every state on the demo's open faults (a ticket the services refuse is skipped)."""
    built: list[Visit] = []
    stories = list(STORIES)
    for ticket in _candidates(now):
        if not stories:
            break
        engineer, lead = _crew(ticket)
        if engineer is None or lead is None:
            continue
        try:
            with transaction.atomic():
                built.append(_tell(stories[0], ticket, engineer, lead, now=now, rng=rng))
        except DomainError:
            continue
        stories.pop(0)
    return f"{len(built)} visits ({', '.join(STORIES[: len(built)])})"
