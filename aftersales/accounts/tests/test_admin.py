"""The people admin: users with their role, centres with their roster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from aftersales.accounts.models import OnCallShift
from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import OnCallShiftFactory, ServiceCentreFactory, UserFactory

pytestmark = pytest.mark.django_db

NIGHT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 20:00 in Chongqing


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def roster():
    centre = ServiceCentreFactory(code="cq", city="重庆", covered_cities=["重庆", "遂宁"])
    engineer = UserFactory(username="engineer", role=Role.ENGINEER, centre=centre, phone="138 0000 1234")
    OnCallShiftFactory(centre=centre, user=engineer, starts_at=NIGHT, ends_at=NIGHT + timedelta(hours=12))
    return centre, engineer


@pytest.mark.parametrize("model", ["productline", "servicecentre", "oncallshift", "user"])
def test_every_people_list_renders(admin_client, roster, model):
    assert admin_client.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["productline", "servicecentre", "oncallshift", "user"])
def test_every_people_add_page_renders(admin_client, model):
    assert admin_client.get(reverse(f"admin:accounts_{model}_add")).status_code == 200


def test_the_user_page_edits_role_centre_phone_and_language(admin_client, roster):
    _, engineer = roster

    page = admin_client.get(reverse("admin:accounts_user_change", args=[engineer.pk])).content.decode()

    for field in ("role", "centre", "phone", "language"):
        assert f'name="{field}"' in page


def test_users_are_found_by_phone_and_filtered_by_role(admin_client, roster):
    UserFactory(username="someone-else", role=Role.SPECIALIST)
    url = reverse("admin:accounts_user_changelist")

    assert "engineer" in admin_client.get(url, {"q": "138 0000 1234"}).content.decode()
    page = admin_client.get(url, {"role__exact": "specialist"}).content.decode()
    assert "someone-else" in page
    assert ">engineer<" not in page


def test_the_centre_page_shows_its_roster(admin_client, roster):
    centre, _ = roster

    page = admin_client.get(reverse("admin:accounts_servicecentre_change", args=[centre.pk])).content.decode()

    assert "shifts-0-user" in page


def test_an_overlapping_shift_is_refused_in_the_admin(admin_client, roster):
    centre, engineer = roster

    response = admin_client.post(
        reverse("admin:accounts_oncallshift_add"),
        {
            "centre": centre.pk,
            "user": engineer.pk,
            "starts_at_0": "2026-03-11",
            "starts_at_1": "06:00:00",
            "ends_at_0": "2026-03-11",
            "ends_at_1": "18:00:00",
        },
    )

    assert response.status_code == 200
    assert "is already on duty from 2026-03-10 20:00 to 2026-03-11 08:00" in response.content.decode()
    assert OnCallShift.objects.count() == 1


def test_a_shift_after_the_last_one_is_added_in_the_admin(admin_client, roster):
    centre, engineer = roster

    response = admin_client.post(
        reverse("admin:accounts_oncallshift_add"),
        {
            "centre": centre.pk,
            "user": engineer.pk,
            "starts_at_0": "2026-03-11",
            "starts_at_1": "08:00:00",
            "ends_at_0": "2026-03-11",
            "ends_at_1": "20:00:00",
        },
    )

    assert response.status_code == 302
    assert OnCallShift.objects.count() == 2
