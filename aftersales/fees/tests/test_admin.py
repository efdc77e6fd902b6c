"""The admin: a published version with quotes is read-only; 'copy as new version' makes an editable copy."""

from __future__ import annotations

import pytest

from aftersales.fees.models import FeeItem, FeeSchedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, cast):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    return client


def test_a_version_with_quotes_is_locked_and_copied_instead(admin_client, schedule, quote):
    assert schedule.is_locked
    page = admin_client.get(f"/admin/fees/feeschedule/{schedule.pk}/change/").content.decode()
    assert 'name="items-0-price"' not in page
    assert 'name="name"' not in page
    answer = admin_client.post(
        "/admin/fees/feeschedule/",
        {"action": "copy_as_new_version", "_selected_action": [schedule.pk]},
    )
    assert answer.status_code == 302
    copy = FeeSchedule.objects.exclude(pk=schedule.pk).get()
    assert not copy.published and not copy.is_locked
    assert copy.items.count() == schedule.items.count()
    page = admin_client.get(f"/admin/fees/feeschedule/{copy.pk}/change/").content.decode()
    assert 'name="items-0-price"' in page


def test_a_version_without_quotes_stays_editable(admin_client, schedule):
    assert not schedule.is_locked
    page = admin_client.get(f"/admin/fees/feeschedule/{schedule.pk}/change/").content.decode()
    assert 'name="items-0-price"' in page
    assert FeeItem.objects.filter(schedule=schedule).count() == 5
