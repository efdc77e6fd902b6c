"""The whole demo in one call: the organisation, the installed base and the story tickets.

The random choices come from one seeded generator, so a seed gives the same
demo every time; times are relative to ``now``, so the clocks are met, breached
and running whenever the demo is loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from aftersales.accounts.models import User
from aftersales.demo.installed_base import build_installed_base
from aftersales.demo.organisation import build_organisation
from aftersales.demo.tickets import TicketStories
from aftersales.notifications.models import OutboxMessage
from aftersales.search.services import rebuild_search_index
from aftersales.tickets.models import OPEN_STATUSES, Ticket

DEFAULT_SEED = 20260101

# The field-service and paid-service areas add their demo on top of the tickets, lowest layer
# first: each ``aftersales.<area>.demo.build_demo(now=, rng=)`` returns a one-line summary.
AREA_DEMOS = ("fees", "spares", "visits", "inspections", "jobs", "repairs", "releases", "reports")


@dataclass(frozen=True)
class DemoSummary:
    """What was built, for the command's closing message."""

    centres: int
    customers: int
    units: int
    tickets: int
    areas: tuple[str, ...] = ()


def has_users() -> bool:
    """The demo goes only into a database nobody uses yet."""
    return User.objects.exists()


def build_demo(*, seed: int = DEFAULT_SEED, now: datetime) -> DemoSummary:
    """Build the demo vendor, its customers and their tickets; one transaction, all or nothing."""
    rng = random.Random(seed)
    with transaction.atomic(), _quiet_sweeps():
        organisation = build_organisation(now=now)
        base = build_installed_base(organisation=organisation, rng=rng, now=now)
        tickets = TicketStories(organisation=organisation, base=base, rng=rng, now=now).build()
        areas = build_area_demos(rng=rng, now=now)
        # The stories' notices belong to the past they replay: count them as delivered then,
        # so the first consumer does not send 90 days of mail at once.
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(
            status=OutboxMessage.Status.SENT, sent_at=now
        )
        # Staff have read what is about finished tickets; notices about open ones stay unread.
        open_numbers = Ticket.objects.filter(status__in=OPEN_STATUSES).values("number")
        OutboxMessage.objects.filter(recipient__isnull=False, read_at__isnull=True).exclude(
            reference__in=open_numbers
        ).update(read_at=now)
        rebuild_search_index()
    return DemoSummary(
        centres=len(organisation.centres),
        customers=len(base.customers),
        units=len(base.units),
        tickets=len(tickets),
        areas=areas,
    )


def build_area_demos(*, rng: random.Random, now: datetime) -> tuple[str, ...]:
    """Each area's demo records, built through its services; their one-line summaries."""
    summaries = []
    for area in AREA_DEMOS:
        name = f"aftersales.{area}.demo"
        if importlib.util.find_spec(name) is None:
            continue
        summary = importlib.import_module(name).build_demo(now=now, rng=rng)
        if summary:
            summaries.append(str(summary))
    return tuple(summaries)


@contextmanager
def _quiet_sweeps() -> Iterator[None]:
    """The replayed sweeps would log a line per notice; the summary says enough."""
    sweep_logger = logging.getLogger("aftersales.commitments.services")
    level = sweep_logger.level
    sweep_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        sweep_logger.setLevel(level)
