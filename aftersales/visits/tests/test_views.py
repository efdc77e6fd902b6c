"""The desk pages of visits: board, dispatch, the engineer's phone steps, the report PDF, the panel."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.commitments.models import Clock, Milestone
from aftersales.core.tests.test_pdf import needs_poppler, pdf_fonts, pdf_text
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.tests.test_services import clock_of
from aftersales.visits import services
from aftersales.visits.models import ServiceReport, Visit, VisitEngineer
from aftersales.visits.tests.conftest import SIGNATURE, WHY, dispatch, open_fault

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def ticket(cast, unit, contact, now):
    return open_fault(cast, unit, contact, at=now - timedelta(hours=1))


def _code(contact) -> str:
    body = OutboxMessage.objects.filter(kind="visit_arrival_code", address=contact.mobile).latest("id").body
    return re.search(r"(\d{6})\s*$", body).group(1)


def test_the_lead_dispatches_from_the_ticket_and_sees_free_engineers_and_clocks(
    client, cast, ticket, contact
):
    client.force_login(cast.lead)

    page = client.get(f"/desk/visits/dispatch/{ticket.number}/")
    assert page.status_code == 200
    assert "engineer" in page.content.decode() and "Free" in page.content.decode()

    refused = client.post(
        f"/desk/visits/dispatch/{ticket.number}/",
        {
            "dispatch-kind": "onsite_repair",
            "dispatch-engineers": [cast.engineer.pk],
            "dispatch-planned_start": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "dispatch-purpose": "更换主板",
        },
    )
    assert refused.status_code == 400 and "why remote support" in refused.content.decode()
    assert not Visit.objects.exists()

    done = client.post(
        f"/desk/visits/dispatch/{ticket.number}/",
        {
            "dispatch-kind": "onsite_repair",
            "dispatch-engineers": [cast.engineer.pk],
            "dispatch-planned_start": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "dispatch-purpose": "更换主板",
            "dispatch-why_remote_failed": WHY,
            "dispatch-onsite_contact": contact.pk,
        },
    )
    visit = Visit.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/desk/visits/{visit.number}/"
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).status == Clock.Status.RUNNING
    panel = client.get(f"/desk/visits/ticket/{ticket.number}/panel/").content.decode()
    assert visit.number in panel and "Dispatch a visit" in panel


def test_the_engineer_cannot_dispatch_and_a_customer_gets_no_desk_page(client, cast, ticket):
    client.force_login(cast.engineer)
    assert client.get(f"/desk/visits/dispatch/{ticket.number}/").status_code == 403
    assert (
        "Dispatch a visit" not in client.get(f"/desk/visits/ticket/{ticket.number}/panel/").content.decode()
    )
    client.force_login(cast.customer1)
    assert client.get("/desk/visits/").status_code == 403


def test_the_ticket_page_no_longer_offers_a_bare_record_arrival(client, cast, ticket):
    client.force_login(cast.engineer)
    page = client.get(f"/desk/tickets/{ticket.number}/")
    assert "record_arrival" not in {form.name for form in page.context["forms"]}


def test_the_engineer_works_the_visit_on_the_phone_page(client, cast, ticket, contact):
    visit = dispatch(cast, ticket, at=timezone.now() - timedelta(minutes=50))
    client.force_login(cast.engineer)
    base = f"/desk/my-visits/{visit.number}/"

    assert visit.number in client.get("/desk/my-visits/").content.decode()
    for step in ("accept", "travel"):
        assert client.post(base + f"{step}/").status_code == 302
    assert client.post(base + "check_in/", {"check_in-note": "三楼机房"}).status_code == 302
    page = client.get(base).content.decode()
    assert "Unconfirmed arrival" in page
    wrong = client.post(base + "code/", {"code-code": "abc"})
    assert wrong.status_code == 400 and "Wrong code" in wrong.content.decode()
    assert client.post(base + "code/", {"code-code": _code(contact)}).status_code == 302
    assert VisitEngineer.objects.get(visit=visit).is_arrival_confirmed
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).status == Clock.Status.MET

    client.post(base + "report/", {"report-findings": "主板通讯芯片损坏", "report-work_done": "更换主板"})
    signed = client.post(base + "sign/", {"sign-name": "李主任", "sign-signature": SIGNATURE})
    assert signed.status_code == 302
    assert client.post(base + "leave/").status_code == 302

    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED
    assert ServiceReport.objects.get(visit=visit).sign_off == "drawn"


def test_another_engineer_cannot_work_someone_elses_visit(client, cast, ticket):
    visit = dispatch(cast, ticket)
    client.force_login(cast.rnd)
    assert client.post(f"/desk/my-visits/{visit.number}/accept/").status_code == 404


def test_the_board_flags_overdue_and_unconfirmed_in_a_fixed_number_of_queries(
    client, cast, ticket, django_assert_max_num_queries
):
    past = timezone.now() - timedelta(days=3)
    for _ in range(3):
        visit = dispatch(cast, ticket, at=past)
        services.check_in(visit=visit, engineer=cast.engineer, at=past + timedelta(hours=2))
    client.force_login(cast.lead)

    with django_assert_max_num_queries(14):
        page = client.get("/desk/visits/")

    html = page.content.decode()
    assert html.count("Overdue") >= 3 and html.count("Unconfirmed arrival") >= 3


def test_replanning_from_the_visit_page_tells_the_contact(client, cast, ticket, contact):
    visit = dispatch(cast, ticket)
    client.force_login(cast.lead)
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    stale = client.post(
        f"/desk/visits/{visit.number}/replan/",
        {"replan-planned_start": start, "replan-reason": "停电", "replan-version": visit.version + 5},
    )
    assert stale.status_code == 409
    done = client.post(
        f"/desk/visits/{visit.number}/replan/",
        {"replan-planned_start": start, "replan-reason": "停电", "replan-version": visit.version},
    )
    assert done.status_code == 302
    assert OutboxMessage.objects.filter(kind="visit_replanned", address=contact.mobile).exists()


def _completed(cast, ticket, *, findings="主板通讯芯片损坏"):
    at = timezone.now() - timedelta(minutes=40)
    visit = dispatch(cast, ticket, at=at - timedelta(minutes=5))
    check = services.check_in(visit=visit, engineer=cast.engineer, at=at)
    services.confirm_arrival_with_code(visit=visit, engineer=cast.engineer, code=check.code)
    services.write_report(
        visit=visit, by=cast.engineer, findings=findings, work_done="更换主板，签名测试通过"
    )
    services.sign_report(visit=visit, name="李主任", by=cast.engineer, signature=SIGNATURE)
    services.leave_site(visit=visit, engineer=cast.engineer)
    return visit


@needs_poppler
def test_the_report_pdf_holds_the_chinese_text_with_the_cjk_font_embedded(client, cast, ticket, tmp_path):
    visit = _completed(cast, ticket)
    client.force_login(cast.lead)

    chinese = client.get(f"/desk/visits/{visit.number}/report.pdf?language=zh-hans")
    english = client.get(f"/desk/visits/{visit.number}/report.pdf?language=en")

    assert chinese["Content-Type"] == "application/pdf"
    fonts = pdf_fonts(chinese.content, tmp_path)
    assert "WenQuanYi" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip()), fonts
    text = pdf_text(chinese.content, tmp_path)
    assert "主板通讯芯片损坏" in text and visit.number in text and "李主任" in text
    english_text = pdf_text(english.content, tmp_path)
    assert "Service report" in english_text and "更换主板" in english_text


def test_the_report_pdf_fetches_nothing_whatever_the_text_holds(client, cast, ticket, monkeypatch):
    from aftersales.core import pdf

    asked: list[str] = []
    real = pdf._fetcher_class()

    class Recording(real):
        def fetch(self, url, headers=None):
            asked.append(url)
            return super().fetch(url, headers)

    monkeypatch.setattr(pdf, "_fetcher_class", lambda: Recording)
    visit = _completed(
        cast, ticket, findings='<img src="http://evil.example/x.png"> url(http://evil.example/a)'
    )
    client.force_login(cast.lead)

    response = client.get(f"/desk/visits/{visit.number}/report.pdf")

    assert response.status_code == 200
    assert all(url.startswith(("static:", "data:")) for url in asked), asked


def test_the_stamped_copy_is_stored_and_a_wrong_file_type_refused(client, cast, ticket, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    visit = _completed(cast, ticket)
    client.force_login(cast.engineer)
    url = f"/desk/visits/{visit.number}/stamped/"

    refused = client.post(url, {"stamped-scan": SimpleUploadedFile("x.exe", b"MZ")})
    stored = client.post(url, {"stamped-scan": SimpleUploadedFile("盖章.pdf", b"%PDF-1.4 stamped")})

    assert refused.status_code == 400 and "PDF, JPEG or PNG" in refused.content.decode()
    assert stored.status_code == 302
    report = ServiceReport.objects.get(visit=visit)
    assert report.stamped_scan.read() == b"%PDF-1.4 stamped"
    download = client.get(f"/desk/visits/{visit.number}/stamped/download/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 stamped"
