"""The organisation's pages: units with their warranty, contracts, promises kept; languages; mobile."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.commitments.models import Clock, Milestone
from aftersales.core.business_time import add_minutes
from aftersales.portal.tests.conftest import open_fault
from aftersales.tickets.services import SUBJECT_TYPE
from aftersales.units.tests.factories import ContractFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_units_show_their_warranty_status(cast, portal_client):
    expired = UnitFactory(
        customer=cast.first,
        site=cast.site1,
        serial="SJJ-OLD-01",
        shipped_on=date(2019, 1, 1),
        accepted_on=None,
    )
    covered = UnitFactory(
        customer=cast.first,
        site=cast.site1,
        serial="SJJ-OLD-02",
        shipped_on=date(2019, 1, 1),
        accepted_on=None,
    )
    today = timezone.localdate()
    ContractFactory(customer=cast.first, number="HT-EXT-1", starts_on=date(today.year, 1, 1), units=[covered])

    page = portal_client(cast.customer1).get(reverse("portal:units")).content.decode()

    rows = {
        serial: page.split(serial, 1)[1].split("</li>", 1)[0]
        for serial in (cast.unit1.serial, expired.serial, covered.serial)
    }
    assert "In warranty" in rows[cast.unit1.serial]
    assert "Chargeable" in rows[expired.serial] and "Warranty ended on" in rows[expired.serial]
    assert "Under contract" in rows[covered.serial] and "HT-EXT-1" in rows[covered.serial]


def test_a_unit_page_shows_its_warranty_contracts_and_tickets(cast, portal_client):
    page = (
        portal_client(cast.customer1).get(reverse("portal:unit", args=[cast.unit1.serial])).content.decode()
    )

    assert "Hardware warranty until" in page
    assert cast.contract1.number in page
    assert cast.ticket1.number in page
    assert f"?unit={cast.unit1.serial}" in page


def test_contracts_list_and_page_show_their_units(cast, portal_client):
    client = portal_client(cast.customer1)

    listing = client.get(reverse("portal:contracts")).content.decode()
    detail = client.get(reverse("portal:contract", args=[cast.contract1.pk])).content.decode()

    assert cast.contract1.number in listing and "Extended warranty" in listing
    assert cast.unit1.serial in detail


def _set(clock: Clock, **fields) -> None:
    Clock.objects.filter(pk=clock.pk).update(**fields)


def test_promises_page_counts_kept_late_with_notice_and_broken_per_promise(cast, portal_client):
    now = timezone.now()
    tickets = [cast.ticket1] + [
        open_fault(by=cast.specialist, customer=cast.first, unit=cast.unit1, reporter=cast.contact1)
        for _ in range(3)
    ]
    clocks = [
        Clock.objects.get(subject_type=SUBJECT_TYPE, subject_id=t.pk, milestone=Milestone.RESPONSE)
        for t in tickets
    ]
    due = add_minutes(now, -30)
    common = {"started_at": add_minutes(now, -60), "due_at": due}
    _set(clocks[0], status=Clock.Status.MET, met_at=add_minutes(now, -45), **common)
    _set(
        clocks[1],
        status=Clock.Status.MET,
        met_at=add_minutes(now, -10),
        breached_at=due,
        late_notice_at=add_minutes(now, -40),
        promised_new_at=add_minutes(now, -5),
        **common,
    )
    _set(clocks[2], status=Clock.Status.MET, met_at=add_minutes(now, -5), breached_at=due, **common)
    _set(clocks[3], status=Clock.Status.RUNNING, **{**common, "due_at": add_minutes(now, 30)})
    other = Clock.objects.get(
        subject_type=SUBJECT_TYPE, subject_id=cast.ticket2.pk, milestone=Milestone.RESPONSE
    )
    _set(other, status=Clock.Status.MET, met_at=now, breached_at=due, started_at=add_minutes(now, -60))

    response = portal_client(cast.customer1).get(reverse("portal:promises"))

    record = response.context["record"]
    response_tally = next(t for t in record.tallies if t.milestone == Milestone.RESPONSE)
    assert (
        response_tally.kept,
        response_tally.late_with_notice,
        response_tally.broken,
        response_tally.running,
    ) == (
        1,
        1,
        1,
        1,
    )
    assert {clock.reference for clock in record.misses} == {tickets[1].number, tickets[2].number}
    # "Service restored" is measured without a target for a general fault: no promise to count.
    assert Milestone.RESTORED not in {tally.milestone for tally in record.tallies}
    page = response.content.decode()
    assert tickets[2].number in page and cast.ticket2.number not in page


def test_pages_follow_the_browsers_language_and_offer_the_switcher(cast, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(cast.customer1)

    chinese = client.get(
        reverse("portal:home"), headers={"accept-language": "zh-CN,zh;q=0.9"}
    ).content.decode()
    english = client.get(
        reverse("portal:home"), headers={"accept-language": "en-GB,en;q=0.9"}
    ).content.decode()

    assert '<html lang="zh-hans">' in chinese
    assert '<html lang="en">' in english
    assert 'action="/i18n/setlang/"' in english and 'value="en" selected' in english


def test_pages_are_laid_out_for_a_phone_and_load_nothing_from_outside(cast, portal_client):
    page = portal_client(cast.customer1).get(reverse("portal:report_fault")).content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "http://" not in page and "https://" not in page and "//cdn" not in page


def test_the_portal_sign_in_page_is_its_own_and_staff_signing_in_there_land_in_the_desk(cast, client):
    page = client.get(reverse("portal:login")).content.decode()
    assert "Sign in to the customer service portal" in page

    customer = client.post(reverse("portal:login"), {"username": "customer1", "password": "demo"})
    client.logout()
    staff = client.post(reverse("portal:login"), {"username": "engineer", "password": "demo"})

    assert customer.status_code == staff.status_code == 302
    assert customer["Location"] == reverse("portal:home")
    assert staff["Location"] == reverse("desk:queue")


def test_signing_out_of_the_portal_returns_to_its_sign_in_page(cast, portal_client):
    response = portal_client(cast.customer1).post(reverse("portal:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
