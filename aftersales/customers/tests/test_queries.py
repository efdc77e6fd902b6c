"""Caller lookup by phone, and which customers each person may see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.customers.queries import customer_scope_for_user, find_contacts_by_phone, visible_customer_ids
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bank():
    """A head office with two branches, and an unrelated customer."""
    head = CustomerFactory(code="cqbank", name="重庆某银行")
    return {
        "head": head,
        "north": CustomerFactory(code="cqbank-north", name="重庆某银行北分行", parent=head),
        "south": CustomerFactory(code="cqbank-south", name="重庆某银行南分行", parent=head),
        "other": CustomerFactory(code="other", name="成都某局"),
    }


@pytest.mark.smoke
@pytest.mark.parametrize(
    "typed",
    ["13900001111", "+86 139-0000-1111", "0086 139 0000 1111", "139 0000 1111 ext. 12", "(+86)13900001111"],
)
def test_a_caller_is_found_by_mobile_however_the_number_is_written(typed):
    caller = ContactFactory(mobile="139 0000 1111")
    ContactFactory(mobile="139 0000 2222")

    assert list(find_contacts_by_phone(typed)) == [caller]


@pytest.mark.parametrize("typed", ["02367891234", "023 6789 1234", "+86 23 6789 1234", "023-67891234 转 805"])
def test_a_caller_is_found_by_landline_however_the_number_is_written(typed):
    caller = ContactFactory(phone="023-6789-1234 转 801", mobile="")

    assert list(find_contacts_by_phone(typed)) == [caller]


def test_everyone_sharing_a_switchboard_number_is_found():
    first = ContactFactory(name="张三", phone="023-6789 1234 转 801")
    second = ContactFactory(name="李四", customer=first.customer, phone="023-6789 1234 转 802")

    assert set(find_contacts_by_phone("023 6789 1234")) == {first, second}


@pytest.mark.parametrize("typed", ["", "  ", "未知号码"])
def test_an_empty_number_finds_nobody(typed):
    ContactFactory(phone="", mobile="")

    assert list(find_contacts_by_phone(typed)) == []


def test_a_head_office_sees_itself_and_its_branches_and_a_branch_only_itself(bank):
    assert visible_customer_ids(bank["head"]) == {bank["head"].pk, bank["north"].pk, bank["south"].pk}
    assert visible_customer_ids(bank["north"]) == {bank["north"].pk}
    assert visible_customer_ids(bank["other"]) == {bank["other"].pk}


def test_a_head_office_user_sees_its_branches(bank):
    user = UserFactory(role=Role.CUSTOMER)
    ContactFactory(customer=bank["head"], user=user)

    assert set(customer_scope_for_user(user)) == {bank["head"], bank["north"], bank["south"]}


def test_a_branch_user_sees_only_its_branch(bank):
    user = UserFactory(role=Role.CUSTOMER)
    ContactFactory(customer=bank["north"], user=user)

    assert list(customer_scope_for_user(user)) == [bank["north"]]


def test_a_customer_user_without_an_organisation_sees_nothing(bank):
    assert list(customer_scope_for_user(UserFactory(role=Role.CUSTOMER))) == []


def test_an_account_manager_sees_their_customers_and_their_branches(bank):
    account = UserFactory(role=Role.ACCOUNT)
    bank["head"].account_manager = account
    bank["head"].save()
    mine = CustomerFactory(code="mine", account_manager=account)

    assert set(customer_scope_for_user(account)) == {bank["head"], bank["north"], bank["south"], mine}


@pytest.mark.parametrize(
    "role", [Role.SPECIALIST, Role.ENGINEER, Role.RND, Role.LEAD, Role.MANAGER, Role.LEADER, Role.ADMIN]
)
def test_other_staff_see_every_customer(bank, role):
    assert set(customer_scope_for_user(UserFactory(role=role))) == set(bank.values())


def test_inactive_and_anonymous_users_see_nothing(bank):
    assert list(customer_scope_for_user(UserFactory(role=Role.MANAGER, is_active=False))) == []
    assert list(customer_scope_for_user(AnonymousUser())) == []
