"""A repair from the ticket to the unit's return, in the console and the portal, in a real browser.

The specialist opens the RMA from the ticket's side panel; ``customer1`` acknowledges the
backup statement on a phone; the engineer records the erasure and every step on a phone-sized
console; the customer approves the quote and confirms the return in the portal. Debian's
chromium is driven by Playwright against pytest-django's live server; screenshots land in
``test-artifacts/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from aftersales.commitments.models import Clock, Outcome
from aftersales.fees.models import Quote
from aftersales.portal.tests.test_journey import ARTIFACTS, CHROMIUM, DESKTOP, PHONE, open_browser  # noqa: F401
from aftersales.repairs.models import Repair, Status
from aftersales.repairs.tests.conftest import open_fault

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"repair-journey-{name}.png"), full_page=True)


def sign_in(page: Page, face: str, username: str) -> None:
    page.goto(f"/{face}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("main form button")


def take_step(page: Page, step: str, **fields: str) -> None:
    page.select_option("select[name=step-step]", step)
    for name, value in fields.items():
        page.fill(f"[name=step-{name}]", value)
    page.click("#action-step button")
    page.wait_for_load_state()


def test_a_repair_goes_from_the_ticket_to_the_factory_and_back_with_the_customer_in_the_portal(
    open_browser,  # noqa: F811
    cast,
):
    from playwright.sync_api import expect

    ticket = open_fault(cast, unit=cast.old_unit1, at=timezone.now())

    desk = open_browser(DESKTOP)
    sign_in(desk, "desk", "specialist")
    desk.goto(f"/desk/tickets/{ticket.number}/")
    panel = desk.locator("#repairs-panel")
    expect(panel).to_be_visible()
    panel.locator("summary").click()
    panel.locator("textarea[name=fault]").fill("设备无法开机，电源指示灯不亮。")
    panel.locator("button").click()
    expect(desk.locator("#repair-number")).to_have_text("RMA-2026-000001")
    repair = Repair.objects.get()
    shot(desk, "1-opened")

    # Shipping is refused until both records exist.
    take_step(desk, "ship_in", carrier="顺丰", tracking="SF1000")
    expect(desk.locator(".form-errors")).to_be_visible()
    expect(desk.locator("#repair-status")).to_have_attribute("data-status", "opened")

    phone = open_browser(PHONE)
    sign_in(phone, "portal", "customer1")
    phone.goto(f"/portal/repairs/{repair.number}/")
    expect(phone.locator("#statement")).to_be_visible()
    phone.check("input[name=confirmed]")
    phone.click("#acknowledge")
    expect(phone.locator("#ack-recorded")).to_be_visible()
    shot(phone, "2-acknowledged")

    engineer = open_browser(PHONE)
    sign_in(engineer, "desk", "engineer")
    engineer.goto(f"/desk/repairs/{repair.number}/")
    engineer.locator("#action-erasure summary").click()
    engineer.select_option("select[name=erasure-method]", "keys_zeroised")
    engineer.fill("input[name=erasure-done_by]", "李工")
    engineer.fill("input[name=erasure-done_at]", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    engineer.click("#action-erasure button")
    expect(engineer.locator("#erasure")).to_contain_text("李工")

    take_step(engineer, "ship_in", carrier="顺丰", tracking="SF1000")
    take_step(engineer, "receive")
    expect(engineer.locator("#due")).not_to_be_empty()
    take_step(engineer, "diagnose", diagnosis="电源模块损坏，需更换。")
    expect(engineer.locator("#repair-status")).to_have_attribute("data-status", "diagnosed")
    shot(engineer, "3-diagnosed")

    desk.goto(f"/desk/repairs/{repair.number}/")
    desk.locator("#action-quote summary").click()
    desk.click("#action-quote button")
    expect(desk.locator("#quote")).to_contain_text("2026")
    assert Clock.objects.get(subject_type="repair").status == Clock.Status.PAUSED

    phone.goto(f"/portal/repairs/{repair.number}/")
    expect(phone.locator("#quote-total")).to_have_text("1800.00")
    phone.click("#approve-quote")
    expect(phone.locator("#repair-status")).to_have_attribute("data-status", "approved")
    shot(phone, "4-approved")

    engineer.goto(f"/desk/repairs/{repair.number}/")
    take_step(engineer, "repair", work_done="更换电源模块。")
    take_step(engineer, "test")
    take_step(engineer, "ship_back", carrier="顺丰", tracking="SF2000")
    expect(engineer.locator("#outcome")).to_have_attribute("data-outcome", "kept")
    shot(engineer, "5-shipped-back")

    phone.goto(f"/portal/repairs/{repair.number}/")
    expect(phone.locator("#confirm-return")).to_contain_text("SF2000")
    phone.click("#confirm-received")
    expect(phone.locator("#repair-status")).to_have_attribute("data-status", "returned")
    shot(phone, "6-returned")

    repair.refresh_from_db()
    assert repair.status == Status.RETURNED
    assert Clock.objects.get(subject_type="repair").outcome == Outcome.KEPT
    assert Quote.objects.get(pk=repair.quote_id).status == "completed"
