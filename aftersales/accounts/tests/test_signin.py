"""Signing in safely: lockout per account and address, password reset links, production settings."""

from __future__ import annotations

import os
import re
import secrets
import string
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.accounts.views import client_ip_address

pytestmark = pytest.mark.django_db

HERE = "10.0.0.1"
ELSEWHERE = "10.0.0.2"
LINK = re.compile(r"https?://[^/\s]+(/account/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def customer(db):
    return UserFactory(username="customer1", role=Role.CUSTOMER, email="it@bank-a.example")


def sign_in(client, username: str, password: str, address: str):
    return client.post(
        reverse("portal:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_failures_lock_that_account_from_that_address_only(client, customer):
    UserFactory(username="customer2", role=Role.CUSTOMER)
    for _ in range(4):
        assert sign_in(client, "customer1", "wrong", HERE).status_code == 200

    fifth = sign_in(client, "customer1", "wrong", HERE)
    right_password_here = sign_in(client, "customer1", "demo", HERE)
    other_account_here = sign_in(client, "customer2", "demo", HERE)
    client.logout()
    same_account_elsewhere = sign_in(client, "customer1", "demo", ELSEWHERE)

    assert fifth.status_code == right_password_here.status_code == 429
    assert "_auth_user_id" not in right_password_here.wsgi_request.session
    assert other_account_here.status_code == 302
    assert same_account_elsewhere.status_code == 302


def test_the_lockout_page_says_why_and_for_how_long(client, customer):
    for _ in range(5):
        response = sign_in(client, "customer1", "wrong", HERE)

    page = response.content.decode()
    assert response.status_code == 429
    assert "5 failed sign-ins in a row" in page
    assert "blocked for 15 minutes" in page
    assert reverse("accounts:password_reset") in page


def test_the_failure_limit_and_cool_off_come_from_settings(client, customer, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = 0.5  # hours

    sign_in(client, "customer1", "wrong", HERE)
    second = sign_in(client, "customer1", "wrong", HERE)

    assert second.status_code == 429
    assert "blocked for 30 minutes" in second.content.decode()


def test_behind_a_proxy_the_client_is_the_address_the_proxy_saw(settings):
    settings.AFTERSALES_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")

    assert client_ip_address(request) == "203.0.113.7"
    settings.AFTERSALES_PROXY_COUNT = 0
    assert client_ip_address(request) == "10.9.9.9"


def _request_link(client, email: str) -> str:
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_sent")
    return LINK.search(mail.outbox[-1].body).group(1)


def _choose(client, link: str, password: str):
    landing = client.get(link)
    assert landing.status_code == 302  # Django moves the token out of the URL into the session
    return client.post(landing["Location"], {"new_password1": password, "new_password2": password})


def test_a_reset_link_is_mailed_and_works_once(client, customer):
    link = _request_link(client, "IT@bank-a.example")

    message = mail.outbox[0]
    assert message.to == ["it@bank-a.example"]
    assert "works once, within 24 hours" in message.body
    done = _choose(client, link, "Neue-Passwort-2026")
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")
    assert client.login(
        request=RequestFactory().get("/"), username="customer1", password="Neue-Passwort-2026"
    )

    client.logout()
    again = client.get(link, follow=True)
    assert 'id="invalid-link"' in again.content.decode()


def test_a_reset_link_expires(client, customer, monkeypatch, settings):
    link = _request_link(client, "it@bank-a.example")
    issued = PasswordResetTokenGenerator()._now()
    monkeypatch.setattr(
        PasswordResetTokenGenerator,
        "_now",
        lambda self: issued + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1),
    )

    response = client.get(link, follow=True)

    assert 'id="invalid-link"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.check_password("demo")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, customer):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_sent")
    assert mail.outbox == []


def _check_deploy(secret_key: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_SECURE": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    key = "".join(secrets.choice(alphabet) for _ in range(50))

    result = _check_deploy(key)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_rejects_the_development_key():
    result = _check_deploy("django-insecure-development-key-change-me-before-deploying")

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout
