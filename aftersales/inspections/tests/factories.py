"""Factories of inspections: a template with one item per section, and a quarterly plan."""

from __future__ import annotations

from datetime import date

import factory

from aftersales.customers.tests.factories import CustomerFactory
from aftersales.inspections.models import ChecklistItem, ChecklistTemplate, Frequency, InspectionPlan


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistTemplate
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"密码机季度巡检 {n}")

    @factory.post_generation
    def with_items(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for position, (section, label) in enumerate(
            [
                (ChecklistItem.Section.HEALTH, "设备运行状态与告警灯"),
                (ChecklistItem.Section.HEALTH, "密钥备份完好"),
                (ChecklistItem.Section.QUESTIONS, "解答客户关于证书更新的问题"),
                (ChecklistItem.Section.SECURITY, "通报最新安全公告"),
            ]
        ):
            ChecklistItem.objects.create(template=self, section=section, label=label, position=position)


class InspectionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionPlan
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"巡检计划 {n}")
    customer = factory.SubFactory(CustomerFactory)
    frequency = Frequency.QUARTERLY
    starts_on = date(2026, 1, 5)
    template = factory.SubFactory(ChecklistTemplateFactory)
