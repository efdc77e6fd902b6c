"""The desk's jobs pages: start a job from a customer or a ticket, work it, download its report."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from aftersales.jobs import services
from aftersales.jobs.models import InstallationJob, TrainingSession
from aftersales.jobs.tests import factories
from aftersales.tickets.models import Channel, Kind, Ticket
from aftersales.tickets.services import open_ticket
from aftersales.units.models import Unit

pytestmark = pytest.mark.django_db


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_specialist_starts_a_training_from_a_customer(cast, client):
    client.force_login(cast.specialist)
    starts = timezone.now() + timedelta(days=5)

    response = client.post(
        "/desk/jobs/new/training/",
        {
            "request-customer": cast.first.pk,
            "request-title": "运维培训",
            "request-description": "新上线设备的运维培训",
            "job-topic": "密码机运维",
            "job-trainer": cast.engineer.pk,
            "job-starts_at": _local(starts),
            "job-place": "三楼会议室",
        },
    )

    session = TrainingSession.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/desk/jobs/ticket/{session.ticket.number}/"
    )
    assert session.ticket.kind == Kind.TRAINING and session.ticket.customer == cast.first
    page = client.get(response["Location"])
    assert page.status_code == 200 and "密码机运维" in page.content.decode()


def test_a_job_form_with_a_foreign_site_is_refused_and_creates_nothing(cast, client):
    client.force_login(cast.specialist)

    response = client.post(
        "/desk/jobs/new/installation/",
        {
            "request-customer": cast.first.pk,
            "request-site": cast.site2.pk,
            "request-title": "安装",
            "request-description": "安装两台",
        },
    )

    assert response.status_code == 400 and "another customer" in response.content.decode()
    assert not Ticket.objects.exists() and not InstallationJob.objects.exists()


def test_the_panel_of_a_job_ticket_offers_to_start_then_links_the_job(cast, client):
    ticket = open_ticket(
        by=cast.specialist,
        kind=Kind.MIGRATION,
        channel=Channel.PHONE,
        customer=cast.first,
        title="迁移",
        description="迁移到新机房",
    )
    client.force_login(cast.specialist)

    panel = client.get(f"/desk/jobs/ticket/{ticket.number}/panel/").content.decode()
    assert f"/desk/jobs/new/migration/?ticket={ticket.number}" in panel

    response = client.post(f"/desk/jobs/new/migration/?ticket={ticket.number}", {"job-scope": "签名服务器"})
    assert response.status_code == 302
    panel = client.get(f"/desk/jobs/ticket/{ticket.number}/panel/").content.decode()
    assert f"/desk/jobs/ticket/{ticket.number}/" in panel and "report.pdf" in panel


def test_the_panel_of_a_fault_is_not_found(cast, client):
    job = factories.installation(cast)
    fault = Ticket.objects.filter(pk=job.ticket.pk)
    fault.update(kind=Kind.FAULT)
    client.force_login(cast.specialist)

    assert client.get(f"/desk/jobs/ticket/{job.ticket.number}/panel/").status_code == 404


def test_an_engineer_installs_units_and_records_the_acceptance_on_the_page(cast, client):
    job = factories.installation(cast)
    client.force_login(cast.engineer)
    base = f"/desk/jobs/ticket/{job.ticket.number}/"

    response = client.post(
        base + "unit/",
        {
            "unit-product_model": cast.model.pk,
            "unit-serial": "SJJ-NEW-1",
            "unit-shipped_on": "2026-01-10",
            "unit-licensed_features": "sm2, sm4",
            "unit-software_version": "V3.2",
        },
    )
    assert response.status_code == 302
    response = client.post(
        base + "accept/", {"accept-accepted_by_name": "李主任", "accept-accepted_on": "2026-02-01"}
    )
    assert response.status_code == 302

    unit = Unit.objects.get(serial="SJJ-NEW-1")
    assert unit.accepted_on == date(2026, 2, 1) and unit.licensed_features == ["sm2", "sm4"]
    assert unit.site == cast.site1


def test_a_refused_action_shows_why_and_changes_nothing(cast, client):
    job = factories.installation(cast)
    client.force_login(cast.engineer)

    response = client.post(
        f"/desk/jobs/ticket/{job.ticket.number}/accept/",
        {"accept-accepted_by_name": "李主任", "accept-accepted_on": "2026-02-01"},
    )

    assert response.status_code == 400 and "Add the installed units" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "planned"


def test_leadership_reads_a_job_but_may_not_change_it(cast, client):
    session = factories.training(cast)
    client.force_login(cast.leader)

    assert client.get(f"/desk/jobs/ticket/{session.ticket.number}/").status_code == 200
    response = client.post(
        f"/desk/jobs/ticket/{session.ticket.number}/attendees/", {"attendees-text": "张三"}
    )
    assert response.status_code == 403 and not session.attendees.exists()


def test_customers_may_not_use_the_desk_pages(cast, client):
    session = factories.training(cast)
    client.force_login(cast.customer1)

    assert client.get(f"/desk/jobs/ticket/{session.ticket.number}/").status_code == 403
    assert client.get("/desk/jobs/").status_code == 403


def test_feedback_and_materials_on_the_training_page(cast, client):
    session = factories.training(cast, starts_at=timezone.now() - timedelta(hours=1))
    client.force_login(cast.engineer)
    base = f"/desk/jobs/ticket/{session.ticket.number}/"
    client.post(base + "attendees/", {"attendees-text": "张三,科技部\n李四,科技部"})
    first, second = session.attendees.all()

    client.post(
        base + "feedback/",
        {
            f"feedback-score_{first.pk}": "5",
            f"feedback-comment_{first.pk}": "好",
            f"feedback-score_{second.pk}": "2",
        },
    )
    client.post(base + "material/", {"file-file": SimpleUploadedFile("slides.pdf", b"%PDF slides")})

    page = client.get(base).content.decode()
    assert "3.5 / 5" in page and "slides.pdf" in page and "Attendees added" in page
    material = session.materials.get()
    download = client.get(f"{base}files/{material.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF slides"


def test_the_report_downloads_in_both_languages(cast, client):
    job = factories.migration(cast)
    client.force_login(cast.specialist)

    for language in ("zh-hans", "en"):
        response = client.get(f"/desk/jobs/ticket/{job.ticket.number}/report.pdf?lang={language}")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get(f"/desk/jobs/ticket/{job.ticket.number}/report.pdf?lang=xx").status_code == 404


def test_the_job_list_shows_every_kind_in_a_fixed_number_of_queries(
    cast, client, django_assert_max_num_queries
):
    for _ in range(3):
        factories.installation(cast)
        factories.training(cast)
        factories.migration(cast)
    client.force_login(cast.specialist)

    with django_assert_max_num_queries(16):
        response = client.get("/desk/jobs/")

    assert response.content.decode().count("/desk/jobs/ticket/") == 9


def test_a_dispatcher_plans_the_visit_from_the_job_page(cast, client):
    job = factories.installation(cast)
    services.add_installed_unit(
        job=job, by=cast.engineer, product_model=cast.model, serial="V-1", shipped_on=date(2026, 1, 5)
    )
    client.force_login(cast.lead)

    response = client.post(
        f"/desk/jobs/ticket/{job.ticket.number}/visit/",
        {
            "visit-planned_start": _local(timezone.now() + timedelta(days=2)),
            "visit-purpose": "上架调试",
            "visit-engineers": [cast.engineer.pk],
        },
    )

    assert response.status_code == 302
    visit = job.ticket.visits.get()
    assert visit.kind == "installation" and list(visit.crew.values_list("engineer", flat=True)) == [
        cast.engineer.pk
    ]
