"""A real browser through a real server: a phone report goes from the call to closed.

Debian's chromium driven by Playwright against pytest-django's live server;
screenshots land in ``test-artifacts/`` (look at them: text assertions pass
even when a missing CJK font draws boxes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from aftersales.commitments.models import CommitmentRule, ServicePolicy
from aftersales.commitments.policy_seed import seed_policy
from aftersales.tickets.models import Status, Ticket

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--headless",
]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    # Transactional, so the live server's thread sees the data.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def letter_policy(transactional_db):
    """The letter's promises, which an earlier transactional test may have flushed with the rest.

    (Serialized rollback would restore them, but clashes with content types
    recreated by such a flush.)
    """
    if not ServicePolicy.objects.exists():
        seed_policy(ServicePolicy, CommitmentRule)


@pytest.fixture
def browser_page(live_server, settings, monkeypatch, letter_policy):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1366, "height": 900},
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


def sign_in(page, username: str) -> None:
    if page.locator("form[action='/desk/logout/'] button").count():
        page.click("form[action='/desk/logout/'] button")
    page.goto(page.base_url + "/desk/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/desk/$"))


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


def submit(page, action: str) -> None:
    """Post one action form of the ticket page (htmx) and wait for the reloaded page."""
    with page.expect_navigation():
        page.click(f"#action-{action} button")


def test_a_phone_report_goes_from_the_call_to_the_queue_to_resolved_to_closed(browser_page, cast):
    from playwright.sync_api import expect

    page = browser_page

    # The specialist takes the call: the PBX opens the intake page with the caller's number.
    sign_in(page, "specialist")
    page.goto(page.base_url + "/desk/intake/phone/?number=%2B86%20138-0000-1234")
    expect(page.locator("select[name=reporter]")).to_have_value(str(cast.caller.pk))
    expect(page.locator(f"input[name=unit][value='{cast.unit.pk}']")).to_be_checked()
    page.check("input[name=severity][value=severe]")
    page.fill("input[name=title]", "服务器密码机无法签名，业务中断")
    page.fill("textarea[name=description]", "柜面交易签名全部失败，设备告警灯常亮，已重启一次无效。")
    page.fill("textarea[name=business_impact]", "全行柜面业务中断")
    shot(page, "1-intake")
    page.click("button.big")
    number = page.locator("#ticket-number").inner_text().strip()
    assert re.fullmatch(r"SR-\d{4}-\d{6}", number)
    shot(page, "2-read-back")

    # It is in the queue with a countdown that ticks by itself.
    page.goto(page.base_url + "/desk/")
    row = page.locator("tr", has=page.locator(f"a:text('{number}')"))
    countdown = row.locator(".cd")
    expect(countdown).to_have_class(re.compile("on-track"))
    first = countdown.inner_text()
    page.wait_for_timeout(1500)
    assert countdown.inner_text() != first
    shot(page, "3-queue")

    # The engineer of the Chongqing centre accepts, works and resolves with the handling report.
    sign_in(page, "engineer")
    page.goto(page.base_url + f"/desk/tickets/{number}/")
    submit(page, "accept")
    expect(page.locator(".badges .st")).to_have_class(re.compile("accepted"))
    submit(page, "start_work")
    page.fill("textarea[name=resolve-diagnosis]", "加密卡固件异常，签名模块挂死")
    page.fill("textarea[name=resolve-actions_taken]", "远程升级加密卡固件并重启签名服务，业务恢复")
    page.check("input[name=resolve-level_reached][value=L2]")
    shot(page, "4-resolving")
    submit(page, "resolve")
    expect(page.locator(".badges .st")).to_have_class(re.compile("resolved"))

    # The specialist reads the handling report, calls the customer back and records the follow-up.
    sign_in(page, "specialist")
    page.goto(page.base_url + f"/desk/tickets/{number}/")
    expect(page.locator("text=加密卡固件异常，签名模块挂死").first).to_be_visible()
    page.check("input[name=follow_up-outcome][value=fixed]")
    page.check("input[name=follow_up-satisfaction][value='5']")
    page.fill("textarea[name=follow_up-comment]", "处理及时，非常满意")
    submit(page, "follow_up")
    expect(page.locator(".badges .st")).to_have_class(re.compile("closed"))
    shot(page, "5-closed")

    ticket = Ticket.objects.get(number=number)
    assert ticket.status == Status.CLOSED
    assert ticket.follow_ups.get().satisfaction == 5
