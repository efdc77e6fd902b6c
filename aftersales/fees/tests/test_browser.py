"""A customer approves a quote on a phone: the portal's quote page driven in Debian's chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from aftersales.fees.models import Quote, QuoteStatus
from aftersales.fees.services import create_quote, issue_quote
from aftersales.fees.tests.conftest import lines

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--no-first-run"]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

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
        context = chromium.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
            **PHONE,
        )
        page = context.new_page()
        page.set_default_timeout(45_000)  # the shared test machine is slow
        yield page
        connections.close_all()
        context.close()
        chromium.close()


def test_a_customer_approves_an_issued_quote_on_a_phone(phone, cast, customers, schedule):
    from playwright.sync_api import expect

    quote = issue_quote(
        quote=create_quote(customer=customers.first, by=cast.specialist, lines=lines()),
        by=cast.specialist,
    )
    phone.goto("/portal/login/")
    phone.fill("input[name=username]", "customer1")
    phone.fill("input[name=password]", "demo")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/portal/$"))
    phone.goto("/portal/fees/")
    expect(phone.locator("main")).to_contain_text("HSM 3000 维修工时")
    phone.goto("/portal/quotes/")
    phone.click(f"text={quote.number}")
    expect(phone.locator("main")).to_contain_text("¥4060.00")
    phone.check("input[name=decision][value=approve]")
    phone.fill("textarea[name=note]", "同意维修")
    phone.check("input[name=confirm]")
    phone.screenshot(path=str(ARTIFACTS / "fees-quote-decision.png"), full_page=True)
    phone.click("form button.primary")
    phone.wait_for_url(re.compile(rf".*/portal/quotes/{quote.number}/$"))
    expect(phone.locator(".messages")).to_contain_text(quote.number)
    approved = Quote.objects.get(pk=quote.pk)
    assert (approved.status, approved.decision_channel, approved.decision_note) == (
        QuoteStatus.APPROVED, "portal", "同意维修",
    )  # fmt: skip
