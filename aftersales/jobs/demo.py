"""The demo's jobs: an accepted installation, a training held with scores, a migration planned.

Built on top of the demo vendor (its users by username, its customers by code) through the jobs
services, so each job is a real ticket of its kind with its clocks, timeline and report.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction

from aftersales.accounts.models import User
from aftersales.core.business_time import local_date
from aftersales.customers.models import Customer
from aftersales.jobs import services
from aftersales.tickets.models import Channel
from aftersales.units.models import ProductModel

ATTENDEES = [
    ("何晓东", "科技部", 5, "讲解清楚，实操充分"),
    ("罗佳", "科技部", 4, "希望多一些故障案例"),
    ("邓磊", "运行维护中心", 5, ""),
    ("谢芳", "运行维护中心", 4, "课件很实用"),
    ("唐杰", "信息安全处", 3, "时间有点紧"),
    ("冯雪", "信息安全处", 5, ""),
]


def build_demo(*, now: datetime, rng: random.Random) -> str:
    """Add one job of each kind to the demo; returns a one-line summary."""
    users = {
        user.username: user for user in User.objects.filter(username__in=["specialist", "engineer", "lead"])
    }
    specialist, engineer, lead = users["specialist"], users["engineer"], users["lead"]
    with transaction.atomic():
        installation = _installation(now=now, rng=rng, by=specialist, engineer=engineer, lead=lead)
        training = _training(now=now, by=specialist, engineer=engineer)
        migration = _migration(now=now, by=specialist, engineer=engineer, lead=lead)
    return (
        f"jobs: installation {installation} accepted, training {training} with scores, "
        f"migration {migration} planned"
    )


def _installation(*, now, rng, by, engineer, lead) -> str:
    customer = Customer.objects.get(code="yuzhou-bank")
    site = customer.sites.order_by("id").first()
    opened = now - timedelta(days=12)
    job = services.start_installation(
        by=by,
        request=services.JobRequest(
            customer=customer,
            title="新购服务器密码机安装调试",
            description="两台 SJJ1310 服务器密码机上架、双机热备配置、与核心系统联调。",
            site=site,
            channel=Channel.EMAIL,
        ),
        commissioning_notes="",
        now=opened,
    )
    services.schedule_job_visit(
        job=job,
        by=lead,
        planned_start=opened + timedelta(days=2),
        purpose="上架、加电、双机热备配置与联调",
        engineers=[engineer],
        now=opened,
    )
    model = ProductModel.objects.get(code="SJJ1310")
    shipped = local_date(opened) - timedelta(days=5)
    for index in range(2):
        services.add_installed_unit(
            job=job,
            by=engineer,
            product_model=model,
            serial=f"HSJ-YZ-{local_date(now).year}{rng.randint(1000, 9999)}{index}",
            shipped_on=shipped,
            site=site,
            licensed_features=["sm2", "sm3", "sm4", "ha"],
            software_version="4.2.1",
            now=opened + timedelta(days=2, hours=index),
        )
    services.update_commissioning_notes(
        job=job,
        by=engineer,
        notes="双机热备切换测试通过；SM2 签名 1200 次/秒；与核心系统联调完成。",
        now=opened + timedelta(days=3),
    )
    services.accept_installation(
        job=job,
        by=engineer,
        accepted_by_name="渝州银行 科技部 刘主任",
        accepted_on=local_date(opened + timedelta(days=4)),
        now=opened + timedelta(days=4),
    )
    return job.ticket.number


def _training(*, now, by, engineer) -> str:
    customer = Customer.objects.get(code="cqrcb")
    starts = now - timedelta(days=6)
    session = services.start_training(
        by=by,
        request=services.JobRequest(
            customer=customer, title="密码设备运维培训", description="科技部运维人员年度培训。"
        ),
        topic="服务器密码机日常运维与故障排查",
        trainer=engineer,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        place="总行数据中心三楼培训室",
        now=starts - timedelta(days=7),
    )
    lines = "\n".join(f"{name}, {customer.name}, {department}" for name, department, _, _ in ATTENDEES)
    attendees = services.add_attendees(session=session, by=engineer, text=lines, now=starts)
    services.record_feedback(
        session=session,
        by=engineer,
        now=starts + timedelta(hours=4),
        scores={
            a.pk: (score, comment) for a, (_, _, score, comment) in zip(attendees, ATTENDEES, strict=True)
        },
    )
    services.attach_training_material(
        session=session,
        by=engineer,
        now=starts,
        upload=ContentFile("服务器密码机运维手册（培训版）\n".encode(), name="运维手册.txt"),
    )
    services.record_training_held(
        session=session, by=engineer, summary="按计划完成，含双机切换实操。", now=starts + timedelta(hours=4)
    )
    return session.ticket.number


def _migration(*, now, by, engineer, lead) -> str:
    customer = Customer.objects.get(code="cq-psb")
    opened = now - timedelta(days=3)
    job = services.start_migration(
        by=by,
        request=services.JobRequest(
            customer=customer, title="签名验签服务器迁移至新机房", description="指挥中心机房搬迁。"
        ),
        scope="两台 SVS1800 签名验签服务器及证书链从旧机房迁至新指挥中心机房，业务不中断。",
        now=opened,
    )
    services.upload_migration_plan(
        job=job,
        by=engineer,
        now=opened,
        upload=ContentFile(
            "迁移方案：备份、停机、搬迁、恢复、验证、回退预案。\n".encode(), name="迁移方案.txt"
        ),
    )
    window = now + timedelta(days=5)
    window = window.replace(hour=14, minute=0, second=0, microsecond=0)  # 22:00 in Shanghai
    services.agree_change_window(
        job=job,
        by=engineer,
        starts_at=window,
        ends_at=window + timedelta(hours=6),
        agreed_with="重庆市公安局 信息通信处 王科长",
        now=opened + timedelta(days=1),
    )
    services.schedule_job_visit(
        job=job,
        by=lead,
        planned_start=window - timedelta(hours=1),
        planned_end=window + timedelta(hours=7),
        purpose="变更窗口内实施迁移",
        engineers=[engineer],
        now=opened + timedelta(days=1),
    )
    return job.ticket.number
