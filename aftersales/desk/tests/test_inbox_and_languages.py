"""The inbox of desk notices, the header's unread count, and every page in both languages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import queue_notice
from aftersales.tickets import services

pytestmark = pytest.mark.django_db


def notice(user, subject="[SR-2026-000001] At risk: Response due 10:30", reference="SR-2026-000001"):
    return queue_notice(
        kind="clock_warning", recipient=user, subject=subject, body="...", reference=reference
    )


def test_the_header_counts_unread_notices_with_one_query(client, cast):
    notice(cast.engineer)
    notice(cast.engineer)
    notice(cast.lead)
    client.force_login(cast.engineer)

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/desk/inbox/").content.decode()

    assert '<span class="badge" title="Unread notices">2</span>' in html or ">2</span>" in html
    assert sum("notifications_outboxmessage" in q["sql"] and "COUNT" in q["sql"] for q in queries) == 1


def test_the_inbox_lists_the_users_own_notices_linked_to_their_ticket(client, cast, open_fault):
    ticket = open_fault()
    notice(cast.engineer, subject=f"[{ticket.number}] Assigned", reference=ticket.number)
    notice(cast.lead, subject="not for the engineer")
    client.force_login(cast.engineer)

    notices = client.get("/desk/inbox/").context["notices"]

    assert [n["subject"] for n in notices] == [f"[{ticket.number}] Assigned"]
    assert notices[0]["url"] == f"/desk/tickets/{ticket.number}/"
    assert notices[0]["is_unread"]


def test_marking_read_touches_only_the_users_own_notices(client, cast):
    own = notice(cast.engineer)
    other = notice(cast.lead)
    client.force_login(cast.engineer)

    client.post("/desk/inbox/read/", {"id": other.pk})
    client.post("/desk/inbox/read/", {"id": own.pk})

    assert OutboxMessage.objects.get(pk=own.pk).read_at is not None
    assert OutboxMessage.objects.get(pk=other.pk).read_at is None
    assert "badge" not in client.get("/desk/inbox/").content.decode()


def test_mark_all_read_clears_the_count(client, cast):
    for _ in range(3):
        notice(cast.engineer)
    client.force_login(cast.engineer)

    client.post("/desk/inbox/read/")

    assert not OutboxMessage.objects.filter(recipient=cast.engineer, read_at__isnull=True).exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_renders_in_both_languages(client, cast, open_fault, language):
    ticket = open_fault()
    services.accept_ticket(ticket=ticket, by=cast.engineer)
    notice(cast.manager, reference=ticket.number)
    login_page = client.get("/desk/login/", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(cast.manager)
    pages = [
        "/desk/",
        "/desk/?view=centre&status=all&risk=attention",
        "/desk/queue/rows/",
        "/desk/queue/export.xlsx",
        f"/desk/tickets/{ticket.number}/",
        f"/desk/tickets/{ticket.number}/acceptance-form/",
        "/desk/intake/phone/",
        "/desk/intake/phone/?number=13800001234",
        f"/desk/intake/phone/done/{ticket.number}/",
        "/desk/inbox/",
    ]

    statuses = {url: client.get(url, HTTP_ACCEPT_LANGUAGE=language) for url in pages}

    assert login_page.status_code == 200
    assert {url: r.status_code for url, r in statuses.items()} == dict.fromkeys(pages, 200)
    ticket_page = statuses[f"/desk/tickets/{ticket.number}/"].content.decode()
    assert f'<html lang="{language}">' in ticket_page


def test_the_language_switcher_sets_the_language(client, cast):
    client.force_login(cast.specialist)

    client.post("/i18n/setlang/", {"language": "en", "next": "/desk/"})
    english = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert '<html lang="en">' in english
