"""Visits built through the services (a visit's state is the sum of its steps, so no model factory)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aftersales.accounts.models import User
from aftersales.tickets.models import Ticket
from aftersales.visits import services
from aftersales.visits.models import Visit

WHY_REMOTE_FAILED = "远程指导两次仍无法恢复，需要现场处理。"


def dispatched_visit(*, ticket: Ticket, engineer: User, dispatcher: User, minutes_ago: int = 90) -> Visit:
    """A visit dispatched from ``ticket`` ``minutes_ago`` minutes ago, planned to start a little later."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return services.dispatch_visit(
        ticket=ticket,
        engineers=[engineer],
        planned_start=at + timedelta(minutes=30),
        purpose="现场更换主板",
        why_remote_failed=WHY_REMOTE_FAILED,
        by=dispatcher,
        at=at,
    )


def completed_visit(*, ticket: Ticket, engineer: User, dispatcher: User, signed: bool = False) -> Visit:
    """A visit whose engineer arrived (confirmed), wrote the report and left; signed on request."""
    visit = dispatched_visit(ticket=ticket, engineer=engineer, dispatcher=dispatcher)
    arrival = timezone.now() - timedelta(minutes=40)
    check = services.check_in(visit=visit, engineer=engineer, note="机房", at=arrival)
    services.confirm_arrival_with_code(visit=visit, engineer=engineer, code=check.code)
    services.write_report(
        visit=visit, by=engineer, findings="主板通讯芯片损坏", work_done="更换主板，测试通过"
    )
    if signed:
        services.sign_report(visit=visit, name="客户代表", by=engineer, typed_confirmation=True)
    services.leave_site(visit=visit, engineer=engineer)
    return visit
