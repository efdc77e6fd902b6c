"""The portal's fee pages: the schedule in force, our quotes and the decision, our statements."""

from __future__ import annotations

from datetime import date

import pytest

from aftersales.fees.models import QuoteStatus
from aftersales.fees.services import (
    build_statement,
    complete_quote,
    create_quote,
    issue_quote,
    record_customer_decision,
)
from aftersales.fees.tests.conftest import NOW, lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(cast, quote):
    return issue_quote(quote=quote, by=cast.specialist, at=NOW)


def test_the_schedule_in_force_is_public_to_customers(client, cast, schedule):
    client.force_login(cast.customer1)
    page = client.get("/portal/fees/").content.decode()
    assert "HSM 3000" in page and "¥1800.00" in page and "13 %" in page


def test_drafts_are_not_shown_to_the_customer(client, cast, quote):
    client.force_login(cast.customer1)
    assert quote.number not in client.get("/portal/quotes/").content.decode()
    assert client.get(f"/portal/quotes/{quote.number}/").status_code == 404


def test_the_customer_approves_an_issued_quote_with_a_confirmation(client, cast, issued):
    client.force_login(cast.customer1)
    assert issued.number in client.get("/portal/quotes/").content.decode()
    unconfirmed = client.post(f"/portal/quotes/{issued.number}/", {"decision": "approve"})
    assert unconfirmed.status_code == 400
    issued.refresh_from_db()
    assert issued.status == QuoteStatus.ISSUED
    answer = client.post(
        f"/portal/quotes/{issued.number}/", {"decision": "approve", "confirm": "on", "note": "同意"}
    )
    assert answer.status_code == 302
    issued.refresh_from_db()
    assert (issued.status, issued.decision_channel, issued.decided_by) == (
        "approved",
        "portal",
        cast.customer1,
    )
    again = client.post(f"/portal/quotes/{issued.number}/", {"decision": "refuse", "confirm": "on"})
    assert again.status_code == 409
    issued.refresh_from_db()
    assert issued.status == QuoteStatus.APPROVED


def test_another_organisation_gets_404(client, cast, issued):
    client.force_login(cast.customer2)
    assert client.get(f"/portal/quotes/{issued.number}/").status_code == 404
    assert (
        client.post(f"/portal/quotes/{issued.number}/", {"decision": "refuse", "confirm": "on"}).status_code
        == 404
    )
    issued.refresh_from_db()
    assert issued.status == QuoteStatus.ISSUED


def test_the_customer_sees_and_downloads_its_statement(client, cast, customers, issued):
    record_customer_decision(quote=issued, approved=True, by=cast.customer1, channel="portal", at=NOW)
    complete_quote(quote=issued, by=cast.specialist, at=NOW)
    statement = build_statement(
        customer=customers.first, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
        by=cast.specialist, at=NOW,
    )  # fmt: skip
    client.force_login(cast.customer1)
    assert statement.number in client.get("/portal/quotes/").content.decode()
    assert (
        "91500000123456789X" in client.get(f"/portal/quotes/statements/{statement.number}/").content.decode()
    )
    assert client.get(f"/portal/quotes/statements/{statement.number}/export.xlsx").status_code == 200
    client.force_login(cast.customer2)
    assert client.get(f"/portal/quotes/statements/{statement.number}/").status_code == 404
    assert client.get(f"/portal/quotes/statements/{statement.number}/export.xlsx").status_code == 404


def test_the_quote_list_costs_few_queries(client, cast, customers, schedule, django_assert_max_num_queries):
    for _ in range(4):
        issue_quote(
            quote=create_quote(customer=customers.first, by=cast.specialist, lines=lines(), at=NOW),
            by=cast.specialist,
            at=NOW,
        )
    client.force_login(cast.customer1)
    with django_assert_max_num_queries(12):
        page = client.get("/portal/quotes/").content.decode()
    assert page.count(">QT-2026-") == 4
