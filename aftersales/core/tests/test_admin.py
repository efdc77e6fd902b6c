"""The calendar admin: entering next year's official schedule recomputes what depends on it."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import UserFactory
from aftersales.core import services
from aftersales.core.models import CalendarDay, CalendarYear, DocumentSequence
from aftersales.core.services import register_calendar_listener, seed_calendar_from_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """The manifest storage needs ``collectstatic``; page tests only need the URLs."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def heard():
    calls: list[set[int]] = []
    listener = register_calendar_listener(calls.append)
    yield calls
    services.CALENDAR_LISTENERS.remove(listener)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def year_form(year: int, days: list[tuple[str, bool, str]], *, initial: int = 0, **fields) -> dict:
    data = {
        "year": str(year),
        "is_official": "on",
        "published_on": "2026-11-20",
        "note": "",
        "days-TOTAL_FORMS": str(len(days)),
        "days-INITIAL_FORMS": str(initial),
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, (day, is_working_day, name) in enumerate(days):
        data[f"days-{index}-date"] = day
        data[f"days-{index}-name"] = name
        if is_working_day:
            data[f"days-{index}-is_working_day"] = "on"
    return data


def test_the_calendar_list_shows_each_year_with_its_counts_and_the_november_rule(admin_client):
    seed_calendar_from_package()
    response = admin_client.get(reverse("admin:core_calendaryear_changelist"))
    assert response.status_code == 200
    assert "each November" in response.content.decode()
    row = response.context["cl"].result_list.get(year=2026)
    assert row.make_up_days == 6
    assert row.holidays == CalendarDay.objects.filter(date__year=2026, is_working_day=False).count()


def test_the_add_page_opens_for_a_superuser(admin_client):
    response = admin_client.get(reverse("admin:core_calendaryear_add"))
    assert response.status_code == 200
    assert "days-TOTAL_FORMS" in response.content.decode()


@pytest.mark.smoke
def test_adding_next_years_schedule_saves_its_days_and_tells_the_listeners(admin_client, heard):
    data = year_form(
        2027,
        [("2027-01-01", False, "元旦 / New Year's Day"), ("2027-01-16", True, "测试调休 / Test make-up day")],
    )
    response = admin_client.post(reverse("admin:core_calendaryear_add"), data)
    assert response.status_code == 302
    calendar_year = CalendarYear.objects.get(year=2027)
    assert calendar_year.is_official is True
    assert calendar_year.source == CalendarYear.Source.ADMIN
    assert list(calendar_year.days.values_list("date", "is_working_day")) == [
        (date(2027, 1, 1), False),
        (date(2027, 1, 16), True),
    ]
    assert heard == [{2027}]


@pytest.mark.parametrize(
    ("day", "is_working_day"),
    [("2027-01-02", False), ("2027-01-04", True), ("2028-01-03", False)],
)
def test_a_day_that_is_no_exception_of_the_year_is_refused(admin_client, heard, day, is_working_day):
    data = year_form(2027, [("2027-01-01", False, "元旦"), (day, is_working_day, "x")])
    response = admin_client.post(reverse("admin:core_calendaryear_add"), data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[1]
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert heard == []


def test_changing_a_year_saves_the_new_days_and_tells_the_listeners(admin_client, heard):
    calendar_year = CalendarYear.objects.create(
        year=2028, is_official=False, source=CalendarYear.Source.PACKAGE
    )
    url = reverse("admin:core_calendaryear_change", args=[calendar_year.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, year_form(2028, [("2028-01-03", False, "测试 / Test")]))
    assert response.status_code == 302
    calendar_year.refresh_from_db()
    assert calendar_year.is_official is True
    assert calendar_year.source == CalendarYear.Source.ADMIN
    assert calendar_year.days.get().date == date(2028, 1, 3)
    assert heard == [{2028}]


def test_saving_an_unchanged_year_tells_no_one(admin_client, heard):
    calendar_year = CalendarYear.objects.create(year=2028, is_official=True, published_on=date(2026, 11, 20))
    url = reverse("admin:core_calendaryear_change", args=[calendar_year.pk])
    response = admin_client.post(url, year_form(2028, []))
    assert response.status_code == 302
    assert heard == []


def test_deleting_a_year_in_the_admin_tells_the_listeners(admin_client, heard):
    calendar_year = CalendarYear.objects.create(year=2028, is_official=True)
    url = reverse("admin:core_calendaryear_delete", args=[calendar_year.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarYear.objects.filter(year=2028).exists()
    assert heard == [{2028}]


def test_an_administrator_by_role_may_edit_calendars(client):
    client.force_login(UserFactory(username="admin-role", role=Role.ADMIN, is_staff=True))
    assert client.get(reverse("admin:core_calendaryear_changelist")).status_code == 200
    assert client.get(reverse("admin:core_calendaryear_add")).status_code == 200


def test_a_specialist_may_not_edit_calendars(client):
    client.force_login(UserFactory(username="specialist", role=Role.SPECIALIST, is_staff=True))
    assert client.get(reverse("admin:core_calendaryear_add")).status_code == 403


def test_document_sequences_are_read_only(admin_client):
    sequence = DocumentSequence.objects.create(prefix="SR", year=2026, last_number=123)
    assert admin_client.get(reverse("admin:core_documentsequence_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:core_documentsequence_change", args=[sequence.pk])).status_code == 200
    )
    assert admin_client.get(reverse("admin:core_documentsequence_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:core_documentsequence_change", args=[sequence.pk]),
        {"prefix": "SR", "year": "2026", "last_number": "1"},
    )
    assert response.status_code == 403
    sequence.refresh_from_db()
    assert sequence.last_number == 123
