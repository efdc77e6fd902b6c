"""The demo's builders on their own: determinism, and what they refuse."""

from __future__ import annotations

import io
import random

import pytest
from django.db import transaction
from django.utils import timezone

from aftersales.accounts.models import ServiceCentre
from aftersales.commitments.models import Clock
from aftersales.customers.models import Customer
from aftersales.demo.bulk_insert import insert_rows
from aftersales.demo.installed_base import build_installed_base
from aftersales.demo.organisation import build_organisation
from aftersales.demo.progress import ProgressBar
from aftersales.demo.synthetic_tickets import NoInstalledBase, SyntheticTickets
from aftersales.tickets.models import OPEN_STATUSES, Ticket, TicketEvent


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_installed_base():
    def build(seed: int) -> list[tuple]:
        with transaction.atomic():
            now = timezone.now()
            base = build_installed_base(
                organisation=build_organisation(now=now), rng=random.Random(seed), now=now
            )
            facts = sorted((u.serial, u.customer.code, u.shipped_on) for u in base.units)
            facts += sorted(Customer.objects.values_list("code", "tax_number"))
            transaction.set_rollback(True)
        return facts

    first = build(7)
    assert build(7) == first
    assert build(8) != first


@pytest.mark.smoke
@pytest.mark.django_db
def test_synthetic_tickets_get_distinct_numbers_clocks_and_a_created_event():
    now = timezone.now()
    build_installed_base(organisation=build_organisation(now=now), rng=random.Random(1), now=now)
    written = SyntheticTickets(count=1200, seed=1, now=now, batch_size=500).run()
    assert written == Ticket.objects.count() == 1200
    assert Ticket.objects.values("number").distinct().count() == 1200
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED).count() == 1200
    assert not Ticket.objects.exclude(pk__in=Clock.objects.values("subject_id")).exists()
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    assert open_tickets.filter(next_due_at__isnull=False).exists()
    assert not Ticket.objects.exclude(status__in=OPEN_STATUSES).filter(next_due_at__isnull=False).exists()
    breached = Clock.objects.filter(status=Clock.Status.RUNNING, breached_at__isnull=False)
    assert breached.exists()
    assert set(breached.values_list("subject_id", flat=True)) <= set(
        Ticket.objects.filter(has_breach=True).values_list("pk", flat=True)
    )
    # Overdue clocks are written as the sweep would have left them: nothing for it to do now.
    assert not Clock.objects.filter(next_action_at__lte=now).exists()


@pytest.mark.django_db
def test_synthetic_tickets_need_units_to_be_about():
    with pytest.raises(NoInstalledBase):
        SyntheticTickets(count=10, seed=1, now=timezone.now())


def test_the_progress_bar_writes_a_line_every_tenth_when_not_on_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(1000, label="tickets", stream=stream)
    for _ in range(100):
        bar.advance(10)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1].startswith("tickets [##############################] 100% 1,000/1,000")


@pytest.mark.django_db
def test_bulk_inserted_rows_read_back_as_the_objects_held_them():
    centres = [
        ServiceCentre(code=f"c{n}", name=f"中心{n}", city="重庆", covered_cities=["涪陵", f"城{n}"])
        for n in range(3)
    ]
    ids = insert_rows(ServiceCentre, centres)
    assert ids == [centre.pk for centre in centres]
    stored = ServiceCentre.objects.get(pk=ids[2])
    assert (stored.code, stored.covered_cities, stored.is_rnd) == ("c2", ["涪陵", "城2"], False)
    head = Customer.objects.create(code="head", name="总行")
    before = timezone.now()
    branch = Customer(code="branch", name="分行", parent=head)
    insert_rows(Customer, [branch])
    stored = Customer.objects.get(pk=branch.pk)
    assert stored.parent == head
    assert before <= stored.created_at <= timezone.now()
    assert stored.created_at == branch.created_at
