"""The spares area's demo data, built through the services on top of the demo's tickets.

Pools of loaner units and parts stock at each centre, a loan out, an overdue
loan (already chased once), the loan proposals the sweep makes now, and a
faulty part on its way to the factory.
"""

from __future__ import annotations

import random
from datetime import datetime

from aftersales.accounts.models import ServiceCentre, User
from aftersales.accounts.roles import Role
from aftersales.core.business_time import add_minutes, local_date
from aftersales.spares import services
from aftersales.spares.models import SpareUnit
from aftersales.tickets.models import OPEN_STATUSES, Kind, Ticket
from aftersales.units.models import ProductModel

_PARTS = (
    ("PSU-550", "电源模块 550W", 6, 2),
    ("FAN-80", "风扇模块", 10, 3),
    ("HSM-CARD-2", "密码卡", 2, 2),
    ("NIC-10G", "万兆网卡", 4, 1),
)
_DAY = 24 * 60


def _keeper(centre: ServiceCentre) -> User | None:
    lead = User.objects.filter(role=Role.LEAD, centre=centre, is_active=True).order_by("username").first()
    return lead or User.objects.filter(role=Role.MANAGER, is_active=True).order_by("username").first()


def _open_tickets(centre: ServiceCentre):
    return (
        Ticket.objects.filter(
            centre=centre, kind=Kind.FAULT, status__in=OPEN_STATUSES, unit__isnull=False, loans__isnull=True
        )
        .select_related("unit__product_model", "customer", "site")
        .order_by("reported_at")
    )


def build_demo(*, now: datetime, rng: random.Random) -> str:
    """Add spares, loans and faulty parts to the demo; returns a one-line summary."""
    models = list(ProductModel.objects.filter(units__isnull=False).distinct().order_by("code"))
    if not models:
        return "spares: no product models in the demo, nothing built"
    units = loans = overdue = faulty = 0
    for centre in ServiceCentre.objects.filter(is_rnd=False).order_by("code"):
        keeper = _keeper(centre)
        if keeper is None:
            continue
        pool_models = rng.sample(models, k=min(3, len(models)))
        for index, model in enumerate(pool_models * 2, start=1):
            services.add_spare_unit(
                centre=centre,
                product_model=model,
                serial=f"SP-{centre.code.upper()}-{index:03d}",
                by=keeper,
                location=f"{centre.city} 备件库 {chr(64 + index)}-{rng.randint(1, 9)}",
                at=add_minutes(now, -90 * _DAY),
            )
            units += 1
        for part_number, name, quantity, reorder in _PARTS:
            movement = services.receive_parts(
                centre=centre,
                part_number=part_number,
                name=name,
                quantity=max(1, quantity - rng.randint(0, 2)),
                by=keeper,
                reference="PO-DEMO",
                at=add_minutes(now, -60 * _DAY),
            )
            services.set_reorder_level(part=movement.part, level=reorder, by=keeper)

        tickets = list(_open_tickets(centre)[:2])
        for position, ticket in enumerate(tickets):
            spare = (
                SpareUnit.objects.filter(centre=centre, status=SpareUnit.Status.AVAILABLE)
                .order_by("serial")
                .first()
            )
            if spare is None:
                break
            if position == 0:
                # Overdue: lent soon after the report, due back two days later, not yet back.
                at = add_minutes(ticket.reported_at, 120)
                back = local_date(add_minutes(at, 2 * _DAY))
                if back >= local_date(now):
                    continue
            else:
                at = add_minutes(now, -_DAY)
                back = local_date(add_minutes(now, 10 * _DAY))
            substitute = spare.product_model_id != ticket.unit.product_model_id
            services.lend_unit(
                ticket=ticket,
                spare_unit=spare,
                by=keeper,
                expected_return_on=back,
                substitution_note="同系列备机，接口与性能一致，业务配置已迁移。" if substitute else "",
                at=at,
            )
            loans += 1
            overdue += position == 0

        record = services.record_faulty_part(
            centre=centre,
            part_number="PSU-550",
            serial=f"PSU{rng.randint(100000, 999999)}",
            reference=tickets[0].number if tickets else "DEMO",
            by=keeper,
            at=add_minutes(now, -5 * _DAY),
        )
        services.ship_faulty_part(
            faulty=record,
            by=keeper,
            tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}",
            at=add_minutes(now, -4 * _DAY),
        )
        faulty += 1
    chased = len(services.chase_overdue_loans(now=now))
    proposals = len(services.propose_loans(now=now))
    return (
        f"spares: {units} loaner units, {loans} loans ({overdue} overdue, {chased} chased), "
        f"{proposals} loan proposals, {faulty} faulty parts in transit"
    )
