"""The auto-close sweep by hand (management command) and as the periodic Huey task."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from huey.api import PeriodicTask

from aftersales.tickets import tasks
from aftersales.tickets.models import Status, Ticket
from aftersales.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_the_command_closes_silent_tickets_and_names_them(unit):
    silent = TicketFactory(unit=unit, status=Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=8))
    recent = TicketFactory(unit=unit, status=Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=1))
    out = StringIO()

    call_command("close_silent_tickets", stdout=out)

    assert silent.number in out.getvalue()
    assert "Closed 1 silent ticket(s)." in out.getvalue()
    assert Ticket.objects.get(pk=silent.pk).auto_closed is True
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED


def test_the_periodic_task_runs_every_thirty_minutes_and_closes_silent_tickets(unit):
    TicketFactory(unit=unit, status=Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=8))

    assert isinstance(tasks.close_silent_tickets.task_class(), PeriodicTask)
    run_at = timezone.localtime().replace(minute=30, second=0, microsecond=0, tzinfo=None)
    assert tasks.close_silent_tickets.task_class().validate_datetime(run_at)
    assert not tasks.close_silent_tickets.task_class().validate_datetime(run_at.replace(minute=31))
    assert tasks.close_silent_tickets.call_local() == 1
    assert tasks.close_silent_tickets.call_local() == 0
