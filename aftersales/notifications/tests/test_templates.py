"""Every notification template renders in both languages (a new template is covered without editing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.utils import translation

from aftersales.notifications.channels import Thread, build_email
from aftersales.notifications.tests.factories import OutboxMessageFactory

TEMPLATE_ROOT = Path(apps.get_app_config("notifications").path) / "templates"
TEMPLATES = sorted(str(path.relative_to(TEMPLATE_ROOT)) for path in TEMPLATE_ROOT.rglob("*.*"))
CONTEXT = {
    "subject": "[SR-2026-000123] 已解决 <请确认>",
    "body": "问题已解决。\n详见 http://127.0.0.1:8000/portal/tickets/SR-2026-000123/",
    "reference": "SR-2026-000123",
    "vendor_name": "江南科友 Aftersales",
    "language_tag": "zh-Hans",
    "footer": "Please keep [SR-2026-000123] in the subject.",
    "mentions": ["13823010001"],
}


def test_the_notification_templates_are_found():
    assert {"notifications/email/message.html", "notifications/robot.txt", "notifications/sms.txt"} <= set(
        TEMPLATES
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_renders_in_both_languages(name, language):
    with translation.override(language):
        text = render_to_string(name, CONTEXT)

    assert "SR-2026-000123" in text
    assert "{%" not in text and "{{" not in text


def test_the_html_alternative_escapes_the_text_and_links_its_addresses():
    html = render_to_string("notifications/email/message.html", CONTEXT)

    assert "&lt;请确认&gt;" in html
    assert '<a href="http://127.0.0.1:8000/portal/tickets/SR-2026-000123/"' in html
    assert "问题已解决。<br>" in html


@pytest.mark.parametrize(("language", "tag"), [("zh-hans", "zh-Hans"), ("en", "en")])
def test_the_mail_is_built_in_the_recipient_language(language, tag):
    message = OutboxMessageFactory.build(language=language, message_id="<abc@aftersales>")

    email = build_email(message, thread=Thread("", []))

    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'<html lang="{tag}">' in html
    assert email.extra_headers["Content-Language"] == tag
