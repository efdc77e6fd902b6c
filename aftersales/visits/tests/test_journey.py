"""A visit through the real pages: the lead dispatches from the ticket in the console, the engineer
checks in on a phone, has the arrival confirmed with the code the contact received, fills the
report, and the customer signs with a finger on the engineer's screen.

Debian's chromium is driven by Playwright against pytest-django's live server (the fixture pattern
of ``portal/tests/test_journey.py``). Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.commitments.models import Clock, Milestone
from aftersales.notifications.models import OutboxMessage
from aftersales.portal.tests.test_journey import ARTIFACTS, CHROMIUM, DESKTOP, PHONE, open_browser  # noqa: F401
from aftersales.tickets.tests.test_services import clock_of
from aftersales.visits.models import ServiceReport, Visit, VisitEngineer
from aftersales.visits.tests.conftest import WHY, open_fault

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"visit-journey-{name}.png"), full_page=True)


def sign_in(page, username: str) -> None:
    page.goto("/desk/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/desk/$"))


def test_dispatch_check_in_on_a_phone_report_and_the_customers_signature(
    open_browser,  # noqa: F811 (the portal journey's fixture)
    cast,
    unit,
    contact,
):
    from playwright.sync_api import expect

    ticket = open_fault(cast, unit, contact, at=timezone.now() - timedelta(minutes=20))

    # 1. The centre lead opens the ticket and dispatches the engineer from its visits panel.
    console = open_browser(DESKTOP)
    console.set_default_timeout(30_000)  # the machine is shared: allow for a slow first page
    sign_in(console, "lead")
    console.goto(f"/desk/tickets/{ticket.number}/")
    console.locator("#visits-panel a.button").click()
    console.wait_for_url(re.compile(r".*/desk/visits/dispatch/.*"))
    console.check(f"input[name=dispatch-engineers][value='{cast.engineer.pk}']")
    console.fill("textarea[name=dispatch-purpose]", "更换加密卡主板")
    console.fill("textarea[name=dispatch-why_remote_failed]", WHY)
    console.select_option("select[name=dispatch-onsite_contact]", str(contact.pk))
    console.click("#dispatch-form button.primary")
    console.wait_for_url(re.compile(r".*/desk/visits/VS-\d{4}-\d{6}/$"))
    visit = Visit.objects.get()
    expect(console.locator("main")).to_contain_text(visit.number)
    shot(console, "1-dispatched")

    # 2. The engineer, on a phone, accepts, sets off and checks in.
    phone = open_browser(PHONE)
    phone.set_default_timeout(30_000)
    sign_in(phone, "engineer")
    phone.goto("/desk/my-visits/")
    phone.click(f"a[href='/desk/my-visits/{visit.number}/']")
    phone.click("form[action$='/accept/'] button")
    phone.click("form[action$='/travel/'] button")
    phone.fill("input[name=check_in-note]", "营业部三楼机房")
    phone.click("#check-in button.primary")
    expect(phone.locator("#steps")).to_contain_text("到场未确认")
    shot(phone, "2-unconfirmed")

    # 3. The contact reads the code from the SMS; the engineer types it in.
    sms = OutboxMessage.objects.get(kind="visit_arrival_code", address=contact.mobile)
    code = re.search(r"(\d{6})\s*$", sms.body).group(1)
    phone.fill("input[name=code-code]", code)
    phone.click("#confirm-code button.primary")
    expect(phone.locator("#steps")).to_contain_text("已确认到场")
    assert clock_of(ticket, Milestone.ONSITE_LOCAL).status == Clock.Status.MET

    # 4. The report, then the customer signs with a finger on the canvas.
    phone.fill("textarea[name=report-findings]", "主板通讯芯片损坏")
    phone.fill("textarea[name=report-work_done]", "更换主板，交易签名测试通过")
    phone.click("#report-form button.primary")
    phone.fill("input[name=sign-name]", "李主任")
    # A finger stroke as the pointer events a touch screen sends.
    phone.locator("#sign-form canvas").evaluate(
        """canvas => {
            const box = canvas.getBoundingClientRect();
            const send = (type, i) => canvas.dispatchEvent(new PointerEvent(type, {
                bubbles: true, pointerId: 7, pointerType: "touch", isPrimary: true,
                clientX: box.left + 20 + i * 22, clientY: box.top + 30 + (i % 3) * 25}));
            send("pointerdown", 0);
            for (let i = 1; i < 12; i++) send("pointermove", i);
            send("pointerup", 12);
        }"""
    )
    shot(phone, "3-signing")
    phone.click("#sign-form button.primary")
    phone.click("form[action='leave/'] button")
    shot(phone, "4-done")

    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED
    report = ServiceReport.objects.get(visit=visit)
    assert report.signed_by_name == "李主任" and report.sign_off == "drawn"
    assert report.signature.startswith("data:image/png;base64,")
    slot = VisitEngineer.objects.get(visit=visit)
    assert slot.confirmation == "code" and slot.arrival_note == "营业部三楼机房"
