"""The on-call roster: adding shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from aftersales.accounts.models import OnCallShift
from aftersales.accounts.roles import Role
from aftersales.accounts.services import add_shift
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory
from aftersales.core.errors import InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 18:00 in Chongqing


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def centre():
    return ServiceCentreFactory(code="cq", city="重庆")


@pytest.fixture
def engineer(centre):
    return UserFactory(username="engineer", role=Role.ENGINEER, centre=centre)


def test_a_shift_is_added_for_an_active_member_of_staff(centre, engineer):
    shift = add_shift(
        centre=centre, user=engineer, starts_at=EVENING, ends_at=EVENING + timedelta(hours=14), note=" 夜班 "
    )

    assert OnCallShift.objects.get() == shift
    assert (shift.centre, shift.user, shift.note) == (centre, engineer, "夜班")


def test_overlapping_shifts_of_one_person_are_refused_even_at_another_centre(centre, engineer):
    add_shift(centre=centre, user=engineer, starts_at=EVENING, ends_at=EVENING + timedelta(hours=14))
    other_centre = ServiceCentreFactory(code="cd", city="成都")

    with pytest.raises(
        InvalidInput, match="is already on duty from 2026-03-10 18:00 to 2026-03-11 08:00"
    ) as error:
        add_shift(
            centre=other_centre,
            user=engineer,
            starts_at=EVENING + timedelta(hours=13),
            ends_at=EVENING + timedelta(hours=20),
        )
    assert error.value.code == "shift_overlap"
    assert OnCallShift.objects.count() == 1


def test_back_to_back_shifts_and_overlapping_shifts_of_two_people_are_fine(centre, engineer):
    add_shift(centre=centre, user=engineer, starts_at=EVENING, ends_at=EVENING + timedelta(hours=14))
    add_shift(
        centre=centre,
        user=engineer,
        starts_at=EVENING + timedelta(hours=14),
        ends_at=EVENING + timedelta(hours=24),
    )
    add_shift(
        centre=centre,
        user=UserFactory(role=Role.ENGINEER, centre=centre),
        starts_at=EVENING,
        ends_at=EVENING + timedelta(hours=2),
    )

    assert OnCallShift.objects.count() == 3


def test_a_shift_must_end_after_it_starts(centre, engineer):
    with pytest.raises(InvalidInput, match="A shift must end after it starts"):
        add_shift(centre=centre, user=engineer, starts_at=EVENING, ends_at=EVENING)


def test_customer_users_and_inactive_staff_cannot_be_on_duty(centre):
    for person in (
        UserFactory(role=Role.CUSTOMER),
        UserFactory(role=Role.ENGINEER, centre=centre, is_active=False),
    ):
        with pytest.raises(InvalidInput, match="Only active vendor staff can be put on duty"):
            add_shift(centre=centre, user=person, starts_at=EVENING, ends_at=EVENING + timedelta(hours=1))


def test_a_lead_edits_only_the_roster_of_their_own_centre(centre, engineer):
    lead = UserFactory(role=Role.LEAD, centre=centre)
    other_lead = UserFactory(role=Role.LEAD, centre=ServiceCentreFactory(code="bj", city="北京"))

    add_shift(
        centre=centre, user=engineer, starts_at=EVENING, ends_at=EVENING + timedelta(hours=1), actor=lead
    )
    with pytest.raises(NotPermitted, match="own centre"):
        add_shift(
            centre=centre,
            user=engineer,
            starts_at=EVENING + timedelta(hours=2),
            ends_at=EVENING + timedelta(hours=3),
            actor=other_lead,
        )


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.ENGINEER, Role.ACCOUNT, Role.LEADER])
def test_roles_without_the_roster_capability_may_not_add_shifts(centre, engineer, role):
    with pytest.raises(NotPermitted, match="You may not edit the on-call roster"):
        add_shift(
            centre=centre,
            user=engineer,
            starts_at=EVENING,
            ends_at=EVENING + timedelta(hours=1),
            actor=UserFactory(role=role),
        )
    assert not OnCallShift.objects.exists()
