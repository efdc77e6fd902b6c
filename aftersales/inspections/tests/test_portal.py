"""The portal's inspection pages: the organisation's visits, overdue ones marked, reports; nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.core.business_time import local_date
from aftersales.inspections import services
from aftersales.inspections.models import Frequency

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(cast, make_plan):
    today = local_date(timezone.now())
    make_plan(frequency=Frequency.EVERY_N_WEEKS, every_weeks=4, starts_on=today - timedelta(days=3))
    make_plan(
        customer=cast.second,
        sites=[cast.other_site],
        units=[cast.other_unit],
        frequency=Frequency.EVERY_N_WEEKS,
        every_weeks=4,
        starts_on=today + timedelta(days=3),
    )
    services.generate_inspection_visits(now=timezone.now() - timedelta(days=6), horizon_days=20)
    return today


def test_a_customer_sees_its_own_inspection_visits_with_overdue_ones_marked(client, cast, plans):
    own = cast.first.visits.get()
    foreign = cast.second.visits.get()
    client.force_login(cast.customer1)

    text = client.get("/portal/inspections/").content.decode()

    assert own.number in text and "Overdue" in text
    assert foreign.number not in text


def test_a_report_of_another_organisation_is_not_found(client, cast, plans):
    foreign = cast.second.visits.get()
    client.force_login(cast.customer1)

    assert client.get(f"/portal/inspections/{foreign.number}/report.pdf").status_code == 404


def test_a_customer_downloads_the_report_of_its_own_visit(client, cast, plans):
    own = cast.first.visits.get()
    client.force_login(cast.customer1)

    response = client.get(f"/portal/inspections/{own.number}/report.pdf?lang=en")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_staff_are_sent_to_the_desk(client, cast, plans):
    client.force_login(cast.lead)
    assert client.get("/portal/inspections/").status_code == 302
