"""Demo repairs on top of the demo's tickets, built through the services.

Six repairs in different stages: one back with the customer (promise kept), one at the
factory (clock running), one waiting for the customer's quote decision (clock paused), one
late with the customer told in advance, one whose customer refused the quote, and one just
opened that waits for ``customer1``'s backup acknowledgement in the portal.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from aftersales.accounts.models import User
from aftersales.commitments.services import sweep
from aftersales.core.business_time import local_date
from aftersales.customers.models import Contact
from aftersales.repairs import services
from aftersales.repairs.models import OPEN_STATUSES, Repair
from aftersales.tickets.models import Kind, Ticket
from aftersales.units.models import ProductModel

CARRIERS = ("顺丰速运", "京东物流", "中国邮政 EMS")
FAULTS = (
    "设备无法开机，电源指示灯不亮。",
    "加密卡自检失败，告警灯常亮。",
    "硬盘告警，RAID 降级，无法重建。",
    "主板网口全部失效，更换线缆无效。",
)


def _tracking(rng: random.Random) -> tuple[str, str]:
    return rng.choice(CARRIERS), f"SF{rng.randrange(10**11, 10**12)}"


def _ensure_schedule(now: datetime) -> None:
    """The repair items the quotes need: the fee schedule in force, or a minimal one when there is none
    (the fees demo, built first, normally provides it)."""
    from aftersales.fees.services import create_schedule, schedule_in_force

    if schedule_in_force(local_date(now)) is not None:
        return
    items = [
        {
            "code": f"repair:{model.code}",
            "category": "repair",
            "name_en": f"Return-to-factory repair, {model.code}",
            "name_zh": f"{model.code} 返厂维修",
            "unit": "time",
            "price": Decimal("2400.00"),
            "vat_rate": "6",
        }
        for model in ProductModel.objects.exclude(kind=ProductModel.Kind.SOFTWARE)
    ]
    create_schedule(
        name="收费标准 2026",
        effective_from=local_date(now).replace(month=1, day=1),
        items=items,
        published=True,
    )


def _candidates(now: datetime) -> list[Ticket]:
    """Fault tickets on hardware units in service, reported at least 60 days ago, one per unit."""
    busy = Repair.objects.filter(status__in=OPEN_STATUSES).values("unit_id")
    tickets = (
        Ticket.objects.filter(
            kind=Kind.FAULT,
            unit__isnull=False,
            unit__is_active=True,
            reported_at__lte=now - timedelta(days=60),
        )
        .exclude(unit__product_model__kind=ProductModel.Kind.SOFTWARE)
        .exclude(unit_id__in=busy)
        .select_related("unit__product_model", "customer", "reporter")
        .order_by("reported_at")
    )
    chosen, units = [], set()
    for ticket in tickets:
        if ticket.unit_id not in units:
            units.add(ticket.unit_id)
            chosen.append(ticket)
    return chosen


def _prepared(
    ticket: Ticket, *, staff: dict[str, User], at: datetime, rng: random.Random, chargeable: bool = False
) -> Repair:
    repair = services.open_repair(ticket=ticket, by=staff["specialist"], fault=rng.choice(FAULTS), at=at)
    if repair.is_chargeable != chargeable:
        services.override_repair_entitlement(
            repair=repair,
            by=staff["manager"],
            is_chargeable=chargeable,
            reason="人为损坏（进液），不在保修范围" if chargeable else "维保合同客户，按保内免费处理",
            at=at,
        )
    customer_user = (
        Contact.objects.filter(customer=ticket.customer, user__isnull=False).select_related("user").first()
    )
    if customer_user is not None:
        services.acknowledge_backup(
            repair=repair, by=customer_user.user, confirmed=True, language="zh-hans", at=at
        )
    else:
        services.record_backup_call(
            repair=repair,
            by=staff["specialist"],
            acknowledged_by=ticket.reporter.name if ticket.reporter else "客户信息科",
            acknowledged_at=at,
            at=at,
        )
    services.record_erasure(
        repair=repair,
        by=staff["engineer"],
        method=rng.choice(("keys_zeroised", "data_erased", "disk_kept")),
        done_by=staff["engineer"].get_full_name() or "陈涛",
        done_at=at + timedelta(hours=1),
        at=at + timedelta(hours=1),
    )
    return repair


def _step(repair: Repair, name: str, by: User, at: datetime, rng: random.Random, **details) -> None:
    if name in ("ship_in", "ship_back"):
        details["carrier"], details["tracking"] = _tracking(rng)
    services.move_repair(repair=repair, step=name, by=by, details=services.StepInput(**details), at=at)


def _to_factory(repair: Repair, staff, start: datetime, rng: random.Random) -> datetime:
    _step(repair, "ship_in", staff["specialist"], start + timedelta(hours=3), rng)
    received = start + timedelta(days=2)
    _step(repair, "receive", staff["engineer"], received, rng)
    return received


def _quoted(repair: Repair, staff, at: datetime, rng: random.Random) -> None:
    _step(repair, "diagnose", staff["engineer"], at, rng, diagnosis="电源模块及主板受潮损坏，需更换。")
    services.quote_repair(repair=repair, by=staff["specialist"], at=at + timedelta(hours=2))


@transaction.atomic
def build_demo(*, now: datetime, rng: random.Random) -> str:
    """Add the demo repairs; returns a one-line summary."""
    staff = {name: User.objects.get(username=name) for name in ("specialist", "engineer", "manager")}
    _ensure_schedule(now)
    tickets = _candidates(now)
    if len(tickets) < 6:
        return "repairs: not enough fault tickets on hardware units for the demo repairs"
    from aftersales.fees.models import Quote
    from aftersales.fees.services import record_customer_decision

    # 1. Back with the customer, promise kept.
    start = now - timedelta(days=50)
    repair = _prepared(tickets[0], staff=staff, at=start, rng=rng)
    received = _to_factory(repair, staff, start, rng)
    _step(
        repair, "diagnose", staff["engineer"], received + timedelta(days=1), rng, diagnosis="电源模块损坏。"
    )
    _step(repair, "repair", staff["engineer"], received + timedelta(days=5), rng, work_done="更换电源模块。")
    _step(repair, "test", staff["engineer"], received + timedelta(days=6), rng)
    _step(repair, "ship_back", staff["engineer"], received + timedelta(days=7), rng)
    _step(repair, "confirm_return", staff["specialist"], received + timedelta(days=9), rng)

    # 2. At the factory, diagnosed, clock running.
    start = now - timedelta(days=8)
    repair = _prepared(tickets[1], staff=staff, at=start, rng=rng)
    received = _to_factory(repair, staff, start, rng)
    _step(repair, "diagnose", staff["engineer"], received + timedelta(days=1), rng, diagnosis="加密卡故障。")

    # 3. Waiting for the customer's decision on the quote: clock paused.
    start = now - timedelta(days=12)
    repair = _prepared(tickets[2], staff=staff, at=start, rng=rng, chargeable=True)
    received = _to_factory(repair, staff, start, rng)
    _quoted(repair, staff, received + timedelta(days=2), rng)

    # 4. Late, the customer told before the due time with a new date.
    start = now - timedelta(days=45)
    repair = _prepared(tickets[3], staff=staff, at=start, rng=rng)
    received = _to_factory(repair, staff, start, rng)
    _step(
        repair,
        "diagnose",
        staff["engineer"],
        received + timedelta(days=2),
        rng,
        diagnosis="主板故障，备件缺货。",
    )
    due = services.return_clock(repair).due_at
    services.announce_repair_delay(
        repair=repair,
        by=staff["specialist"],
        new_date=local_date(now + timedelta(days=7)),
        reason="主板备件缺货，厂家补货中。",
        at=due - timedelta(days=3),
    )

    # 5. Quote refused: shipped back unrepaired.
    start = now - timedelta(days=30)
    repair = _prepared(tickets[4], staff=staff, at=start, rng=rng, chargeable=True)
    received = _to_factory(repair, staff, start, rng)
    _quoted(repair, staff, received + timedelta(days=1), rng)
    quote = Quote.objects.get(pk=repair.quote_id)
    contact = (
        Contact.objects.filter(customer=repair.customer, user__isnull=False).select_related("user").first()
    )
    decider = contact.user if contact is not None else staff["specialist"]
    record_customer_decision(
        quote=quote,
        approved=False,
        by=decider,
        channel="portal" if contact is not None else "phone",
        note="费用超出预算，暂不维修。",
        at=received + timedelta(days=3),
    )
    repair.refresh_from_db()
    _step(repair, "ship_back", staff["engineer"], received + timedelta(days=4), rng)

    # 6. Just opened for customer1's organisation: waits for the backup acknowledgement.
    own = Contact.objects.filter(user__username="customer1").values_list("customer_id", flat=True).first()
    waiting = next((t for t in tickets[5:] if t.customer_id == own), tickets[5])
    services.open_repair(ticket=waiting, by=staff["specialist"], fault="设备反复重启，需返厂检测。", at=now)

    sweep(now=now)
    count = Repair.objects.count()
    return f"repairs: {count} return-to-factory repairs (one late with notice, one awaiting a quote)"
