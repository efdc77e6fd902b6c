"""The desk pages of inspections: board, plans, templates, the checklist page, the report PDF."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.core.business_time import local_date
from aftersales.inspections import services
from aftersales.inspections.models import ChecklistTemplate, Frequency, InspectionPlan
from aftersales.inspections.tests.test_checklist import png
from aftersales.visits.models import VisitEvent

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils missing")


@pytest.fixture
def as_user(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def visits(cast, make_plan):
    """Two visits of a weekly plan: one overdue (due three weeks ago), one upcoming."""
    today = local_date(timezone.now())
    make_plan(frequency=Frequency.EVERY_N_WEEKS, every_weeks=4, starts_on=today - timedelta(days=21))
    now = timezone.now()
    past = services.generate_inspection_visits(now=now - timedelta(days=24), horizon_days=5)
    future = services.generate_inspection_visits(now=now, horizon_days=30)
    return past + future


def test_the_board_shows_overdue_visits_as_such(as_user, cast, visits, django_assert_max_num_queries):
    client = as_user(cast.lead)
    with django_assert_max_num_queries(12):
        response = client.get("/desk/inspections/?state=overdue")
    text = response.content.decode()
    overdue = [v for v in visits if v.due_on < local_date(timezone.now())]
    assert response.status_code == 200 and overdue
    assert overdue[0].number in text and 'class="state overdue"' in text
    assert all(v.number not in text for v in visits if v not in overdue)


def test_the_board_filters_by_customer_and_centre(as_user, cast, visits):
    client = as_user(cast.lead)
    assert (
        visits[0].number not in client.get(f"/desk/inspections/?customer={cast.second.pk}").content.decode()
    )
    assert visits[0].number in client.get(f"/desk/inspections/?centre={cast.centre.pk}").content.decode()


def test_the_board_query_count_does_not_grow_with_visits(
    as_user, cast, make_plan, django_assert_max_num_queries
):
    make_plan(frequency=Frequency.EVERY_N_WEEKS, every_weeks=1, starts_on=local_date(timezone.now()))
    services.generate_inspection_visits(horizon_days=120)
    client = as_user(cast.lead)
    with django_assert_max_num_queries(12):
        response = client.get("/desk/inspections/")
    assert response.content.decode().count("/checklist/") >= 15


def test_customers_and_people_without_the_capability_are_kept_out(as_user, cast, visits):
    assert as_user(cast.customer1).get("/desk/inspections/").status_code == 403
    assert as_user(cast.specialist).get("/desk/inspections/").status_code == 403
    assert as_user(cast.engineer).get("/desk/inspections/plans/").status_code == 403


def test_a_planner_creates_a_template_and_a_plan_from_the_desk(as_user, cast):
    client = as_user(cast.manager)
    response = client.post(
        "/desk/inspections/templates/new/",
        {
            "name": "半年巡检",
            "is_active": "on",
            "section_health": "电源\n风扇\n\n",
            "section_security": "安全公告",
        },
    )
    assert response.status_code == 302
    template = ChecklistTemplate.objects.get(name="半年巡检")
    assert [(i.section, i.label) for i in template.items.all()] == [
        ("health", "电源"),
        ("health", "风扇"),
        ("security", "安全公告"),
    ]

    response = client.post(
        "/desk/inspections/plans/new/",
        {
            "name": "渝北半年巡检",
            "customer": cast.first.pk,
            "sites": [cast.site.pk],
            "units": [cast.unit.pk],
            "frequency": "half_yearly",
            "starts_on": "2027-01-11",
            "template": template.pk,
            "engineer": cast.engineer.pk,
            "horizon_days": 60,
            "reminder_days": 5,
            "is_active": "on",
        },
    )
    plan = InspectionPlan.objects.get(name="渝北半年巡检")
    assert response.status_code == 302 and response.url == f"/desk/inspections/plans/{plan.pk}/"
    assert list(plan.units.all()) == [cast.unit] and plan.reminder_days == 5
    assert client.get(response.url).status_code == 200
    assert "渝北半年巡检" in client.get("/desk/inspections/plans/").content.decode()


def test_a_bad_plan_is_shown_again_with_the_reason_and_nothing_is_saved(as_user, cast):
    response = as_user(cast.lead).post(
        "/desk/inspections/plans/new/",
        {
            "name": "x",
            "customer": cast.first.pk,
            "frequency": "monthly",
            "starts_on": "2027-01-11",
            "template": cast.template.pk,
            "horizon_days": 60,
            "reminder_days": 3,
        },
    )
    assert response.status_code == 400
    assert "responsible engineer or service centre" in response.content.decode()
    assert not InspectionPlan.objects.exists()


def test_the_engineer_fills_in_the_checklist_on_the_phone_page_and_opens_a_ticket(as_user, cast, visits):
    visit = visits[-1]
    client = as_user(cast.engineer)
    url = f"/desk/inspections/visits/{visit.number}/checklist/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="viewport"' in page.content.decode()
    results = list(visit.checklist_results.order_by("position"))
    data = {"version": visit.checklist.version, "action": "save", f"outcome_{results[0].pk}": "fault"}
    data |= {f"note_{results[0].pk}": "告警灯常亮", f"photo_{results[0].pk}": png()}

    assert client.post(url, data).status_code == 302
    results[0].refresh_from_db()
    assert results[0].outcome == "fault" and results[0].photo
    assert client.get(reverse("desk:inspection_photo", args=[visit.number, results[0].pk])).status_code == 200

    response = client.post(
        reverse("desk:inspection_result_ticket", args=[visit.number, results[0].pk]), {"severity": "general"}
    )
    assert response.status_code == 302
    results[0].refresh_from_db()
    assert results[0].ticket is not None
    assert results[0].ticket.number in client.get(url).content.decode()


def test_completing_with_items_missing_answers_400_and_keeps_the_checklist_open(as_user, cast, visits):
    visit = visits[-1]
    response = as_user(cast.engineer).post(
        f"/desk/inspections/visits/{visit.number}/checklist/",
        {"version": visit.checklist.version, "action": "complete"},
    )
    assert response.status_code == 400 and "every item" in response.content.decode()
    visit.checklist.refresh_from_db()
    assert not visit.checklist.is_completed
    assert not VisitEvent.objects.filter(kind="checklist_completed").exists()


def test_another_engineer_may_look_but_not_save(as_user, cast, visits):
    visit = visits[-1]
    client = as_user(cast.other_engineer)
    url = f"/desk/inspections/visits/{visit.number}/checklist/"
    result = visit.checklist_results.first()
    response = client.post(url, {"version": visit.checklist.version, f"outcome_{result.pk}": "ok"})
    assert response.status_code == 403
    result.refresh_from_db()
    assert result.outcome == ""


def test_an_unknown_visit_is_a_404(as_user, cast):
    assert as_user(cast.lead).get("/desk/inspections/visits/VS-2026-999999/checklist/").status_code == 404


def _pdf_tool(tool: str, data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    args = [tool, str(path)] if tool == "pdffonts" else [tool, "-layout", str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@needs_poppler
def test_the_report_pdf_holds_the_chinese_results_and_embeds_the_cjk_font(as_user, cast, visits, tmp_path):
    visit = visits[-1]
    results = list(visit.checklist_results.order_by("position"))
    services.save_checklist(
        checklist=visit.checklist,
        by=cast.engineer,
        entries=[
            services.ResultEntry(result_id=results[0].pk, outcome="ok", note="设备运行正常", photo=png()),
            services.ResultEntry(result_id=results[1].pk, outcome="fault", note="密钥备份介质损坏"),
        ],
    )
    ticket = services.open_ticket_from_result(
        result=visit.checklist_results.get(outcome="fault"), by=cast.engineer
    )

    response = as_user(cast.lead).get(f"/desk/inspections/visits/{visit.number}/report.pdf?lang=zh-hans")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    fonts = _pdf_tool("pdffonts", response.content, tmp_path)
    assert "WenQuanYi" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip()), fonts
    text = _pdf_tool("pdftotext", response.content, tmp_path)
    assert "设备运行正常" in text and "密钥备份介质损坏" in text and "重庆农村商业银行" in text
    assert ticket.number in text and visit.number in text and "SJJ-CQ-0001" in text
    assert "巡检" in text  # the document's own headings in Chinese

    english = as_user(cast.lead).get(f"/desk/inspections/visits/{visit.number}/report.pdf?lang=en")
    text = _pdf_tool("pdftotext", english.content, tmp_path)
    assert "Inspection report" in text and "设备运行正常" in text and "System health" in text
