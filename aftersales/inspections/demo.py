"""Demo inspections: a checklist template, a quarterly-style plan and a remote-contact plan.

Built on top of the existing demo through the services: the Chongqing engineer's monthly
inspection of 重庆农村商业银行 has one visit done with its results (one item needing
attention, turned into a ticket, with a photo), one overdue, and the next ones planned; 蜀都银行
gets a remote periodic contact every two weeks.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.accounts.models import User
from aftersales.accounts.roles import Role
from aftersales.core.business_time import local_date
from aftersales.customers.models import Customer
from aftersales.inspections import services
from aftersales.inspections.models import ChecklistItem, ChecklistResult, Frequency
from aftersales.tickets.models import Severity
from aftersales.units.models import Contract

S = ChecklistItem.Section
TEMPLATE_ITEMS = [
    (S.HEALTH, "设备运行状态、告警灯与日志"),
    (S.HEALTH, "电源、风扇与机房温湿度"),
    (S.HEALTH, "密钥备份与恢复演练"),
    (S.HEALTH, "软件版本与补丁"),
    (S.QUESTIONS, "客户提出的问题已解答"),
    (S.FAULTS, "发现并排除的故障"),
    (S.SECURITY, "向客户通报最新安全公告"),
]
CONTACT_ITEMS = [
    (S.HEALTH, "客户反馈设备运行情况"),
    (S.QUESTIONS, "客户提出的问题已解答"),
    (S.SECURITY, "向客户通报最新安全公告"),
]


def _photo() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 280, 140), outline=(31, 78, 121), width=4)
    draw.ellipse((240, 80, 262, 102), fill=(200, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("alarm-led.png", out.getvalue(), content_type="image/png")


def _first_with_units(customers) -> Customer | None:
    for customer in customers:
        if customer.units.exists():
            return customer
    return None


def build_demo(*, now: datetime, rng: random.Random) -> str:
    """Add the inspection demo; returns a one-line summary."""
    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("username").first()
    engineer = User.objects.filter(username="engineer").first() or (
        User.objects.filter(role=Role.ENGINEER, is_active=True).order_by("username").first()
    )
    if manager is None or engineer is None:
        return "inspections: no manager or engineer in the demo, nothing added"
    customers = list(Customer.objects.filter(units__isnull=False).distinct().order_by("code"))
    first = Customer.objects.filter(name="重庆农村商业银行").first() or _first_with_units(customers)
    second = Customer.objects.filter(name="蜀都银行").first() or _first_with_units(
        [c for c in customers if c != first]
    )
    if first is None:
        return "inspections: no customer with units in the demo, nothing added"
    template = services.save_checklist_template(
        by=manager,
        name="密码设备月度巡检",
        items=[services.TemplateItem(section, label) for section, label in TEMPLATE_ITEMS],
        note="服务器密码机、签名验签服务器现场巡检",
    )
    light = services.save_checklist_template(
        by=manager,
        name="定期电话回访",
        items=[services.TemplateItem(section, label) for section, label in CONTACT_ITEMS],
    )
    today = local_date(now)
    units = list(first.units.select_related("site").order_by("serial")[:3])
    site = units[0].site
    plan = services.save_inspection_plan(
        by=manager,
        values={
            "name": f"{first.name} 月度巡检",
            "customer": first,
            "contract": Contract.objects.filter(customer=first, kind=Contract.Kind.INSPECTION_PLAN).first(),
            "frequency": Frequency.MONTHLY,
            "starts_on": today - timedelta(days=45),
            "template": template,
            "engineer": engineer,
            "centre": engineer.centre,
            "horizon_days": 60,
            "reminder_days": 3,
        },
        sites=[site] if site else [],
        units=[unit for unit in units if site is None or unit.site_id == site.pk],
    )
    past = services.generate_inspection_visits(now=now - timedelta(days=50), horizon_days=40, plans=[plan])
    done, *_rest = sorted(past, key=lambda visit: visit.due_on)
    _record_results(done, engineer=engineer, at=now - timedelta(days=44), rng=rng)
    created = len(past)
    if second is not None:
        contact_plan = services.save_inspection_plan(
            by=manager,
            values={
                "name": f"{second.name} 定期回访",
                "customer": second,
                "frequency": Frequency.EVERY_N_WEEKS,
                "every_weeks": 2,
                "starts_on": today + timedelta(days=2),
                "template": light,
                "engineer": engineer,
                "centre": engineer.centre,
                "is_remote_contact": True,
                "horizon_days": 30,
            },
        )
        created += len(services.generate_inspection_visits(now=now, plans=[contact_plan]))
    created += len(services.generate_inspection_visits(now=now, plans=[plan]))
    return f"inspections: 2 templates, 2 plans, {created} visits (1 done, 1 overdue)"


def _record_results(visit, *, engineer: User, at: datetime, rng: random.Random) -> None:
    checklist = visit.checklist
    results = list(visit.checklist_results.order_by("position"))
    attention = results[2]
    entries = [
        services.ResultEntry(result_id=result.pk, outcome=ChecklistResult.Outcome.OK, note="正常")
        for result in results
        if result != attention
    ]
    entries.append(
        services.ResultEntry(
            result_id=attention.pk,
            outcome=ChecklistResult.Outcome.ATTENTION,
            note="备份介质读取缓慢，建议更换。",
            photo=_photo(),
        )
    )
    services.save_checklist(checklist=checklist, by=engineer, entries=entries, at=at)
    attention.refresh_from_db()
    services.open_ticket_from_result(
        result=attention, by=engineer, severity=Severity.GENERAL, unit=visit.units.first(), at=at
    )
    services.complete_checklist(
        checklist=checklist,
        by=engineer,
        summary=rng.choice(["设备整体运行良好，备份介质需更换。", "整体良好；已告知客户更换备份介质。"]),
        at=at + timedelta(hours=1),
    )
