"""Demo fees on top of the demo: two published schedule versions (last year's and this year's, with
realistic CNY prices), next year's draft, quotes in every state and one statement.

Built through the services; the items are derived from the demo's product models and factory parts.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from aftersales.accounts.models import User
from aftersales.accounts.roles import Role
from aftersales.core.business_time import local_date
from aftersales.customers.models import Customer
from aftersales.fees import services
from aftersales.fees.models import Category, ChargeUnit, FeeSchedule
from aftersales.tickets.models import Entitlement, Ticket
from aftersales.units.models import ProductModel, UnitPart

SERVICE_VAT = "6"
GOODS_VAT = "13"

# code, category, English, Chinese, unit, price (this year), VAT
FIXED_ITEMS = [
    ("installation", Category.INSTALLATION, "First installation and commissioning", "首次安装调试",
     ChargeUnit.TIME, "3000.00", SERVICE_VAT),
    ("spare_day", Category.SPARE, "Spare unit service, per day", "备机服务（每天）",
     ChargeUnit.DAY, "150.00", SERVICE_VAT),
    ("onsite_visit", Category.ONSITE, "On-site maintenance, per visit", "现场维护（每次）",
     ChargeUnit.TIME, "800.00", SERVICE_VAT),
    ("onsite_hour", Category.ONSITE, "On-site maintenance, per hour", "现场维护（每小时）",
     ChargeUnit.HOUR, "300.00", SERVICE_VAT),
    ("travel_covered", Category.TRAVEL, "Travel within a covered city", "差旅费（服务覆盖城市）",
     ChargeUnit.TIME, "200.00", SERVICE_VAT),
    ("travel_elsewhere", Category.TRAVEL, "Travel outside the covered cities", "差旅费（非覆盖城市）",
     ChargeUnit.TIME, "1500.00", SERVICE_VAT),
    ("inspection_visit", Category.INSPECTION, "Inspection visit", "巡检服务（每次）",
     ChargeUnit.TIME, "1200.00", SERVICE_VAT),
    ("upgrade_year", Category.UPGRADE, "Software upgrade service, per year", "软件升级服务（每年）",
     ChargeUnit.YEAR, "6000.00", SERVICE_VAT),
    ("migration", Category.MIGRATION, "System migration", "系统迁移",
     ChargeUnit.TIME, "8000.00", SERVICE_VAT),
]  # fmt: skip

REPAIR_PRICES = {"hardware": Decimal("2800.00"), "appliance": Decimal("2400.00")}
PART_PRICES = {
    "SJK1926": Decimal("6800.00"),
    "PSU-550": Decimal("1150.00"),
    "PSU-400": Decimal("880.00"),
    "SSD-480": Decimal("960.00"),
    "SSD-240": Decimal("620.00"),
    "NIC-X710": Decimal("2300.00"),
    "GNSS-T2": Decimal("3500.00"),
}


def _items(factor: Decimal) -> list[dict]:
    def price(value) -> Decimal:
        return (Decimal(value) * factor).quantize(Decimal("10"))  # whole tens of yuan

    items = [
        {"code": code, "category": cat, "name_en": en, "name_zh": zh, "unit": unit, "price": price(p),
         "vat_rate": vat}
        for code, cat, en, zh, unit, p, vat in FIXED_ITEMS
    ]  # fmt: skip
    for model in ProductModel.objects.order_by("code"):
        if model.has_hardware:
            items.append(
                {
                    "code": f"repair:{model.code}",
                    "category": Category.REPAIR,
                    "name_en": f"Out-of-warranty repair labour, {model.code}",
                    "name_zh": f"{model.code} 保外维修工时",
                    "unit": ChargeUnit.TIME,
                    "price": price(REPAIR_PRICES.get(model.kind, Decimal("2400"))),
                    "vat_rate": SERVICE_VAT,
                }
            )
        if model.has_software:
            items.append(
                {
                    "code": f"upgrade_year:{model.code}",
                    "category": Category.UPGRADE,
                    "name_en": f"Software upgrade service, {model.code}, per year",
                    "name_zh": f"{model.code} 软件升级服务（每年）",
                    "unit": ChargeUnit.YEAR,
                    "price": price(Decimal("5000") if model.has_hardware else Decimal("8000")),
                    "vat_rate": SERVICE_VAT,
                }
            )
    parts = (
        UnitPart.objects.filter(origin=UnitPart.Origin.FACTORY)
        .exclude(part_number="")
        .values_list("part_number", "name")
        .distinct()
        .order_by("part_number")
    )
    seen = set()
    for number, name in parts:
        if number in seen:
            continue
        seen.add(number)
        items.append(
            {
                "code": f"part:{number}",
                "category": Category.PART,
                "name_en": f"Part {number}",
                "name_zh": f"{name}（{number}）",
                "unit": ChargeUnit.PIECE,
                "price": price(PART_PRICES.get(number, Decimal("1000"))),
                "vat_rate": GOODS_VAT,
            }
        )
    return items


def _schedules(now: datetime) -> FeeSchedule:
    year = local_date(now).year
    services.create_schedule(
        name=f"{year - 1} 年度收费标准",
        effective_from=date(year - 1, 1, 1),
        items=_items(Decimal("0.95")),
        published=True,
        note="含税价（人民币）。服务类增值税 6%，备件 13%。",
    )
    current = services.create_schedule(
        name=f"{year} 年度收费标准",
        effective_from=date(year, 1, 1),
        items=_items(Decimal("1")),
        published=True,
        note="含税价（人民币）。服务类增值税 6%，备件 13%。非覆盖城市另收差旅费。",
    )
    services.create_schedule(
        name=f"{year + 1} 年度收费标准（草案）",
        effective_from=date(year + 1, 1, 1),
        items=_items(Decimal("1.03")),
        published=False,
        note="待审批，未发布。",
    )
    return current


def _user(role: str, username: str) -> User:
    return (
        User.objects.filter(username=username).first()
        or User.objects.filter(role=role).order_by("pk").first()
    )


def _tickets_of(customer: Customer, count: int) -> list[Ticket | None]:
    chosen = list(
        Ticket.objects.filter(customer=customer, entitlement=Entitlement.CHARGEABLE).order_by("-reported_at")[
            :count
        ]
    )
    return chosen + [None] * (count - len(chosen))


def build_demo(*, now: datetime, rng: random.Random) -> str:
    """The schedules, eight quotes across the states, one statement; returns a one-line summary."""
    with transaction.atomic():
        schedule = _schedules(now)
        specialist = _user(Role.SPECIALIST, "specialist")
        manager = _user(Role.MANAGER, "manager")
        customers = list(Customer.objects.filter(parent__isnull=True).order_by("pk"))
        home = Customer.objects.filter(code="cqrcb").first() or customers[0]
        other = Customer.objects.filter(code="shudu-bank").first() or customers[-1]
        models = list(ProductModel.objects.filter(kind__in=["hardware", "appliance"]).order_by("code"))
        repair_code = f"repair:{models[0].code}" if models else "onsite_visit"
        part_codes = list(schedule.items.filter(category=Category.PART).values_list("code", flat=True))
        part_code = rng.choice(part_codes) if part_codes else "onsite_hour"
        tickets = {home.pk: iter(_tickets_of(home, 5)), other.pk: iter(_tickets_of(other, 3))}

        def quote(customer, lines, days_ago, note=""):
            return services.create_quote(
                customer=customer,
                by=specialist,
                lines=lines,
                ticket=next(tickets[customer.pk]),
                note=note,
                at=now - timedelta(days=days_ago),
            )

        def at(days_ago, hours=0):
            return now - timedelta(days=days_ago) + timedelta(hours=hours)

        repair_lines = [
            {"code": repair_code, "quantity": 1, "description": "主板更换后整机测试"},
            {"code": part_code, "quantity": 1},
        ]
        visit_lines = services.quote_lines_from(
            [
                {"code": "onsite_visit", "quantity": 1, "description": "保外上门检修"},
                {"code": "onsite_hour", "quantity": "3.5", "description": "现场排障 3.5 小时"},
                {"code": "travel_elsewhere", "quantity": 1, "description": "绵阳往返"},
            ]
        )
        # 1. A draft still being written.
        quote(
            home,
            [{"code": "migration", "quantity": 1}, {"code": "onsite_hour", "quantity": 8}],
            1,
            "机房搬迁",
        )
        # 2. A 20 % discount waiting for the manager.
        waiting = quote(
            other, [{"code": "inspection_visit", "quantity": 4, "discount_percent": "20"}], 2, "年度巡检"
        )
        services.issue_quote(quote=waiting, by=specialist, at=at(2, 1))
        # 3. Issued to customer1's bank: customer1 can approve it in the portal.
        issued = quote(home, repair_lines, 5)
        services.issue_quote(quote=issued, by=specialist, at=at(5, 1))
        # 4. Approved by phone, work in progress.
        approved = quote(other, visit_lines, 12)
        services.issue_quote(quote=approved, by=specialist, at=at(12, 1))
        services.record_customer_decision(
            quote=approved, approved=True, by=specialist, channel="phone", note="客户电话确认", at=at(11)
        )
        # 5. Refused in the portal.
        refused = quote(home, [{"code": "upgrade_year", "quantity": 2}], 20, "两年升级服务")
        services.issue_quote(quote=refused, by=specialist, at=at(20, 1))
        customer_user = User.objects.filter(contact__customer=home, role=Role.CUSTOMER).first()
        services.record_customer_decision(
            quote=refused,
            approved=False,
            by=customer_user or specialist,
            channel="portal" if customer_user else "email",
            note="预算不足，明年再议",
            at=at(18),
        )
        # 6. An off-schedule price approved by the manager, completed: waits for a statement.
        special = quote(
            other, [{"code": "installation", "quantity": 1, "unit_price": "2500"}], 30, "框架协议价"
        )
        services.issue_quote(quote=special, by=specialist, at=at(30, 1))
        services.approve_quote_exception(
            quote=special, by=manager, reason="年度框架协议约定安装费 2500 元", at=at(29)
        )
        services.record_customer_decision(
            quote=special, approved=True, by=specialist, channel="email", at=at(28)
        )
        services.complete_quote(quote=special, by=specialist, at=at(25))
        # 7–8. Two completed jobs of last month on one statement.
        done = []
        for days, lines in ((45, visit_lines), (40, repair_lines)):
            q = quote(home, lines, days)
            services.issue_quote(quote=q, by=specialist, at=at(days, 1))
            services.record_customer_decision(
                quote=q, approved=True, by=specialist, channel="phone", at=at(days, 3)
            )
            services.complete_quote(quote=q, by=specialist, at=at(days - 2))
            done.append(q)
        services.record_charge(
            customer=home,
            reference="SR-紧急上门",
            description="夜间紧急上门差旅（非覆盖城市）",
            amount="1500.00",
            at=at(38),
        )
        statement = services.build_statement(
            customer=home,
            period_start=local_date(at(60)),
            period_end=local_date(at(31)),
            by=specialist,
            at=at(30),
        )
    return (
        f"fees: schedule {schedule.name} ({schedule.items.count()} items) and 2 other versions, "
        f"8 quotes, statement {statement.number} ({statement.total} CNY)"
    )
