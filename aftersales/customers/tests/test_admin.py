"""The customer admin: customers with sites, contacts and branches; contacts found by phone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def bank():
    head = CustomerFactory(code="cqbank", name="重庆某银行", account_manager=UserFactory(role=Role.ACCOUNT))
    branch = CustomerFactory(code="cqbank-north", name="重庆某银行北分行", parent=head)
    SiteFactory(customer=head, name="总行数据中心")
    ContactFactory(customer=head, name="张三", phone="023-6789 1234 转 805", mobile="")
    ContactFactory(customer=branch, name="李四", mobile="139 0000 1111")
    return head, branch


@pytest.mark.parametrize("model", ["customer", "site", "contact"])
def test_every_customer_list_renders(admin_client, bank, model):
    assert admin_client.get(reverse(f"admin:customers_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["customer", "site", "contact"])
def test_every_customer_add_page_renders(admin_client, model):
    assert admin_client.get(reverse(f"admin:customers_{model}_add")).status_code == 200


def test_the_customer_page_shows_sites_contacts_and_branches(admin_client, bank):
    head, _ = bank

    page = admin_client.get(reverse("admin:customers_customer_change", args=[head.pk])).content.decode()

    assert "总行数据中心" in page
    assert "张三" in page
    assert "重庆某银行北分行" in page


def test_branches_are_filtered_apart_from_head_offices(admin_client, bank):
    page = admin_client.get(reverse("admin:customers_customer_changelist"), {"organisation": "branch"})

    assert "重庆某银行北分行" in page.content.decode()
    assert "cqbank<" not in page.content.decode()


@pytest.mark.parametrize("typed", ["+86 139-0000-1111", "13900001111", "139 0000 1111"])
def test_a_contact_is_found_by_a_number_typed_any_way(admin_client, bank, typed):
    page = admin_client.get(reverse("admin:customers_contact_changelist"), {"q": typed}).content.decode()

    assert "李四" in page
    assert "张三" not in page
