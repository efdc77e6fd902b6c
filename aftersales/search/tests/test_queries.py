"""Finding tickets: Chinese words, numbers, serials, phones, and only the tickets one may see."""

from __future__ import annotations

import pytest
from django.db import connection

from aftersales.customers.tests.factories import ContactFactory
from aftersales.search.queries import exact_ticket_number, search_tickets
from aftersales.search.services import index_ticket
from aftersales.tickets.tests.factories import TicketFactory
from aftersales.units.tests.factories import UnitFactory


def _indexed_ticket(customer, **fields):
    ticket = TicketFactory(unit=UnitFactory(customer=customer), **fields)
    index_ticket(ticket_id=ticket.pk)
    return ticket


def _numbers(user, query):
    return [hit.ticket.number for hit in search_tickets(user, query).hits]


@pytest.mark.parametrize(
    "database",
    [pytest.param("default"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def test_two_character_chinese_words_find_the_ticket_on_either_database(database, cast, customers):
    """The same assertions on SQLite (FTS5) and on PostgreSQL (tsvector): the suite picks the database."""
    if database == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL suite runs this one (make test-postgres)")
    ticket = _indexed_ticket(
        customers.first,
        number="SR-2026-000123",
        title="主板故障，业务中断",
        description="网银前置机无法签名。",
    )
    _indexed_ticket(customers.second, number="SR-2026-000124", title="风扇告警", description="风扇噪音大。")

    assert _numbers(cast.specialist, "主板") == [ticket.number]
    assert _numbers(cast.specialist, "业务") == [ticket.number]
    assert _numbers(cast.specialist, "业务 签名") == [ticket.number]
    assert _numbers(cast.specialist, "显卡") == []


def test_every_word_of_the_query_must_match(cast, customers):
    _indexed_ticket(customers.first, title="主板故障，业务中断")

    assert _numbers(cast.specialist, "主板 风扇") == []


def test_a_ticket_the_user_may_not_see_is_not_found(cast, centres, customers):
    own_centre = _indexed_ticket(customers.second, number="SR-2026-000201", centre=centres.chongqing)
    other_centre = _indexed_ticket(customers.second, number="SR-2026-000202", centre=centres.chengdu)
    managed = _indexed_ticket(customers.first, number="SR-2026-000203", centre=centres.chengdu)

    assert set(_numbers(cast.specialist, "主板")) == {own_centre.number, other_centre.number, managed.number}
    assert _numbers(cast.engineer, "主板") == [own_centre.number]
    assert _numbers(cast.account, "主板") == [managed.number]
    assert _numbers(cast.engineer, other_centre.number) == []
    assert exact_ticket_number(cast.engineer, other_centre.number) is None


def test_an_account_manager_finds_the_tickets_of_a_managed_head_offices_branches(cast, customers):
    branch = customers.first.branches.create(code="bank-a-wz", name="重庆农村商业银行万州分行")
    ticket = _indexed_ticket(branch, title="密码机宕机")

    assert _numbers(cast.account, "宕机") == [ticket.number]


def test_a_customer_user_finds_nothing_through_staff_search(cast, customers):
    _indexed_ticket(customers.second, title="主板故障")

    assert _numbers(cast.customer1, "主板") == []


def test_a_ticket_number_is_found_exactly_and_by_its_sequence(cast, customers):
    ticket = _indexed_ticket(customers.first, number="SR-2026-000123", title="风扇告警")
    mentions_it = _indexed_ticket(
        customers.first, number="SR-2026-000999", title="主板故障", description="同 SR-2026-000123 的问题"
    )

    assert exact_ticket_number(cast.specialist, "sr-2026-000123 ") == ticket.number
    for query in ("000123", "123"):
        hits = search_tickets(cast.specialist, query).hits
        assert [hit.ticket.number for hit in hits] == [ticket.number, mentions_it.number]
        assert [hit.is_direct for hit in hits] == [True, False]


def test_a_units_serial_finds_its_tickets_first(cast, customers):
    unit = UnitFactory(customer=customers.first, serial="HAC2026000777")
    ticket = TicketFactory(unit=unit, title="主板故障")
    index_ticket(ticket_id=ticket.pk)

    hits = search_tickets(cast.specialist, "hac2026000777").hits
    assert [(hit.ticket.number, hit.is_direct) for hit in hits] == [(ticket.number, True)]
    assert _numbers(cast.specialist, "HAC2026") == [ticket.number]


def test_a_phone_typed_with_country_code_and_dashes_finds_the_contacts_tickets(cast, customers):
    contact = ContactFactory(customer=customers.first, mobile="13800001234", phone="")
    reported = _indexed_ticket(customers.first, reporter=contact, title="风扇告警")
    typed_on_ticket = _indexed_ticket(
        customers.first, reporter=None, reporter_phone="138 0000 1234", title="电源故障"
    )
    _indexed_ticket(customers.first, title="主板故障")

    hits = search_tickets(cast.specialist, "+86 138-0000-1234").hits

    assert [(hit.ticket.number, hit.is_direct) for hit in hits] == [
        (reported.number, True),
        (typed_on_ticket.number, False),
    ]


def test_a_customers_name_finds_its_tickets(cast, customers):
    ticket = _indexed_ticket(customers.second, title="风扇告警")
    _indexed_ticket(customers.first, title="风扇告警")

    assert _numbers(cast.specialist, "成都银行") == [ticket.number]
    assert _numbers(cast.specialist, "bank-b") == [ticket.number]


def test_an_empty_or_punctuation_only_query_finds_nothing(cast, customers):
    _indexed_ticket(customers.first)

    assert search_tickets(cast.specialist, "   ").hits == []
    assert search_tickets(cast.specialist, "，。!").hits == []


def test_search_takes_two_queries_however_many_tickets_it_finds(cast, customers, django_assert_num_queries):
    for user in (cast.engineer, cast.specialist):
        user.has_perm("aftersales.view_all_tickets")  # the permission cache, as within a request
    _indexed_ticket(customers.first, title="主板故障")
    with django_assert_num_queries(2):
        assert len(search_tickets(cast.specialist, "主板").hits) == 1

    for _ in range(5):
        _indexed_ticket(customers.first, title="主板故障")
    with django_assert_num_queries(2):
        assert len(search_tickets(cast.specialist, "主板").hits) == 6
    with django_assert_num_queries(1):
        assert search_tickets(cast.engineer, "主板").hits == []
