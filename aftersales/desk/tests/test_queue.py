"""The queue: order by nearest due, filters, views, keyset pages, live countdowns, export, query counts."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from aftersales.accounts.tests.factories import OnCallShiftFactory
from aftersales.desk import queries
from aftersales.desk.queries import Cursor, QueueFilters, QueueView, queue_page
from aftersales.tickets.models import Kind, Severity, Status
from aftersales.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def numbers(page) -> list[str]:
    return [row["number"] for row in page.rows]


@pytest.fixture
def due_tickets(cast):
    """Open tickets of the Chongqing centre due in 3 h, 1 h and 2 h, one without a due time, one closed."""
    now = timezone.now()
    made = {
        "in_3h": TicketFactory(
            centre=cast.chongqing, next_due_at=now + timedelta(hours=3), status=Status.NEW
        ),
        "in_1h": TicketFactory(
            centre=cast.chongqing, next_due_at=now + timedelta(hours=1), status=Status.IN_PROGRESS
        ),
        "in_2h": TicketFactory(
            centre=cast.chongqing, next_due_at=now + timedelta(hours=2), status=Status.ACCEPTED
        ),
        "no_due": TicketFactory(centre=cast.chongqing, next_due_at=None, status=Status.IN_PROGRESS),
        "closed": TicketFactory(centre=cast.chongqing, next_due_at=None, status=Status.CLOSED),
    }
    return {name: ticket.number for name, ticket in made.items()}


def test_the_queue_shows_open_tickets_nearest_due_first_and_those_without_a_due_time_last(
    client, cast, due_tickets
):
    client.force_login(cast.specialist)

    response = client.get("/desk/")

    assert response.status_code == 200
    assert numbers(response.context["page"]) == [
        due_tickets["in_1h"],
        due_tickets["in_2h"],
        due_tickets["in_3h"],
        due_tickets["no_due"],
    ]


@pytest.mark.smoke
def test_the_rows_carry_a_countdown_that_refreshes_by_itself(client, cast, open_fault):
    ticket = open_fault(reported_at=timezone.now() - timedelta(minutes=5))
    client.force_login(cast.specialist)

    page = client.get("/desk/").content.decode()
    rows = client.get("/desk/queue/rows/", HTTP_HX_REQUEST="true").content.decode()

    assert 'hx-trigger="every 30s"' in page
    assert "setInterval(tick, 1000)" in page
    assert ticket.number in rows
    assert f'data-due="{int(ticket.next_due_at.timestamp() * 1000)}"' in rows
    assert "24m " in rows or "25m " in rows  # 30 minutes to respond, 5 gone
    assert rows.lstrip().startswith('<tbody id="queue-rows"')


def test_a_ticket_past_its_warning_time_is_amber_and_one_past_due_is_red(client, cast, open_fault):
    now = timezone.now()
    at_risk = open_fault(reported_at=now - timedelta(minutes=25))
    breached = open_fault(reported_at=now - timedelta(minutes=40))
    on_track = open_fault(reported_at=now - timedelta(minutes=1))
    client.force_login(cast.specialist)

    rows = {row["number"]: row for row in client.get("/desk/").context["rows"]}

    assert rows[breached.number]["state"] == "breached"
    assert rows[breached.number]["countdown"].startswith("−")
    assert rows[at_risk.number]["state"] == "at-risk"
    assert rows[on_track.number]["state"] == "on-track"


def test_the_risk_filters_pick_breached_and_at_risk_tickets(client, cast, open_fault):
    now = timezone.now()
    at_risk = open_fault(reported_at=now - timedelta(minutes=25))
    breached = open_fault(reported_at=now - timedelta(minutes=40))
    on_track = open_fault(reported_at=now - timedelta(minutes=1))
    client.force_login(cast.specialist)

    def shown(risk):
        return set(numbers(client.get("/desk/", {"risk": risk}).context["page"]))

    assert shown("breached") == {breached.number}
    assert shown("at_risk") == {at_risk.number}
    assert shown("attention") == {breached.number, at_risk.number}
    assert on_track.number not in shown("attention")


def test_the_filters_narrow_the_queue(client, cast, open_fault):
    severe = open_fault(severity=Severity.SEVERE)
    general = open_fault(severity=Severity.GENERAL)
    other_customer = TicketFactory(centre=cast.chengdu, next_due_at=timezone.now(), assignee=cast.rnd)
    provisional = TicketFactory(centre=cast.chengdu, is_provisional=True, kind=Kind.TRAINING)
    resolved = TicketFactory(centre=cast.chongqing, status=Status.RESOLVED)
    client.force_login(cast.specialist)

    def shown(**params):
        return set(numbers(client.get("/desk/", params).context["page"]))

    assert shown(severity="severe") == {severe.number}
    assert shown(customer=cast.first.pk) == {severe.number, general.number}
    assert shown(centre=cast.chengdu.pk) == {other_customer.number, provisional.number}
    assert shown(assignee=cast.rnd.pk) == {other_customer.number}
    assert shown(kind="training") == {provisional.number}
    assert shown(provisional="1") == {provisional.number}
    assert shown(status="resolved") == {resolved.number}
    assert resolved.number not in shown()
    assert resolved.number in shown(status="all")


def test_the_views_show_my_tickets_my_centre_unassigned_and_the_centres_i_am_on_duty_for(client, cast):
    mine = TicketFactory(centre=cast.chongqing, assignee=cast.engineer)
    centre_pool = TicketFactory(centre=cast.chongqing, assignee=None)
    chengdu = TicketFactory(centre=cast.chengdu, assignee=None)
    OnCallShiftFactory(centre=cast.chengdu, user=cast.rnd)
    client.force_login(cast.engineer)

    def shown(view, user=None):
        if user is not None:
            client.force_login(user)
        return set(numbers(client.get("/desk/", {"view": view}).context["page"]))

    assert shown("mine") == {mine.number}
    assert shown("centre") == {mine.number, centre_pool.number}
    assert shown("unassigned") == {centre_pool.number}  # the engineer sees only their centre
    assert shown("on_duty", user=cast.rnd) == {chengdu.number}
    assert shown("unassigned", user=cast.specialist) == {centre_pool.number, chengdu.number}


def test_the_awaiting_follow_up_view_lists_resolved_tickets(client, cast):
    resolved = TicketFactory(status=Status.RESOLVED)
    TicketFactory(status=Status.IN_PROGRESS)
    client.force_login(cast.specialist)

    page = client.get("/desk/", {"view": QueueView.FOLLOW_UP}).context["page"]

    assert numbers(page) == [resolved.number]


def test_keyset_pages_follow_each_other_without_overlap_or_gap(cast):
    now = timezone.now()
    same_due = now + timedelta(hours=1)
    expected = [
        TicketFactory(centre=cast.chongqing, next_due_at=same_due, status=Status.NEW).number for _ in range(3)
    ]
    expected += [
        TicketFactory(centre=cast.chongqing, next_due_at=now + timedelta(hours=h), status=status).number
        for h, status in ((2, Status.ACCEPTED), (3, Status.NEW), (4, Status.WAITING))
    ]
    expected += [TicketFactory(centre=cast.chongqing, next_due_at=None).number for _ in range(3)]

    seen, after, pages = [], None, 0
    while True:
        page = queue_page(cast.specialist, QueueFilters(), now=now, after=after, size=2)
        seen += numbers(page)
        pages += 1
        if page.next_cursor is None:
            break
        after = Cursor.parse(page.next_cursor.encode())

    assert seen == expected
    assert pages == 5


def test_the_next_page_link_carries_the_filters_and_the_cursor(client, cast, monkeypatch):
    for _ in range(3):
        TicketFactory(centre=cast.chongqing, next_due_at=timezone.now(), severity=Severity.SEVERE)
    monkeypatch.setattr(queries, "QUEUE_PAGE_SIZE", 2)
    client.force_login(cast.specialist)

    first = client.get("/desk/", {"severity": "severe"})
    second = client.get("/desk/" + first.context["next_url"])

    assert "severity=severe" in first.context["next_url"]
    assert "after=" in first.context["next_url"]
    assert len(first.context["rows"]) == 2
    assert len(second.context["rows"]) == 1
    assert not set(numbers(first.context["page"])) & set(numbers(second.context["page"]))
    assert second.context["next_url"] == ""


def test_the_count_is_capped_rather_than_counting_every_ticket(client, cast, monkeypatch):
    for _ in range(4):
        TicketFactory(centre=cast.chongqing)
    monkeypatch.setattr(queries, "QUEUE_COUNT_CAP", 3)
    client.force_login(cast.specialist)

    page = client.get("/desk/").context["page"]

    assert page.count_label == "3+"


def test_a_malformed_cursor_starts_at_the_first_page(client, cast, due_tickets):
    client.force_login(cast.specialist)

    response = client.get("/desk/", {"after": "yesterday,abc"})

    assert response.status_code == 200
    assert numbers(response.context["page"])[0] == due_tickets["in_1h"]


def test_the_number_of_queries_does_not_grow_with_the_page_size(client, cast, django_assert_num_queries):
    now = timezone.now()

    def add(count):
        for index in range(count):
            TicketFactory(
                centre=cast.chongqing,
                assignee=cast.engineer if index % 2 else None,
                next_due_at=now + timedelta(minutes=index + 1),
                status=(Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING)[index % 4],
            )

    add(5)
    client.force_login(cast.specialist)
    client.get("/desk/")  # sessions and caches settle
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/desk/").context["rows"]) == 5
    with CaptureQueriesContext(connection) as five_rows:
        client.get("/desk/queue/rows/")
    add(45)

    with django_assert_num_queries(len(five.captured_queries)):
        assert len(client.get("/desk/").context["rows"]) == 50
    with django_assert_num_queries(len(five_rows.captured_queries)):
        assert client.get("/desk/queue/rows/").content.count(b"<tr") == 50


def test_the_export_is_an_excel_file_of_the_filtered_rows_with_headers_in_the_users_language(client, cast):
    severe = TicketFactory(centre=cast.chongqing, severity=Severity.SEVERE, title="主板故障")
    TicketFactory(centre=cast.chongqing, severity=Severity.GENERAL)
    client.force_login(cast.specialist)

    with translation.override("en"):
        english = client.get("/desk/queue/export.xlsx", {"severity": "severe"}, HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/desk/queue/export.xlsx", {"severity": "severe"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(english.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Number", "Title", "Kind")
    assert [row[0] for row in rows[1:]] == [severe.number]
    assert rows[1][1] == "主板故障"
    chinese_headers = next(load_workbook(BytesIO(chinese.content)).active.iter_rows(values_only=True))
    with translation.override("zh-hans"):
        assert chinese_headers == tuple(queries.export_headers())


def test_the_export_is_bounded(cast, monkeypatch):
    for _ in range(3):
        TicketFactory(centre=cast.chongqing)

    rows = list(queries.queue_export_rows(cast.specialist, QueueFilters(), now=timezone.now(), limit=2))

    assert len(rows) == 2
