"""The role table as permissions: each role of the demo cast may do what docs/roles.md says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from aftersales.accounts.roles import READ_CAPABILITIES, ROLE_CAPABILITIES, Capability, Role
from aftersales.accounts.tests.factories import ServiceCentreFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES_DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Ten users a test: Argon2 would spend seconds hashing "demo"."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast():
    """The demo's people, one per role, and two customer users."""
    centre = ServiceCentreFactory(code="cq", city="重庆")
    people = {
        role: UserFactory(username=role, role=role, centre=centre if role in ("engineer", "lead") else None)
        for role in ("specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin")
    }
    people["customer1"] = UserFactory(username="customer1", role=Role.CUSTOMER)
    people["customer2"] = UserFactory(username="customer2", role=Role.CUSTOMER)
    return people


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("person", "may_resolve"),
    [
        ("specialist", False),
        ("engineer", True),
        ("rnd", True),
        ("lead", True),
        ("manager", True),
        ("account", False),
        ("leader", False),
        ("admin", False),
        ("customer1", False),
    ],
)
def test_who_may_resolve_a_ticket(cast, person, may_resolve):
    assert cast[person].has_perm("aftersales.resolve_ticket") is may_resolve


def test_every_role_has_exactly_the_capabilities_of_its_row(cast):
    for name, user in cast.items():
        granted = {cap for cap in Capability if user.has_perm(f"aftersales.{cap}")}
        assert granted == set(ROLE_CAPABILITIES[user.role]), name


def test_leadership_reads_everything_and_changes_nothing(cast):
    leader = cast["leader"]

    assert leader.has_perm("aftersales.view_all_tickets") is True
    assert leader.has_perm("aftersales.view_reports") is True
    assert ROLE_CAPABILITIES[Role.LEADER] <= READ_CAPABILITIES
    assert not [
        cap for cap in Capability if cap not in READ_CAPABILITIES and leader.has_perm(f"aftersales.{cap}")
    ]
    assert leader.has_perm("units.view_unit") is True
    assert leader.has_perm("units.change_unit") is False
    assert leader.has_perm("accounts.delete_user") is False


def test_the_administrator_configures_everything_in_the_admin(cast):
    admin = cast["admin"]

    assert admin.has_perm("aftersales.configure") is True
    assert admin.has_perm("units.change_productmodel") is True
    assert admin.has_perm("accounts.add_user") is True
    assert admin.has_module_perms("units") is True


def test_other_staff_get_no_admin_model_permissions_from_their_role(cast):
    assert cast["manager"].has_perm("units.view_unit") is False
    assert cast["specialist"].has_module_perms("units") is False


def test_account_managers_see_their_customers_not_every_ticket(cast):
    account = cast["account"]

    assert account.has_perm("aftersales.view_own_customers") is True
    assert account.has_perm("aftersales.view_all_tickets") is False


def test_customer_users_hold_no_staff_capability(cast):
    assert not [cap for cap in Capability if cast["customer1"].has_perm(f"aftersales.{cap}")]


def test_an_inactive_user_may_do_nothing(cast):
    manager = cast["manager"]
    manager.is_active = False
    manager.save()

    assert manager.has_perm("aftersales.resolve_ticket") is False


def test_object_permissions_are_not_granted_by_role(cast):
    assert cast["engineer"].has_perm("aftersales.resolve_ticket", obj=object()) is False


def test_the_roles_document_mirrors_the_capability_table():
    """docs/roles.md has one row per capability and a ✓ under each role that holds it."""
    text = ROLES_DOC.read_text(encoding="utf-8")
    table = text[text.index("| capability |") :].split("\n\n", 1)[0].splitlines()
    roles = [cell.strip() for cell in table[0].strip("|").split("|")[1:]]
    assert set(roles) == set(Role.values)
    documented: dict[str, set[str]] = {role: set() for role in roles}
    rows = table[2:]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        capability = re.fullmatch(r"`(\w+)`.*", cells[0]).group(1)
        for role, cell in zip(roles, cells[1:], strict=True):
            if cell == "✓":
                documented[role].add(capability)
    assert sorted(row.split("`")[1] for row in rows) == sorted(Capability.values)
    assert documented == {role: set(ROLE_CAPABILITIES[role]) for role in roles}
