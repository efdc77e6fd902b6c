"""The desk's fee pages: schedule, quote editor and steps, ticket panel, statements and their export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from aftersales.fees.models import Quote, QuoteStatus, Statement
from aftersales.fees.services import complete_quote, create_quote, issue_quote, record_customer_decision
from aftersales.fees.tests.conftest import NOW, lines
from aftersales.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def specialist_client(client, cast):
    client.force_login(cast.specialist)
    return client


def test_the_schedule_page_shows_items_with_net_and_vat(specialist_client, schedule):
    page = specialist_client.get("/desk/fees/").content.decode()
    assert "HSM 3000" in page and "1800.00" in page
    assert "1000.00" in page and "130.00" in page  # 1130 incl. 13 % VAT


def test_a_quote_goes_from_the_editor_to_a_statement(client, cast, customers, schedule):
    client.force_login(cast.specialist)
    answer = client.post(
        "/desk/quotes/new/",
        {
            "customer": customers.first.code,
            "line-0-code": "onsite_hour",
            "line-0-quantity": "2",
            "line-1-code": "travel_elsewhere",
            "line-1-discount_percent": "20",
            "note": "现场维护",
        },
    )
    quote = Quote.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/desk/quotes/{quote.number}/"
    assert quote.total == Decimal("2200.00")
    client.post(f"/desk/quotes/{quote.number}/do/issue/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.AWAITING_APPROVAL
    page = client.get(f"/desk/quotes/{quote.number}/").content.decode()
    assert "above the limit" in page
    refused = client.post(f"/desk/quotes/{quote.number}/do/approve/", {"reason": "ok"})
    assert refused.status_code == 403
    client.force_login(cast.manager)
    client.post(f"/desk/quotes/{quote.number}/do/approve/", {"reason": "老客户"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ISSUED
    client.force_login(cast.specialist)
    client.post(f"/desk/quotes/{quote.number}/do/decide/", {"decision": "approve", "channel": "phone"})
    client.post(f"/desk/quotes/{quote.number}/do/complete/", {})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.COMPLETED
    today = date.today().isoformat()
    answer = client.post(
        "/desk/quotes/statements/",
        {"customer": customers.first.code, "period_start": "2026-01-01", "period_end": today},
    )
    statement = Statement.objects.get()
    assert answer["Location"] == f"/desk/quotes/statements/{statement.number}/"
    page = client.get(answer["Location"]).content.decode()
    assert "甲银行股份有限公司" in page and "91500000123456789X" in page
    export = client.get(f"/desk/quotes/statements/{statement.number}/export.xlsx")
    sheet = load_workbook(BytesIO(export.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "甲银行股份有限公司" in values
    assert 2200.0 in values  # the total, a number


def test_a_refused_edit_keeps_the_typed_rows_and_changes_nothing(specialist_client, quote):
    answer = specialist_client.post(
        f"/desk/quotes/{quote.number}/do/lines/",
        {"line-0-code": "onsite_hour", "line-0-quantity": "zwei"},
    )
    assert answer.status_code == 400
    assert "must be a number" in answer.content.decode()
    assert 'value="zwei"' in answer.content.decode()
    assert Quote.objects.get(pk=quote.pk).total == Decimal("4060.00")


def test_an_unknown_action_or_quote_is_404(specialist_client, quote):
    assert specialist_client.post(f"/desk/quotes/{quote.number}/do/explode/").status_code == 404
    assert specialist_client.get("/desk/quotes/QT-2026-999999/").status_code == 404


def test_issuing_twice_is_refused_without_a_500(specialist_client, quote):
    specialist_client.post(f"/desk/quotes/{quote.number}/do/issue/")
    again = specialist_client.post(f"/desk/quotes/{quote.number}/do/issue/")
    assert again.status_code == 409


def test_engineers_do_not_see_quotes(client, cast, quote):
    client.force_login(cast.engineer)
    assert client.get("/desk/quotes/").status_code == 403


def test_the_ticket_panel_lists_its_quotes_and_offers_a_new_one(specialist_client, cast, customers, schedule):
    ticket = TicketFactory(customer=customers.first)
    quote = create_quote(customer=customers.first, by=cast.specialist, lines=lines(), ticket=ticket, at=NOW)
    page = specialist_client.get(f"/desk/quotes/ticket/{ticket.number}/panel/").content.decode()
    assert page.startswith('<section class="card"')
    assert quote.number in page and f"/desk/quotes/new/?ticket={ticket.number}" in page
    form = specialist_client.get(f"/desk/quotes/new/?ticket={ticket.number}").content.decode()
    assert ticket.number in form


def test_the_quote_list_filters_and_costs_one_query(
    specialist_client, cast, customers, schedule, django_assert_max_num_queries
):
    for _ in range(5):
        q = create_quote(customer=customers.first, by=cast.specialist, lines=lines(), at=NOW)
    issue_quote(quote=q, by=cast.specialist, at=NOW)
    record_customer_decision(quote=q, approved=True, by=cast.specialist, channel="phone", at=NOW)
    complete_quote(quote=q, by=cast.specialist, at=NOW)
    create_quote(customer=customers.second, by=cast.specialist, lines=lines(), at=NOW)
    with django_assert_max_num_queries(8):
        page = specialist_client.get("/desk/quotes/?status=&customer=bank-a").content.decode()
    assert page.count(">QT-2026-") == 5
    page = specialist_client.get("/desk/quotes/?status=completed").content.decode()
    assert page.count(">QT-2026-") == 1
