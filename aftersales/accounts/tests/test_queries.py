"""Routing to a service centre, the on-call roster, and who gets told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftersales.accounts.queries import (
    centre_leads,
    leaders,
    managers,
    on_duty,
    on_duty_next,
    route_ticket_centre,
)
from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import (
    OnCallShiftFactory,
    ProductLineFactory,
    ServiceCentreFactory,
    UserFactory,
)
from aftersales.customers.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

NIGHT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 23:00 in Chongqing


@pytest.fixture
def lines():
    return ProductLineFactory(code="crypto", name="密码设备"), ProductLineFactory(code="vpn", name="VPN 网关")


@pytest.fixture
def centres(lines):
    crypto, vpn = lines
    return {
        "chongqing": ServiceCentreFactory(
            code="cq", city="重庆", covered_cities=["重庆", "遂宁"], product_lines=[crypto, vpn]
        ),
        "chengdu": ServiceCentreFactory(
            code="cd", city="成都", covered_cities=["成都", "遂宁", "绵阳"], product_lines=[crypto]
        ),
        "beijing": ServiceCentreFactory(
            code="bj",
            city="北京",
            covered_cities=["北京"],
            product_lines=[crypto, vpn],
            serves_uncovered_sites=True,
        ),
        "rnd": ServiceCentreFactory(
            code="rnd", city="成都", covered_cities=["成都"], product_lines=[crypto], is_rnd=True
        ),
    }


@pytest.mark.smoke
def test_a_site_in_a_centres_city_goes_to_that_centre_and_is_covered(centres, lines):
    site = SiteFactory(city="成都")

    assert route_ticket_centre(site=site, product_line_id=lines[0].pk) == (centres["chengdu"], True)


def test_a_city_written_with_its_suffix_is_the_same_city(centres, lines):
    site = SiteFactory(city="成都市 ")

    assert route_ticket_centre(site=site, product_line_id=lines[0].pk) == (centres["chengdu"], True)


def test_a_site_in_a_covered_city_goes_to_a_centre_covering_it(centres, lines):
    site = SiteFactory(city="绵阳")

    assert route_ticket_centre(site=site, product_line_id=lines[0].pk) == (centres["chengdu"], True)


def test_between_two_covering_centres_the_one_supporting_the_product_line_wins(centres, lines):
    site = SiteFactory(city="遂宁")

    assert route_ticket_centre(site=site, product_line_id=lines[1].pk) == (centres["chongqing"], True)


def test_a_covered_site_whose_product_line_no_local_centre_supports_goes_elsewhere_uncovered(centres, lines):
    site = SiteFactory(city="绵阳")

    assert route_ticket_centre(site=site, product_line_id=lines[1].pk) == (centres["beijing"], False)


def test_a_site_no_centre_covers_goes_to_the_fallback_centre_and_is_uncovered(centres, lines):
    site = SiteFactory(city="拉萨")

    assert route_ticket_centre(site=site, product_line_id=lines[0].pk) == (centres["beijing"], False)


def test_without_a_fallback_centre_an_uncovered_site_goes_to_the_first_centre_supporting_the_line(lines):
    crypto, vpn = lines
    ServiceCentreFactory(code="b", city="成都", product_lines=[crypto])
    vpn_centre = ServiceCentreFactory(code="c", city="重庆", product_lines=[vpn])
    ServiceCentreFactory(code="a", city="北京", product_lines=[vpn], is_rnd=True)

    assert route_ticket_centre(site=SiteFactory(city="拉萨"), product_line_id=vpn.pk) == (vpn_centre, False)


def test_a_line_no_centre_supports_still_goes_to_the_centre_covering_the_site(centres):
    other_line = ProductLineFactory(code="fw", name="防火墙")

    assert route_ticket_centre(site=SiteFactory(city="重庆"), product_line_id=other_line.pk) == (
        centres["chongqing"],
        True,
    )


def test_without_a_product_line_the_covering_centre_is_chosen(centres):
    assert route_ticket_centre(site=SiteFactory(city="重庆"), product_line_id=None) == (
        centres["chongqing"],
        True,
    )


def test_without_a_site_the_ticket_goes_to_the_fallback_uncovered(centres, lines):
    assert route_ticket_centre(site=None, product_line_id=lines[0].pk) == (centres["beijing"], False)


def test_the_rnd_team_is_never_a_routing_destination(lines):
    ServiceCentreFactory(code="rnd", city="成都", product_lines=[lines[0]], is_rnd=True)

    assert route_ticket_centre(site=SiteFactory(city="成都"), product_line_id=lines[0].pk) == (None, False)


def test_routing_takes_one_query(centres, lines, django_assert_num_queries):
    site = SiteFactory(city="遂宁")

    with django_assert_num_queries(1):
        route_ticket_centre(site=site, product_line_id=lines[1].pk)


def test_on_duty_lists_whoever_has_a_shift_spanning_the_moment():
    centre = ServiceCentreFactory(code="cq")
    night = OnCallShiftFactory(
        centre=centre, starts_at=NIGHT - timedelta(hours=3), ends_at=NIGHT + timedelta(hours=9)
    )
    OnCallShiftFactory(
        centre=centre, starts_at=NIGHT - timedelta(hours=15), ends_at=NIGHT - timedelta(hours=3)
    )
    OnCallShiftFactory(
        starts_at=NIGHT - timedelta(hours=1), ends_at=NIGHT + timedelta(hours=1)
    )  # another centre

    assert on_duty(centre=centre, at=NIGHT) == [night.user]
    assert on_duty(centre=centre, at=NIGHT - timedelta(hours=3)) == [
        night.user
    ]  # a shift starts at its start
    assert on_duty(centre=centre, at=NIGHT + timedelta(hours=9)) == []  # and is over at its end


def test_an_inactive_person_is_not_on_duty():
    centre = ServiceCentreFactory(code="cq")
    shift = OnCallShiftFactory(
        centre=centre, starts_at=NIGHT - timedelta(hours=1), ends_at=NIGHT + timedelta(hours=1)
    )
    shift.user.is_active = False
    shift.user.save()

    assert on_duty(centre=centre, at=NIGHT) == []


def test_on_duty_next_gives_the_shifts_that_start_next():
    centre = ServiceCentreFactory(code="cq")
    OnCallShiftFactory(
        centre=centre, starts_at=NIGHT - timedelta(hours=3), ends_at=NIGHT + timedelta(hours=9)
    )
    morning = [
        OnCallShiftFactory(
            centre=centre, starts_at=NIGHT + timedelta(hours=9), ends_at=NIGHT + timedelta(hours=21)
        )
        for _ in range(2)
    ]
    OnCallShiftFactory(
        centre=centre, starts_at=NIGHT + timedelta(hours=21), ends_at=NIGHT + timedelta(hours=33)
    )

    upcoming = on_duty_next(centre=centre, at=NIGHT)

    assert sorted(shift.pk for shift in upcoming) == sorted(shift.pk for shift in morning)
    assert on_duty_next(centre=centre, at=NIGHT + timedelta(hours=40)) == []


def test_leads_managers_and_leaders_are_the_active_people_of_those_roles():
    centre = ServiceCentreFactory(code="cq")
    lead = UserFactory(role=Role.LEAD, centre=centre)
    UserFactory(role=Role.LEAD)  # another centre
    UserFactory(role=Role.LEAD, centre=centre, is_active=False)
    manager = UserFactory(role=Role.MANAGER)
    UserFactory(role=Role.MANAGER, is_active=False)
    leader = UserFactory(role=Role.LEADER)
    UserFactory(role=Role.ENGINEER, centre=centre)

    assert centre_leads(centre) == [lead]
    assert managers() == [manager]
    assert leaders() == [leader]
