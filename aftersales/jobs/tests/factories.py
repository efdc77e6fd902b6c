"""Jobs built through the services (a job is a ticket of its kind plus its record)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from aftersales.jobs import services
from aftersales.jobs.models import InstallationJob, MigrationJob, TrainingSession


def installation(cast, customer=None, *, now: datetime | None = None) -> InstallationJob:
    customer = customer or cast.first
    site = cast.site1 if customer == cast.first else cast.site2
    return services.start_installation(
        by=cast.specialist,
        request=services.JobRequest(
            customer=customer,
            title="新购密码机安装调试",
            description="两台 SJJ1507 上架、配置、联调。",
            site=site,
        ),
        now=now,
    )


def training(
    cast, customer=None, *, starts_at: datetime | None = None, now: datetime | None = None
) -> TrainingSession:
    customer = customer or cast.first
    return services.start_training(
        by=cast.specialist,
        request=services.JobRequest(customer=customer, title="密码机运维培训", description="运维人员培训。"),
        topic="密码机日常运维与故障排查",
        trainer=cast.engineer,
        starts_at=starts_at or timezone.now(),
        place="科技部三楼会议室",
        now=now,
    )


def migration(cast, customer=None, *, now: datetime | None = None) -> MigrationJob:
    customer = customer or cast.first
    return services.start_migration(
        by=cast.specialist,
        request=services.JobRequest(customer=customer, title="签名服务器迁移", description="迁移到新机房。"),
        scope="签名验签服务器从旧机房迁至新数据中心",
        now=now,
    )
