"""A customer on a phone downloads the release their unit is entitled to, checks it, records the install."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

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
            base_url=live_server.url, locale="en-GB", accept_downloads=True, **PHONE
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        connections.close_all()
        context.close()
        chromium.close()


def test_a_customer_downloads_an_entitled_package_on_a_phone_and_records_the_install(phone, rel):
    from playwright.sync_api import expect

    from aftersales.releases.models import DownloadLog, Installation

    rel.customer1.set_password("demo")
    rel.customer1.save()
    phone.goto("/portal/login/")
    phone.fill("input[name=username]", "customer1")
    phone.fill("input[name=password]", "demo")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/portal/$"))

    phone.goto("/portal/downloads/")
    card = phone.locator(f"#unit-{rel.unit1.serial}")
    expect(card).to_contain_text("sjj1805-3.3.0.bin")
    expect(card).not_to_contain_text("sjj1805-3.3.0-ha.bin")
    expect(card).to_contain_text(rel.base.sha256)
    phone.screenshot(path=str(ARTIFACTS / "releases-downloads.png"), full_page=True)

    with phone.expect_download() as download_info:
        card.get_by_role("link", name="Download").click()
    downloaded = Path(download_info.value.path())
    assert download_info.value.suggested_filename == "sjj1805-3.3.0.bin"
    assert hashlib.sha256(downloaded.read_bytes()).hexdigest() == rel.base.sha256
    assert DownloadLog.objects.filter(user=rel.customer1, unit=rel.unit1, package=rel.base).count() == 1

    card.get_by_role("button", name="We installed 3.3.0").click()
    expect(phone.locator(".messages")).to_contain_text("now runs 3.3.0")
    assert Installation.objects.get().unit == rel.unit1
    rel.unit1.refresh_from_db()
    assert rel.unit1.software_version == "3.3.0"
