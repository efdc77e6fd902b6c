"""An engineer records a training on a phone: attendees typed one a line, scores, the average.

Debian's chromium through Playwright against the live server, phone viewport; the screenshot
lands in ``test-artifacts/`` (look at it: text assertions pass even when boxes are drawn).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from aftersales.jobs.models import TrainingAttendee
from aftersales.jobs.tests import factories
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
        context = chromium.new_context(base_url=live_server.url, locale="en", **PHONE)
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        connections.close_all()
        context.close()
        chromium.close()


def test_an_engineer_enters_attendees_and_scores_on_a_phone(phone, cast):
    from playwright.sync_api import expect

    session = factories.training(cast, starts_at=timezone.now() - timedelta(hours=2))
    phone.goto("/desk/login/")
    phone.fill("input[name=username]", "engineer")
    phone.fill("input[name=password]", "demo")
    phone.click("button.primary")
    phone.wait_for_url(re.compile(r".*/desk/$"))

    phone.goto(f"/desk/jobs/ticket/{session.ticket.number}/")
    phone.fill("#form-attendees textarea", "张三, 科技部, 运维组\n李四, 科技部\n")
    phone.locator("#form-attendees button").click()
    expect(phone.locator("#form-feedback")).to_contain_text("李四")

    first, second = TrainingAttendee.objects.filter(session=session).order_by("id")
    phone.select_option(f"select[name=feedback-score_{first.pk}]", "5")
    phone.select_option(f"select[name=feedback-score_{second.pk}]", "4")
    phone.fill(f"input[name=feedback-comment_{first.pk}]", "讲解清楚")
    phone.locator("#form-feedback button").click()

    expect(phone.locator("#average-score")).to_have_text("4.5 / 5")
    phone.screenshot(path=str(ARTIFACTS / "jobs-training-phone.png"), full_page=True)
    assert list(TrainingAttendee.objects.filter(session=session).values_list("score", flat=True)) == [5, 4]
