"""A customer's fault from the report to the rating, through every real door it passes.

``customer1`` reports on a phone-sized portal page; the outbox worker mails the
acknowledgement over SMTP to a real server on 127.0.0.1; the customer's answer
to that mail comes back through the mail intake as an MTA pipes it in; the
engineer resolves the ticket in the console; the customer confirms and rates
it on the phone. Debian's chromium is driven by Playwright against
pytest-django's live server. Screenshots land in ``test-artifacts/`` (look at
them: text assertions pass even when a missing CJK font draws boxes).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connections

from aftersales.customers.models import Contact
from aftersales.intake.models import InboundMessage
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import deliver_due_messages
from aftersales.portal.tests.conftest import EMERGENCY
from aftersales.portal.tests.journey_mail import reply_from_mail_client, smtp_server
from aftersales.tickets.models import Channel, FollowUp, Level, Status, Ticket, TicketEvent

if TYPE_CHECKING:
    from playwright.sync_api import Page

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
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    # Transactional so the live server's thread sees the data (the root conftest puts the
    # service policy and the calendars back after an earlier test's flush).
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def mail_server(settings):
    with smtp_server(settings) as catcher:
        yield catcher


@pytest.fixture
def open_browser(live_server, monkeypatch):
    """Opens a Chinese-speaking browser window on the live server (one session per window)."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        contexts = []

        def open_page(device: dict) -> Page:
            context = chromium.new_context(
                base_url=live_server.url,
                locale="zh-CN",
                extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
                **device,
            )
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(10_000)
            return page

        yield open_page
        # Inside Playwright's context ORM calls get connections of their own: close them, or the
        # test database cannot be dropped afterwards.
        connections.close_all()
        for context in contexts:
            context.close()
        chromium.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"portal-journey-{name}.png"), full_page=True)


def ingest_piped(raw: bytes, monkeypatch) -> dict:
    """``aftersales mail ingest -`` with the message on standard input, as the MTA runs it."""
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(raw)))
    out = io.StringIO()
    call_command("mail", "ingest", "-", stdout=out)
    (line,) = out.getvalue().splitlines()
    return json.loads(line)


def test_a_customer_reports_on_a_phone_answers_by_mail_and_rates_the_fix_the_engineer_made_in_the_console(
    open_browser, mail_server, cast, monkeypatch, tmp_path
):
    from playwright.sync_api import expect

    log = tmp_path / "签名失败日志.txt"
    log.write_text("2026-03-02 09:00 crypto card timeout\n", encoding="utf-8")

    # customer1 reads Chinese, so our mail to them is in Chinese too.
    Contact.objects.filter(pk=cast.contact1.pk).update(language="zh-hans")

    # 1. customer1 signs in to the portal on a phone and reports a severe fault on their unit.
    phone = open_browser(PHONE)
    phone.goto("/portal/login/")
    phone.fill("input[name=username]", "customer1")
    phone.fill("input[name=password]", "demo")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/portal/$"))
    phone.goto("/portal/report/fault/")
    phone.select_option("select[name=unit]", str(cast.unit1.pk))
    phone.check("input[name=severity][value=severe]")
    expect(phone.locator("#emergency-contact")).to_contain_text(EMERGENCY)
    phone.fill("input[name=title]", "服务器密码机无法签名，业务中断")
    phone.fill("textarea[name=description]", "柜面交易签名全部失败，设备告警灯常亮，已重启一次无效。")
    phone.fill("textarea[name=business_impact]", "全行柜面业务中断")
    phone.set_input_files("input[name=attachments]", str(log))
    shot(phone, "1-report")
    phone.click("#report-form button[type=submit]")
    phone.wait_for_url(re.compile(r".*/portal/tickets/SR-\d{4}-\d{6}/$"))
    number = phone.locator("#ticket-number").inner_text().strip()
    assert re.fullmatch(r"SR-\d{4}-\d{6}", number)
    expect(phone.locator(".messages")).to_contain_text(number)
    expect(phone.locator("#emergency-contact")).to_contain_text(EMERGENCY)
    expect(phone.locator("#timeline")).to_contain_text("签名失败日志.txt")
    shot(phone, "2-number-shown")
    ticket = Ticket.objects.get(number=number)
    assert (ticket.channel, ticket.centre) == (Channel.WEB, cast.centre)

    # 2. The outbox worker mails the acknowledgement over SMTP. Huey (inline in tests) ran it the
    #    moment the report committed, as its consumer would seconds later; the every-minute pass
    #    that follows finds nothing left to send twice.
    deliver_due_messages()
    acknowledgement = OutboxMessage.objects.get(dedupe_key=f"ticket:{ticket.pk}:ack")
    assert acknowledgement.status == OutboxMessage.Status.SENT
    (acknowledgement_mail,) = mail_server.to("it1@bank.example", about=number)
    assert f"[{number}]" in acknowledgement_mail["Subject"]
    assert "服务器密码机无法签名，业务中断" in acknowledgement_mail["Subject"]
    assert acknowledgement_mail["Content-Language"].startswith("zh")
    assert acknowledgement_mail["Message-ID"] == acknowledgement.message_id
    acknowledgement_text = acknowledgement_mail.get_body(preferencelist=("plain",)).get_content()
    assert number in acknowledgement_text
    assert EMERGENCY in acknowledgement_text  # a severe fault: the manager's direct line

    # 3. customer1 answers that mail in Chinese; the MTA pipes it into the intake, which threads it
    #    onto the ticket by its In-Reply-To and keeps only the new text, not the quoted mail.
    answer = "补充：备机也出现同样告警，序列号 SJJ-CQ-0001 的加密卡指示灯为红色。"
    raw_reply = reply_from_mail_client(
        acknowledgement_mail, sender="it1@bank.example", sender_name="客户1", text=answer
    )
    intake = ingest_piped(raw_reply, monkeypatch)
    assert (intake["outcome"], intake["ticket"]) == (InboundMessage.Outcome.APPENDED, number)
    reply_event = ticket.events.get(
        kind=TicketEvent.Kind.CUSTOMER_REPLY, data__message_id=intake["message_id"]
    )
    assert (reply_event.body, reply_event.is_public) == (answer, True)
    phone.reload()
    expect(phone.locator("#timeline")).to_contain_text(answer)
    expect(phone.locator("#timeline")).not_to_contain_text("写道")
    shot(phone, "3-mail-reply-on-timeline")

    # 4. The engineer of the Chongqing centre resolves it in the console with the handling report.
    console = open_browser(DESKTOP)
    console.goto("/desk/login/")
    console.fill("input[name=username]", "engineer")
    console.fill("input[name=password]", "demo")
    console.click("button.primary")
    console.wait_for_url(re.compile(r".*/desk/$"))
    console.goto(f"/desk/tickets/{number}/")
    expect(console.locator("#ticket")).to_contain_text(answer)
    for action, status in (("accept", "accepted"), ("start_work", "in_progress")):
        with console.expect_navigation():
            console.click(f"#action-{action} button")
        expect(console.locator(".badges .st")).to_have_class(re.compile(status))
    console.fill("textarea[name=resolve-diagnosis]", "加密卡固件异常，签名模块挂死")
    console.fill(
        "textarea[name=resolve-actions_taken]", "远程升级加密卡固件至 2.1.4 并重启签名服务，签名恢复正常"
    )
    console.check("input[name=resolve-level_reached][value=L2]")
    shot(console, "4-console-resolving")
    with console.expect_navigation():
        console.click("#action-resolve button")
    expect(console.locator(".badges .st")).to_have_class(re.compile("resolved"))
    shot(console, "5-console-resolved")
    ticket.refresh_from_db()
    report = ticket.handling_reports.get()
    assert (ticket.status, report.author, report.level_reached) == (Status.RESOLVED, cast.engineer, Level.L2)

    # customer1 is asked by mail to confirm, in the acknowledgement's thread; nothing else was
    # mailed to them (their own answer never comes back to them).
    earlier, resolved_mail = mail_server.to("it1@bank.example", about=number)
    assert earlier["Message-ID"] == acknowledgement.message_id
    assert resolved_mail["In-Reply-To"] == acknowledgement.message_id

    # 5. customer1 confirms the fix on the phone and rates the service.
    phone.reload()
    expect(phone.locator("#ticket-status")).to_have_class(re.compile("resolved"))
    expect(phone.locator("#follow-up")).to_contain_text("远程升级加密卡固件")
    phone.check("input[name=followup-outcome][value=fixed]")
    phone.check("input[name=followup-satisfaction][value='5']")
    phone.fill("textarea[name=followup-comment]", "响应及时，处理专业")
    shot(phone, "6-confirm-and-rate")
    phone.click("#follow-up button[type=submit]")
    expect(phone.locator("#follow-up-recorded")).to_contain_text("响应及时，处理专业")
    expect(phone.locator("#ticket-status")).to_have_class(re.compile("closed"))
    shot(phone, "7-closed")

    ticket.refresh_from_db()
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert ticket.status == Status.CLOSED
    assert (follow_up.is_fixed, follow_up.satisfaction, follow_up.comment, follow_up.recorded_by) == (
        True,
        5,
        "响应及时，处理专业",
        cast.customer1,
    )
