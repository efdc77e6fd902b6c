"""Unit, customer and roster pages of the console: who sees what, what they show, what they cost."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales.accounts.models import OnCallShift
from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import OnCallShiftFactory, ServiceCentreFactory, UserFactory
from aftersales.core.business_time import last_day_of_months_term, local_date
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory, SiteFactory
from aftersales.tickets.models import Status
from aftersales.tickets.tests.factories import TicketFactory
from aftersales.units.models import UnitPart
from aftersales.units.tests.factories import ContractFactory, UnitFactory, UnitPartFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 is slow on purpose; these tests sign in with ``force_login`` and need no strong hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """The demo's cast, a Chongqing centre and another, and two customers (the first with a branch)."""
    chongqing = ServiceCentreFactory(code="cq", city="重庆", phone="023-6310 8800")
    chengdu = ServiceCentreFactory(code="cd", city="成都")
    people = {
        role: UserFactory(
            username=role,
            role=role,
            centre=chongqing if role in (Role.ENGINEER, Role.LEAD) else None,
            phone=f"138 0000 {index:04d}",
        )
        for index, role in enumerate(
            ("specialist", "engineer", "rnd", "lead", "manager", "account", "leader", "admin")
        )
    }
    other_account = UserFactory(username="account2", role=Role.ACCOUNT)
    bank = CustomerFactory(code="bank", name="重庆农村商业银行", account_manager=people["account"])
    branch = CustomerFactory(code="bank-wanzhou", name="重庆农商行万州分行", parent=bank)
    other = CustomerFactory(code="other", name="蜀都银行", account_manager=other_account)
    customer1 = UserFactory(username="customer1", role=Role.CUSTOMER)
    ContactFactory(customer=bank, user=customer1, name="吴敏")
    return SimpleNamespace(
        chongqing=chongqing,
        chengdu=chengdu,
        bank=bank,
        branch=branch,
        other=other,
        other_account=other_account,
        customer1=customer1,
        **people,
    )


def login(client, user):
    client.force_login(user)
    return client


def today() -> date:
    return local_date(timezone.now())


def query_count(client, url: str) -> int:
    client.get(url)  # the first request fills per-session caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


# --- the unit page ----------------------------------------------------------------------------


@pytest.fixture
def unit(world):
    """Accepted two years ago: software warranty over, hardware warranty running."""
    accepted = today() - timedelta(days=730)
    site = SiteFactory(customer=world.bank, name="总行数据中心", city="重庆")
    unit = UnitFactory(
        serial="HAC-0001",
        customer=world.bank,
        site=site,
        shipped_on=accepted - timedelta(days=10),
        accepted_on=accepted,
        software_version="3.2.1",
        licensed_features=["sm2"],
    )
    UnitPartFactory(unit=unit, name="电源模块", origin=UnitPart.Origin.FACTORY)
    UnitPartFactory(unit=unit, name="加密卡", origin=UnitPart.Origin.VENDOR_REPLACEMENT)
    UnitPartFactory(unit=unit, name="硬盘", origin=UnitPart.Origin.CUSTOMER_ADDED)
    return unit


def unit_url(unit) -> str:
    return reverse("desk:unit", kwargs={"serial": unit.serial})


@pytest.mark.smoke
def test_the_unit_page_shows_each_warranty_term_each_parts_cover_and_the_history(client, world, unit):
    contract = ContractFactory(customer=world.bank, starts_on=today() - timedelta(days=30))
    contract.units.add(unit)
    TicketFactory(unit=unit, title="主板故障，业务中断", centre=world.chongqing)
    start = unit.accepted_on

    response = login(client, world.specialist).get(unit_url(unit))

    assert response.status_code == 200
    page = response.context["page"]
    assert [(w.ends_on, w.is_running) for w in page.warranty] == [
        (last_day_of_months_term(start, 36).isoformat(), True),
        (last_day_of_months_term(start, 12).isoformat(), False),
    ]
    assert page.verdict.verdict == "in_warranty"
    covered = {part.name: part.is_covered for part in page.parts}
    assert covered == {"电源模块": True, "加密卡": True, "硬盘": False}
    assert [c.number for c in page.contracts] == [contract.number]
    assert ("sm2", True) in page.features and ("sm4", False) in page.features
    html = response.content.decode()
    assert "主板故障，业务中断" in html
    assert "总行数据中心" in html


def test_the_unit_page_shows_the_replacement_chain_both_ways(client, world, unit):
    newer = UnitFactory(customer=world.bank, serial="HAC-0002", replaces=unit)
    newest = UnitFactory(customer=world.bank, serial="HAC-0003", replaces=newer)

    page = login(client, world.specialist).get(unit_url(newer)).context["page"]

    assert [u.serial for u in page.replaces] == ["HAC-0001"]
    assert [u.serial for u in page.replaced_by] == [newest.serial]


def test_a_centre_engineer_sees_in_the_units_history_only_the_tickets_of_their_centre(client, world, unit):
    TicketFactory(unit=unit, title="本中心的工单", centre=world.chongqing)
    TicketFactory(unit=unit, title="成都中心的工单", centre=world.chengdu)

    page = login(client, world.engineer).get(unit_url(unit)).context["page"]

    assert [t.title for t in page.tickets] == ["本中心的工单"]


def test_an_account_manager_sees_the_units_of_their_customers_and_not_of_anothers(client, world, unit):
    foreign = UnitFactory(customer=world.other, serial="SD-0001")
    login(client, world.account)

    assert client.get(unit_url(unit)).status_code == 200
    assert client.get(unit_url(foreign)).status_code == 404


def test_a_customer_user_is_refused_the_console_unit_page(client, world, unit):
    assert login(client, world.customer1).get(unit_url(unit)).status_code == 403


def test_an_unknown_serial_is_not_found(client, world):
    assert login(client, world.specialist).get("/desk/units/NOPE/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, unit):
    response = client.get(unit_url(unit))

    assert response.status_code == 302
    assert reverse("desk:login") in response["Location"]


def test_the_unit_page_costs_the_same_queries_for_many_parts_contracts_and_tickets(client, world, unit):
    login(client, world.specialist)
    few = query_count(client, unit_url(unit))
    UnitPartFactory.create_batch(15, unit=unit)
    for contract in ContractFactory.create_batch(5, customer=world.bank):
        contract.units.add(unit)
    TicketFactory.create_batch(15, unit=unit)

    many = query_count(client, unit_url(unit))

    assert many == few
    assert few <= 12


# --- the customer page and list ---------------------------------------------------------------


def customer_url(customer) -> str:
    return reverse("desk:customer", kwargs={"code": customer.code})


def test_the_customer_page_shows_branches_invoice_sites_contacts_units_tickets_and_contracts(
    client, world, unit
):
    world.bank.invoice_title = "重庆农村商业银行股份有限公司"
    world.bank.tax_number = "91500000MA5U000001"
    world.bank.save()
    SiteFactory(customer=world.bank, name="拉萨网点", city="拉萨")
    ContactFactory(customer=world.bank, name="张工", receives_reports=True)
    TicketFactory(unit=unit, title="仍在处理的故障", status=Status.IN_PROGRESS)
    TicketFactory(unit=unit, title="已经关闭的故障", status=Status.CLOSED)
    ContractFactory(customer=world.bank, number="HT-BANK-1")

    response = login(client, world.specialist).get(customer_url(world.bank))

    assert response.status_code == 200
    page = response.context["page"]
    assert [b.code for b in page.branches] == ["bank-wanzhou"]
    assert {s.city: s.is_covered for s in page.sites} == {"重庆": True, "拉萨": False}
    assert "张工" in [c.name for c in page.contacts]
    assert [(u.serial, u.verdict) for u in page.units] == [("HAC-0001", "in_warranty")]
    assert [t.title for t in page.open_tickets] == ["仍在处理的故障"]
    assert [t.title for t in page.recent_tickets] == ["已经关闭的故障"]
    assert [c.number for c in page.contracts] == ["HT-BANK-1"]
    html = response.content.decode()
    assert "91500000MA5U000001" in html
    assert "重庆农村商业银行股份有限公司" in html
    assert str(world.account) in html


def test_an_account_manager_sees_their_customer_and_its_branch_but_another_managers_is_not_found(
    client, world
):
    login(client, world.account)

    assert client.get(customer_url(world.bank)).status_code == 200
    assert client.get(customer_url(world.branch)).status_code == 200
    assert client.get(customer_url(world.other)).status_code == 404


@pytest.mark.parametrize("role", ["leader", "lead", "engineer", "manager", "rnd", "admin"])
def test_every_member_of_staff_may_open_a_customer_page(client, world, role):
    assert login(client, getattr(world, role)).get(customer_url(world.other)).status_code == 200


def test_a_customer_user_is_refused_the_console_customer_pages(client, world):
    login(client, world.customer1)

    assert client.get(customer_url(world.bank)).status_code == 403
    assert client.get(reverse("desk:customers")).status_code == 403


def test_the_customer_page_costs_the_same_queries_for_many_units_contacts_and_tickets(client, world, unit):
    login(client, world.specialist)
    few = query_count(client, customer_url(world.bank))
    for _ in range(10):
        extra = UnitFactory(customer=world.bank, site=unit.site)
        TicketFactory(unit=extra, status=Status.IN_PROGRESS)
        TicketFactory(unit=extra, status=Status.CLOSED)
        ContractFactory(customer=world.bank).units.add(extra)
    ContactFactory.create_batch(10, customer=world.bank)
    SiteFactory.create_batch(5, customer=world.bank)

    many = query_count(client, customer_url(world.bank))

    assert many == few
    assert few <= 16


def test_the_customer_list_finds_customers_by_name_or_code(client, world):
    login(client, world.specialist)

    by_name = client.get(reverse("desk:customers"), {"q": "蜀都"}).context["customers"]
    by_code = client.get(reverse("desk:customers"), {"q": "bank-wan"}).context["customers"]

    assert [c.code for c in by_name] == ["other"]
    assert [c.code for c in by_code] == ["bank-wanzhou"]


def test_the_customer_list_is_paginated(client, world):
    CustomerFactory.create_batch(60)
    login(client, world.specialist)

    first = client.get(reverse("desk:customers")).context["page"]
    second = client.get(reverse("desk:customers"), {"page": "2"}).context["page"]

    assert len(first.object_list) == 50
    assert len(second.object_list) == 63 - 50


def test_an_account_manager_lists_only_their_customers_and_branches(client, world):
    customers = login(client, world.account).get(reverse("desk:customers")).context["customers"]

    assert sorted(c.code for c in customers) == ["bank", "bank-wanzhou"]


def test_the_customer_list_costs_the_same_queries_for_a_full_page_as_for_a_short_one(client, world):
    login(client, world.specialist)
    few = query_count(client, reverse("desk:customers"))
    for customer in CustomerFactory.create_batch(40):
        UnitFactory(customer=customer)

    assert query_count(client, reverse("desk:customers")) == few


# --- the roster -------------------------------------------------------------------------------

ROSTER = reverse("desk:roster")


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_roster_shows_who_is_on_duty_now_and_next_with_phone_numbers(client, world):
    now = timezone.now()
    OnCallShiftFactory(centre=world.chongqing, user=world.engineer, starts_at=now - timedelta(hours=2))
    OnCallShiftFactory(centre=world.chongqing, user=world.lead, starts_at=now + timedelta(hours=10))
    OnCallShiftFactory(centre=world.chengdu, starts_at=now - timedelta(hours=1))

    response = login(client, world.specialist).get(ROSTER, {"centre": "cq"})

    page = response.context["page"]
    assert [u.username for u in page.on_duty_now] == ["engineer"]
    assert [s.person for s in page.on_duty_next] == [str(world.lead)]
    assert len(page.week) == 2
    html = response.content.decode()
    assert world.engineer.phone in html and world.lead.phone in html
    assert response.context["form"] is None  # a specialist does not edit the roster


def test_a_centre_lead_adds_a_shift_to_their_centres_roster(client, world):
    starts = timezone.now() + timedelta(days=1)

    response = login(client, world.lead).post(
        f"{ROSTER}?centre=cq",
        {
            "user": world.engineer.pk,
            "starts_at": local_input(starts),
            "ends_at": local_input(starts + timedelta(hours=12)),
            "note": "夜班",
        },
    )

    assert response.status_code == 302
    shift = OnCallShift.objects.get()
    assert (shift.centre, shift.user, shift.note) == (world.chongqing, world.engineer, "夜班")


def test_a_shift_overlapping_the_same_persons_other_shift_is_a_form_error(client, world):
    starts = timezone.now() + timedelta(days=1)
    OnCallShiftFactory(centre=world.chengdu, user=world.engineer, starts_at=starts)

    response = login(client, world.manager).post(
        f"{ROSTER}?centre=cq",
        {
            "user": world.engineer.pk,
            "starts_at": local_input(starts + timedelta(hours=2)),
            "ends_at": local_input(starts + timedelta(hours=20)),
        },
    )

    assert response.status_code == 200
    assert "already on duty" in " ".join(response.context["form"].non_field_errors())
    assert OnCallShift.objects.count() == 1


def test_a_shift_that_ends_before_it_starts_is_a_form_error(client, world):
    starts = timezone.now() + timedelta(days=1)

    response = login(client, world.lead).post(
        f"{ROSTER}?centre=cq",
        {
            "user": world.engineer.pk,
            "starts_at": local_input(starts),
            "ends_at": local_input(starts - timedelta(hours=1)),
        },
    )

    assert response.context["form"].errors["ends_at"]
    assert not OnCallShift.objects.exists()


def test_staff_without_the_roster_capability_and_leads_of_other_centres_may_not_add_shifts(client, world):
    starts = timezone.now() + timedelta(days=1)
    data = {
        "user": world.engineer.pk,
        "starts_at": local_input(starts),
        "ends_at": local_input(starts + timedelta(hours=8)),
    }

    assert login(client, world.engineer).post(f"{ROSTER}?centre=cq", data).status_code == 403
    assert login(client, world.leader).post(f"{ROSTER}?centre=cq", data).status_code == 403
    assert login(client, world.lead).post(f"{ROSTER}?centre=cd", data).status_code == 403
    assert not OnCallShift.objects.exists()


def test_a_future_shift_can_be_removed_but_one_that_started_stays_as_a_record(client, world):
    now = timezone.now()
    future = OnCallShiftFactory(
        centre=world.chongqing, user=world.engineer, starts_at=now + timedelta(days=2)
    )
    started = OnCallShiftFactory(
        centre=world.chongqing, user=world.engineer, starts_at=now - timedelta(hours=1)
    )
    login(client, world.lead)

    client.post(reverse("desk:roster_remove_shift", kwargs={"pk": future.pk}))
    client.post(reverse("desk:roster_remove_shift", kwargs={"pk": started.pk}))

    assert list(OnCallShift.objects.values_list("pk", flat=True)) == [started.pk]


def test_someone_without_the_roster_capability_may_not_remove_a_shift(client, world):
    shift = OnCallShiftFactory(
        centre=world.chongqing, user=world.engineer, starts_at=timezone.now() + timedelta(days=2)
    )

    response = login(client, world.engineer).post(
        reverse("desk:roster_remove_shift", kwargs={"pk": shift.pk})
    )

    assert response.status_code == 403
    assert OnCallShift.objects.filter(pk=shift.pk).exists()


def test_a_customer_user_is_refused_the_roster(client, world):
    assert login(client, world.customer1).get(ROSTER).status_code == 403


def test_the_roster_defaults_to_ones_own_centre(client, world):
    response = login(client, world.engineer).get(ROSTER)

    assert response.context["page"].centre == world.chongqing


def test_the_roster_costs_the_same_queries_for_many_shifts(client, world):
    login(client, world.lead)
    now = timezone.now()
    OnCallShiftFactory(centre=world.chongqing, user=world.engineer, starts_at=now)
    OnCallShiftFactory(centre=world.chongqing, user=world.lead, starts_at=now + timedelta(hours=12))
    few = query_count(client, f"{ROSTER}?centre=cq")
    for day in range(1, 7):
        OnCallShiftFactory(centre=world.chongqing, starts_at=now + timedelta(days=day))

    assert query_count(client, f"{ROSTER}?centre=cq") == few


def test_the_customer_page_counts_the_overdue_inspections_and_links_to_them(client, world):
    from datetime import timedelta

    from django.utils import timezone

    from aftersales.visits.models import VisitKind
    from aftersales.visits.services import schedule_visit

    last_week = timezone.now() - timedelta(days=7)
    schedule_visit(
        customer=world.bank, kind=VisitKind.INSPECTION, planned_start=last_week, purpose="季度巡检", by=None
    )
    schedule_visit(
        customer=world.bank,
        kind=VisitKind.INSPECTION,
        planned_start=timezone.now() + timedelta(days=7),
        purpose="下季度巡检",
        by=None,
    )

    html = login(client, world.specialist).get(customer_url(world.bank)).content.decode()

    assert "1 overdue inspection" in html
    assert f"/desk/inspections/?customer={world.bank.pk}&amp;state=overdue" in html
