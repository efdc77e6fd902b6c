"""Each job's report PDF embeds the CJK font and holds the job's Chinese text, in both languages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.core.tests.test_pdf import needs_poppler, pdf_fonts, pdf_text
from aftersales.jobs import reports, services
from aftersales.jobs.tests import factories
from aftersales.jobs.tests.test_services import NOW

pytestmark = [pytest.mark.django_db, needs_poppler]


def _fonts_embedded(data: bytes, tmp_path) -> bool:
    fonts = pdf_fonts(data, tmp_path)
    return "WenQuanYi" in fonts and all(" yes " in line for line in fonts.splitlines()[2:] if line.strip())


def test_the_installation_report_shows_units_acceptance_and_warranty_in_chinese(cast, tmp_path):
    job = factories.installation(cast, now=NOW)
    services.add_installed_unit(
        job=job,
        by=cast.engineer,
        product_model=cast.model,
        serial="SJJ-2026-0001",
        shipped_on=date(2026, 2, 20),
        software_version="V3.2.1",
        now=NOW,
    )
    job = services.accept_installation(
        job=job, by=cast.engineer, accepted_by_name="李主任", accepted_on=date(2026, 3, 10), now=NOW
    )

    data = reports.job_report_pdf(job, language="zh-hans")

    assert _fonts_embedded(data, tmp_path)
    text = pdf_text(data, tmp_path)
    assert "SJJ-2026-0001" in text and "李主任" in text and "2029-03-09" in text and "2026-03-10" in text
    assert "重庆农村商业银行" in text
    english = pdf_text(reports.job_report_pdf(job, language="en"), tmp_path)
    assert "Installation and acceptance report" in english and "李主任" in english


def test_the_training_record_lists_attendees_scores_and_the_average(cast, tmp_path):
    session = factories.training(cast, starts_at=NOW - timedelta(hours=3), now=NOW - timedelta(days=1))
    people = services.add_attendees(
        session=session, by=cast.engineer, text="张三,科技部\n李四,科技部", now=NOW
    )
    services.record_feedback(
        session=session,
        by=cast.engineer,
        scores={people[0].pk: (5, "讲解清楚"), people[1].pk: (3, "")},
        now=NOW,
    )

    data = reports.job_report_pdf(session, language="zh-hans")

    assert _fonts_embedded(data, tmp_path)
    text = pdf_text(data, tmp_path)
    assert "张三" in text and "讲解清楚" in text and "密码机日常运维与故障排查" in text and "4.0 / 5" in text


def test_the_migration_report_holds_plan_window_steps_and_acceptance(cast, tmp_path):
    job = factories.migration(cast, now=NOW)
    services.upload_migration_plan(
        job=job, by=cast.engineer, upload=SimpleUploadedFile("迁移方案.docx", b"x"), now=NOW
    )
    start = NOW + timedelta(days=2)
    job = services.agree_change_window(
        job=job,
        by=cast.engineer,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        agreed_with="赵处长",
        now=NOW,
    )
    during = start + timedelta(hours=1)
    services.record_migration_step(job=job, by=cast.engineer, description="导出密钥备份", now=during)
    services.record_migration_result(job=job, by=cast.engineer, result="succeeded", now=during)
    job = services.accept_migration(job=job, by=cast.engineer, accepted_by_name="赵处长", now=during)

    data = reports.job_report_pdf(job, language="zh-hans")

    assert _fonts_embedded(data, tmp_path)
    text = pdf_text(data, tmp_path)
    assert "迁移方案.docx" in text and "导出密钥备份" in text and "赵处长" in text
    assert "2026-03-14 10:00" in text
