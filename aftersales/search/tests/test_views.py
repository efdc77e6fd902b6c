"""The results page: staff only, exact numbers open the ticket, matches marked and escaped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftersales.search.services import index_ticket
from aftersales.tickets.tests.factories import TicketFactory
from aftersales.units.tests.factories import UnitFactory

URL = reverse("search:results")


def _indexed_ticket(customer, **fields):
    ticket = TicketFactory(unit=UnitFactory(customer=customer), **fields)
    index_ticket(ticket_id=ticket.pk)
    return ticket


@pytest.mark.smoke
def test_results_show_the_matching_tickets_with_the_words_marked(client, cast, customers):
    ticket = _indexed_ticket(
        customers.first,
        title="主板故障，业务中断",
        description="<script>alert(1)</script>日志显示主板通讯超时",
    )
    client.force_login(cast.specialist)

    response = client.get(URL, {"q": "主板"})

    assert response.status_code == 200
    page = response.content.decode()
    assert ticket.number in page
    assert "<mark>主板</mark>故障，业务中断" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;日志显示<mark>主板</mark>通讯超时" in page
    assert "<script>alert(1)" not in page


def test_an_exact_ticket_number_opens_the_ticket(client, cast, customers):
    ticket = _indexed_ticket(customers.first, number="SR-2026-000123")
    client.force_login(cast.specialist)

    response = client.get(URL, {"q": " sr-2026-000123"})

    assert response.status_code == 302
    assert response["Location"] == "/desk/tickets/SR-2026-000123/" == ticket.get_absolute_url()


def test_the_number_of_a_ticket_one_may_not_see_opens_nothing(client, cast, centres, customers):
    ticket = _indexed_ticket(customers.second, number="SR-2026-000123", centre=centres.chengdu)
    client.force_login(cast.engineer)

    response = client.get(URL, {"q": ticket.number})

    assert response.status_code == 200
    assert ticket.number in response.content.decode()  # echoed as the query …
    assert f'href="{ticket.get_absolute_url()}"' not in response.content.decode()  # … never as a result


def test_customer_users_are_refused(client, cast):
    client.force_login(cast.customer1)

    assert client.get(URL, {"q": "主板"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL, {"q": "主板"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("desk:login"))


def test_an_empty_search_explains_what_can_be_searched(client, cast):
    client.force_login(cast.specialist)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Search by ticket number, unit serial" in response.content.decode()


def test_the_header_search_box_keeps_the_query(client, cast):
    client.force_login(cast.specialist)

    response = client.get(URL, {"q": "风扇 告警"})

    assert 'value="风扇 告警"' in response.content.decode()
