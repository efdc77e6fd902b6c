"""The engineer fills in an inspection checklist on a phone, opens a ticket and completes it."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from PIL import Image

from aftersales.core.business_time import local_date
from aftersales.inspections import services
from aftersales.inspections.models import ChecklistResult, Frequency, VisitChecklist
from aftersales.portal.tests.test_journey import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def phone(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = chromium.new_context(base_url=live_server.url, locale="en-US", **PHONE)
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        connections.close_all()
        context.close()
        chromium.close()


def test_the_engineer_checks_every_item_on_a_phone_and_opens_a_ticket_for_a_fault(
    phone, cast, make_plan, tmp_path
):
    today = local_date(timezone.now())
    make_plan(frequency=Frequency.EVERY_N_WEEKS, every_weeks=4, starts_on=today + timedelta(days=1))
    (visit,) = services.generate_inspection_visits(horizon_days=10)
    photo = tmp_path / "alarm.png"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, format="PNG")
    photo.write_bytes(out.getvalue())
    first, second, *rest = list(visit.checklist_results.order_by("position"))

    phone.goto("/desk/login/")
    phone.fill("input[name=username]", "engineer")
    phone.fill("input[name=password]", "demo")
    phone.click("button.primary")
    phone.wait_for_url(re.compile(r".*/desk/$"))
    phone.goto(f"/desk/inspections/visits/{visit.number}/checklist/")
    phone.check(f"input[name=outcome_{first.pk}][value=ok]")
    phone.check(f"input[name=outcome_{second.pk}][value=fault]")
    phone.fill(f"textarea[name=note_{second.pk}]", "密钥备份介质损坏")
    phone.set_input_files(f"input[name=photo_{second.pk}]", str(photo))
    phone.click("button[name=action][value=save]")
    phone.wait_for_selector("text=Progress saved.")
    phone.click("text=Open a ticket for this")
    phone.wait_for_selector("text=opened.")
    for result in rest:
        phone.check(f"input[name=outcome_{result.pk}][value=ok]")
    phone.screenshot(path=str(ARTIFACTS / "inspection-checklist-phone.png"), full_page=True)
    phone.click("button[name=action][value=complete]")
    phone.wait_for_selector("text=Checklist completed.")

    faulty = ChecklistResult.objects.get(pk=second.pk)
    assert faulty.outcome == "fault" and faulty.note == "密钥备份介质损坏" and faulty.photo
    assert faulty.ticket is not None and faulty.ticket.unit == cast.unit
    assert VisitChecklist.objects.get(visit=visit).completed_at is not None
