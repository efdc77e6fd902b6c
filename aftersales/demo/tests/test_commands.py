"""``aftersales demo``: the cast, the installed base, the tickets, ``--if-empty`` and ``--tickets``.

The demo takes several seconds to build through the real services, so one
build is shared by the tests of this module (rolled back at its end); each test
still runs in its own savepoint.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone, translation

from aftersales.accounts.models import OnCallShift, ServiceCentre, User
from aftersales.accounts.roles import Role
from aftersales.commitments.models import Clock
from aftersales.core.numbering import next_document_number
from aftersales.customers.models import Contact, Customer
from aftersales.demo.organisation import DEMO_LOGINS
from aftersales.notifications.models import OutboxMessage
from aftersales.search.models import SearchDocument
from aftersales.tickets.models import OPEN_STATUSES, Status, Ticket, TicketEvent
from aftersales.units.models import Contract, Unit, UnitPart

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo built once for this module, inside a transaction rolled back afterwards."""
    from huey.contrib.djhuey import HUEY

    output = StringIO()
    # The same fast hasher as conftest's per-test one, so the demo's passwords check in the tests.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        previous, HUEY.immediate = HUEY.immediate, True
        try:
            with transaction.atomic():
                call_command("demo", stdout=output)
                yield output.getvalue()
                transaction.set_rollback(True)
        finally:
            HUEY.immediate = previous


@pytest.mark.django_db
def test_every_demo_user_signs_in_with_the_password_demo(demo, client, rf):
    for login in DEMO_LOGINS:
        # django-axes wants the request that carries the credentials (it counts failures per address).
        signed_in = client.login(request=rf.post("/desk/login/"), username=login.username, password="demo")
        assert signed_in is True, login.username
        client.logout()


@pytest.mark.django_db
def test_the_demo_prints_the_address_and_every_login(demo):
    assert "http://127.0.0.1:" in demo
    for login in DEMO_LOGINS:
        assert login.username in demo


@pytest.mark.django_db
def test_the_cast_has_each_role_where_the_tests_expect_it(demo):
    users = {user.username: user for user in User.objects.select_related("centre")}
    assert users["admin"].is_superuser is True
    assert users["admin"].role == Role.ADMIN
    assert users["engineer"].role == Role.ENGINEER
    assert users["engineer"].centre.city == "重庆"
    assert users["lead"].role == Role.LEAD
    assert users["lead"].centre == users["engineer"].centre
    assert users["rnd"].centre.is_rnd is True
    for username in ("specialist", "manager", "account", "leader"):
        assert users[username].role == username


@pytest.mark.django_db
def test_the_vendor_has_three_service_centres_and_an_rnd_team(demo):
    centres = {centre.city: centre for centre in ServiceCentre.objects.filter(is_rnd=False)}
    assert set(centres) == {"重庆", "成都", "北京"}
    assert centres["重庆"].covers_city("涪陵") and centres["重庆"].covers_city("万州")
    assert centres["成都"].covers_city("绵阳")
    assert centres["北京"].covers_city("天津")
    assert ServiceCentre.objects.filter(is_rnd=True).count() == 1
    assert all(centre.product_lines.exists() for centre in centres.values())


@pytest.mark.django_db
def test_every_centre_has_day_and_night_duty_for_the_next_fourteen_days(demo):
    now = timezone.now()
    for centre in ServiceCentre.objects.all():
        for days in range(14):
            moment = now + timedelta(days=days)
            on_duty = OnCallShift.objects.filter(centre=centre, starts_at__lte=moment, ends_at__gt=moment)
            assert on_duty.exists(), (centre.code, days)
        for night in (now + timedelta(days=days, hours=12) for days in range(13)):
            assert OnCallShift.objects.filter(centre=centre, starts_at__lte=night, ends_at__gt=night).exists()


@pytest.mark.django_db
def test_twenty_customers_one_head_office_with_three_branches(demo):
    assert Customer.objects.count() == 20
    head_offices = Customer.objects.annotate(n=Count("branches")).filter(n__gt=0)
    assert [(c.name, c.n) for c in head_offices] == [("重庆农村商业银行", 3)]
    assert not Customer.objects.filter(tax_number="").exists()
    assert not Customer.objects.filter(invoice_title="").exists()
    cities = set(Customer.objects.values_list("sites__city", flat=True))
    assert {"重庆", "成都", "北京", "拉萨"} <= cities


@pytest.mark.django_db
def test_contacts_have_phones_written_in_different_ways(demo):
    phones = list(Contact.objects.exclude(phone="").values_list("phone", flat=True))
    assert any(phone.startswith("+86") for phone in phones)
    assert any("转" in phone or "ext" in phone for phone in phones)
    assert any("-" in phone for phone in phones)
    assert not Contact.objects.filter(email="").exists()


@pytest.mark.django_db
def test_customer_users_speak_for_two_customers_and_the_account_manager_has_both(demo):
    customer1 = Contact.objects.get(user__username="customer1").customer
    customer2 = Contact.objects.get(user__username="customer2").customer
    assert customer1 != customer2
    assert customer1.branches.count() == 3
    account = User.objects.get(username="account")
    assert {customer1, customer2} <= set(account.managed_customers.all())
    assert account.managed_customers.count() > 2


@pytest.mark.django_db
def test_the_installed_base_shows_every_warranty_case(demo):
    assert 190 <= Unit.objects.count() <= 210
    assert set(Unit.objects.values_list("product_model__name", flat=True)) == {
        "服务器密码机 SJJ1310",
        "签名验签服务器 SVS1800",
        "VPN 安全网关 VPN3000",
        "密钥管理系统 KMS V5",
        "时间戳服务器 TSS2000",
    }
    assert UnitPart.objects.filter(origin=UnitPart.Origin.CUSTOMER_ADDED).exists()
    assert UnitPart.objects.filter(origin=UnitPart.Origin.VENDOR_REPLACEMENT, replaces__isnull=False).exists()
    assert Unit.objects.filter(replaces__isnull=False).count() == 1
    assert Unit.objects.filter(accepted_on__isnull=True).exists()
    three_years_ago = timezone.localdate() - timedelta(days=3 * 365 + 1)
    assert Unit.objects.filter(shipped_on__lt=three_years_ago).exists()  # out of hardware warranty
    assert set(Contract.objects.values_list("kind", flat=True)) == set(Contract.Kind.values)


@pytest.mark.django_db
def test_about_three_hundred_tickets_in_every_status(demo):
    assert 290 <= Ticket.objects.count() <= 310
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Ticket.objects.values_list("kind", flat=True)) >= {"fault", "complaint", "consultation"}
    first = Ticket.objects.order_by("reported_at").first().reported_at
    assert timezone.now() - first <= timedelta(days=90)
    assert timezone.now() - first > timedelta(days=60)


@pytest.mark.django_db
def test_some_promises_are_at_risk_some_breached_some_met(demo):
    now = timezone.now()
    running = Clock.objects.filter(status=Clock.Status.RUNNING)
    at_risk = running.filter(breached_at__isnull=True, warned_at__isnull=False, due_at__gt=now)
    assert at_risk.exists()
    assert running.filter(breached_at__isnull=False).exists()
    assert Clock.objects.filter(status=Clock.Status.MET, breached_at__isnull=True).exists()
    assert Clock.objects.filter(status=Clock.Status.MET, breached_at__isnull=False).exists()
    assert Ticket.objects.filter(has_breach=True, status__in=OPEN_STATUSES).exists()
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ESCALATED).exists()


@pytest.mark.django_db
def test_resolved_tickets_await_their_follow_up_and_closed_ones_had_it(demo):
    resolved = Ticket.objects.filter(status=Status.RESOLVED)
    assert resolved.count() >= 10
    assert not resolved.filter(follow_ups__is_fixed=True).exists()
    assert Ticket.objects.filter(status=Status.CLOSED, follow_ups__is_fixed=True).exists()
    assert Ticket.objects.filter(status=Status.CLOSED, auto_closed=True).exists()


@pytest.mark.django_db
def test_every_demo_ticket_is_in_the_search_index(demo):
    assert SearchDocument.objects.count() == Ticket.objects.count()


@pytest.mark.django_db
def test_the_replayed_notices_count_as_delivered(demo):
    assert OutboxMessage.objects.exists()
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()
    unread = OutboxMessage.objects.filter(recipient__isnull=False, read_at__isnull=True)
    assert unread.exists()
    open_numbers = set(Ticket.objects.filter(status__in=OPEN_STATUSES).values_list("number", flat=True))
    assert set(unread.values_list("reference", flat=True)) <= open_numbers


@pytest.mark.django_db
def test_running_the_demo_again_with_if_empty_changes_nothing(demo):
    tickets, users = Ticket.objects.count(), User.objects.count()
    output = StringIO()
    with translation.override("en"):
        call_command("demo", "--if-empty", stdout=output)
    assert (Ticket.objects.count(), User.objects.count()) == (tickets, users)
    assert "no demo data loaded" in output.getvalue()
    assert "customer2" in output.getvalue()


@pytest.mark.django_db
def test_running_the_demo_again_without_if_empty_is_refused(demo):
    with translation.override("en"), pytest.raises(CommandError, match="already has users"):
        call_command("demo", stdout=StringIO())


@pytest.mark.django_db
def test_adding_tickets_writes_that_many_with_distinct_numbers(demo):
    before = set(Ticket.objects.values_list("pk", flat=True))
    errors = StringIO()
    call_command("demo", "--tickets", "2000", stdout=StringIO(), stderr=errors)
    added = Ticket.objects.exclude(pk__in=before)
    assert added.count() == 2000
    assert len(set(Ticket.objects.values_list("number", flat=True))) == Ticket.objects.count()
    assert TicketEvent.objects.filter(ticket__in=added, kind=TicketEvent.Kind.CREATED).count() == 2000
    open_share = added.filter(status__in=OPEN_STATUSES).count() / 2000
    assert 0.35 <= open_share <= 0.45
    assert added.filter(status__in=OPEN_STATUSES, next_due_at__isnull=False).exists()
    assert Clock.objects.filter(subject_type="ticket", subject_id__in=added.values("pk")).count() >= 2000
    assert "100%" in errors.getvalue()
    highest = max(int(number.rsplit("-", 1)[1]) for number in Ticket.objects.values_list("number", flat=True))
    assert int(next_document_number("SR").rsplit("-", 1)[1]) == highest + 1
