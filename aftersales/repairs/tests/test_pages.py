"""The desk, portal and API faces of repairs: permissions, refusals without a 500, isolation, queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftersales.repairs import services
from aftersales.repairs.models import Repair, Status
from aftersales.repairs.tests.conftest import local, open_fault, ready_to_ship, receive

pytestmark = pytest.mark.django_db


def test_the_ticket_panel_offers_to_open_a_repair_and_opening_it_lands_on_the_repair(client, cast):
    ticket = open_fault(cast, unit=cast.unit1, at=local(2026, 9, 1))
    client.force_login(cast.specialist)
    panel = client.get(f"/desk/repairs/ticket/{ticket.number}/panel/")
    assert panel.status_code == 200
    assert b"Open a repair for this unit" in panel.content
    response = client.post(f"/desk/repairs/ticket/{ticket.number}/open/", {"fault": "无法启动"})
    repair = Repair.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/repairs/{repair.number}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Missing" in page.content.decode()
    panel = client.get(f"/desk/repairs/ticket/{ticket.number}/panel/")
    assert repair.number in panel.content.decode()
    assert b"Open a repair for this unit" not in panel.content


def test_a_reader_sees_the_panel_without_the_button_and_may_not_open(client, cast):
    ticket = open_fault(cast, unit=cast.unit1, at=local(2026, 9, 1))
    client.force_login(cast.leader)
    panel = client.get(f"/desk/repairs/ticket/{ticket.number}/panel/")
    assert panel.status_code == 200
    assert b"Open a repair" not in panel.content
    assert client.post(f"/desk/repairs/ticket/{ticket.number}/open/", {"fault": "x"}).status_code == 403
    assert not Repair.objects.exists()


def test_shipping_without_the_records_is_a_409_on_the_page_and_changes_nothing(client, cast):
    at = local(2026, 9, 1)
    repair = services.open_repair(
        ticket=open_fault(cast, unit=cast.unit1, at=at), by=cast.specialist, fault="x", at=at
    )
    client.force_login(cast.specialist)
    response = client.post(
        f"/desk/repairs/{repair.number}/step/",
        {
            "step-step": "ship_in",
            "step-carrier": "顺丰",
            "step-tracking": "SF1",
            "step-version": repair.version,
        },
    )
    assert response.status_code == 409
    assert "backup acknowledgement" in response.content.decode()
    repair.refresh_from_db()
    assert repair.status == Status.OPENED


def test_a_bad_step_value_is_a_400_not_a_500(client, cast):
    repair = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 1))
    client.force_login(cast.engineer)
    response = client.post(f"/desk/repairs/{repair.number}/step/", {"step-step": "nonsense"})
    assert response.status_code == 400
    response = client.post(f"/desk/repairs/{repair.number}/erasure/", {"erasure-method": "x"})
    assert response.status_code == 400


def test_the_desk_list_shows_open_repairs_with_due_dates_in_a_fixed_number_of_queries(
    client, cast, django_assert_max_num_queries
):
    for index, unit in ((1, cast.unit1), (1, cast.old_unit1), (2, cast.unit2)):
        receive(cast, ready_to_ship(cast, unit=unit, at=local(2026, 9, 20), index=index), local(2026, 9, 25))
    client.force_login(cast.manager)
    with django_assert_max_num_queries(8):
        response = client.get("/desk/repairs/")
    body = response.content.decode()
    assert body.count("RMA-2026-") >= 3
    assert "2026-10-29" in body
    assert client.get("/desk/repairs/?state=late&q=SJJ").status_code == 200


def test_a_customer_acknowledges_the_backup_in_the_portal_and_sees_only_its_repairs(client, cast):
    at = local(2026, 9, 1)
    repair = services.open_repair(
        ticket=open_fault(cast, unit=cast.unit1, at=at), by=cast.specialist, fault="x", at=at
    )
    client.force_login(cast.customer2)
    assert client.get(f"/portal/repairs/{repair.number}/").status_code == 404
    assert (
        client.post(f"/portal/repairs/{repair.number}/acknowledge/", {"confirmed": "on"}).status_code == 404
    )
    assert repair.number not in client.get("/portal/repairs/").content.decode()
    client.force_login(cast.customer1)
    page = client.get(f"/portal/repairs/{repair.number}/")
    assert "not liable" in page.content.decode()
    refused = client.post(f"/portal/repairs/{repair.number}/acknowledge/", {})
    assert refused.status_code == 400
    done = client.post(f"/portal/repairs/{repair.number}/acknowledge/", {"confirmed": "on"})
    assert done.status_code == 302
    repair.refresh_from_db()
    assert repair.backup_ack_user == cast.customer1


def test_the_portal_statement_is_in_chinese_for_a_chinese_reader(client, cast):
    at = local(2026, 9, 1)
    repair = services.open_repair(
        ticket=open_fault(cast, unit=cast.unit1, at=at), by=cast.specialist, fault="x", at=at
    )
    client.force_login(cast.customer1)
    page = client.get(f"/portal/repairs/{repair.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200


def test_the_api_lists_repairs_in_scope_only(client, cast, django_assert_max_num_queries):
    first = ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 1))
    second = ready_to_ship(cast, unit=cast.unit2, at=local(2026, 9, 1), index=2)
    client.force_login(cast.manager)
    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/repairs/")
    numbers = {row["number"] for row in listed.json()["results"]}
    assert numbers == {first.number, second.number}
    detail = client.get(f"/api/v1/repairs/{first.number}/").json()
    assert detail["unit"] == "SJJ-CQ-0001"
    assert detail["events"]
    client.force_login(cast.customer1)
    assert {row["number"] for row in client.get("/api/v1/repairs/").json()["results"]} == {first.number}
    assert client.get(f"/api/v1/repairs/{second.number}/").status_code == 404
    assert client.get(f"/api/v1/repairs/{second.pk}/").status_code == 404
    assert client.post("/api/v1/repairs/", {}).status_code in (403, 405)


def test_desk_urls_reverse(cast):
    assert reverse("desk:repair_list") == "/desk/repairs/"
    assert reverse("portal:repair_list") == "/portal/repairs/"


def test_the_customer_approves_the_repair_quote_on_the_repair_page(client, cast):
    repair = receive(
        cast, ready_to_ship(cast, unit=cast.old_unit1, at=local(2026, 9, 20)), local(2026, 9, 25)
    )
    services.move_repair(
        repair=repair,
        step="diagnose",
        by=cast.engineer,
        details=services.StepInput(diagnosis="电源模块损坏"),
        at=local(2026, 9, 25, 15),
    )
    services.quote_repair(repair=repair, by=cast.specialist, at=local(2026, 9, 28))
    client.force_login(cast.customer2)
    assert client.post(f"/portal/repairs/{repair.number}/quote/", {"decision": "approve"}).status_code == 404
    client.force_login(cast.customer1)
    assert client.post(f"/portal/repairs/{repair.number}/quote/", {"decision": "maybe"}).status_code == 400
    response = client.post(f"/portal/repairs/{repair.number}/quote/", {"decision": "approve"})
    assert response.status_code == 302, response.content.decode()[:3000]
    repair.refresh_from_db()
    assert repair.status == Status.APPROVED


def test_the_engineer_records_a_fitted_part_on_the_repair_page(client, cast):
    repair = receive(cast, ready_to_ship(cast, unit=cast.unit1, at=local(2026, 9, 20)), local(2026, 9, 25))
    client.force_login(cast.engineer)
    early = client.post(
        f"/desk/repairs/{repair.number}/part/", {"part-part_number": "PSU-500", "part-quantity": 1}
    )
    assert early.status_code == 409
    services.move_repair(
        repair=repair,
        step="diagnose",
        by=cast.engineer,
        details=services.StepInput(diagnosis="电源模块损坏"),
        at=local(2026, 9, 28),
    )
    page = client.get(f"/desk/repairs/{repair.number}/")
    assert b'id="action-part"' in page.content
    done = client.post(
        f"/desk/repairs/{repair.number}/part/", {"part-part_number": "PSU-500", "part-quantity": 1}
    )
    assert done.status_code == 302
    assert repair.parts.get().part_number == "PSU-500"
