"""A real phone-sized browser through a real server: a customer's fault from the report to the rating.

Debian's chromium driven by Playwright against pytest-django's live server.
Screenshots land in ``test-artifacts/`` (look at them: text assertions pass
even when a missing CJK font draws boxes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from aftersales.notifications.models import OutboxMessage
from aftersales.tickets import services
from aftersales.tickets.models import Channel, FollowUp, Level, Status, Ticket

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    # Transactional so the live server's thread sees the data; serialized rollback keeps the
    # service policy the migrations seeded (the clocks need it).
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def phone(live_server, monkeypatch, tmp_path):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.base_url = live_server.url
        yield page
        # Inside Playwright's context ORM calls get connections of their own: close them, or the
        # test database cannot be dropped afterwards.
        connections.close_all()
        context.close()
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=True)


def test_a_customer_reports_follows_and_confirms_a_fault_on_a_phone(phone, cast, tmp_path):
    from playwright.sync_api import expect

    page = phone
    log = tmp_path / "签名失败日志.txt"
    log.write_text("2026-03-02 09:00 crypto card timeout\n", encoding="utf-8")

    # customer1 signs in to the portal and reports a severe fault on their unit, with a file.
    page.goto(page.base_url + "/portal/login/")
    page.fill("input[name=username]", "customer1")
    page.fill("input[name=password]", "demo")
    shot(page, "0-sign-in")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/$"))
    page.goto(page.base_url + "/portal/report/fault/")
    page.select_option("select[name=unit]", str(cast.unit1.pk))
    page.check("input[name=severity][value=severe]")
    expect(page.locator("#emergency-contact")).to_contain_text("王经理 138 0000 0000")
    page.fill("input[name=title]", "服务器密码机无法签名，业务中断")
    page.fill("textarea[name=description]", "柜面交易签名全部失败，设备告警灯常亮，已重启一次无效。")
    page.fill("textarea[name=business_impact]", "全行柜面业务中断")
    page.set_input_files("input[name=attachments]", str(log))
    shot(page, "1-report")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/tickets/SR-\d{4}-\d{6}/$"))

    # The number is shown at once, with the emergency line of this severe fault.
    number = page.locator("#ticket-number").inner_text().strip()
    assert re.fullmatch(r"SR-\d{4}-\d{6}", number)
    expect(page.locator(".messages")).to_contain_text(number)
    expect(page.locator("#emergency-contact")).to_contain_text("王经理 138 0000 0000")
    expect(page.locator("#timeline")).to_contain_text("签名失败日志.txt")
    shot(page, "2-registered")

    # The acknowledgement with the number waits in the outbox for the worker to mail it.
    ticket = Ticket.objects.get(number=number)
    acknowledgement = OutboxMessage.objects.get(dedupe_key=f"ticket:{ticket.pk}:ack")
    assert acknowledgement.address == "it1@bank.example"
    assert number in acknowledgement.subject + acknowledgement.body
    assert ticket.channel == Channel.WEB

    # The customer answers that mail (mail intake calls this); the engineer resolves the fault.
    services.add_customer_message(ticket=ticket, body="补充：备机也出现同样告警", channel=Channel.EMAIL)
    services.accept_ticket(ticket=ticket, by=cast.engineer)
    services.start_work(ticket=ticket, by=cast.engineer)
    services.resolve_ticket(
        ticket=ticket,
        by=cast.engineer,
        diagnosis="加密卡固件异常",
        actions_taken="远程升级加密卡固件至 2.1.4，签名恢复正常",
        level_reached=Level.L2,
    )

    # customer1 sees the reply and the fix, confirms it and rates the service.
    page.reload()
    expect(page.locator("#timeline")).to_contain_text("补充：备机也出现同样告警")
    expect(page.locator("#follow-up")).to_contain_text("远程升级加密卡固件")
    page.check("input[name=followup-outcome][value=fixed]")
    page.check("input[name=followup-satisfaction][value='5']")
    page.fill("textarea[name=followup-comment]", "响应及时，处理专业")
    shot(page, "3-confirm")
    page.click("#follow-up button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("#follow-up-recorded")).to_be_visible()
    shot(page, "4-closed")

    # The organisation's units with their warranty, and the promises kept this year.
    page.goto(page.base_url + "/portal/units/")
    expect(page.locator("#units")).to_contain_text(cast.unit1.serial)
    shot(page, "5-units")
    page.goto(page.base_url + "/portal/promises/")
    expect(page.locator("#promise-tally")).to_be_visible()
    shot(page, "6-promises")

    ticket.refresh_from_db()
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert ticket.status == Status.CLOSED
    assert (follow_up.is_fixed, follow_up.satisfaction, follow_up.recorded_by) == (True, 5, cast.customer1)
