"""Tickets through the API: report, list, find by id or number, reply, move, correct."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.tickets import services
from aftersales.tickets.models import Status, Ticket, TicketEvent
from aftersales.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

REPORT = {
    "severity": "severe",
    "title": "加密机无响应",
    "description": "签名服务全部超时，业务中断，已重启设备无效。",
    "business_impact": "柜面业务无法办理",
}


def _moves(response) -> list[str]:
    return [move["move"] for move in response.json()["allowed_moves"]]


# --- create ------------------------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_customer_reports_a_fault_on_its_unit_by_serial(cast, api):
    response = api(cast.customer1).post("/api/v1/tickets/", {**REPORT, "unit": cast.unit1.serial})

    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body["number"] == ticket.number
    assert ticket.customer == cast.first
    assert ticket.unit == cast.unit1
    assert ticket.channel == "api"
    assert ticket.reporter == cast.contact1
    assert ticket.status == Status.NEW
    assert body["entitlement"] == "in_warranty"


def test_a_customer_may_name_its_unit_by_id_and_its_onsite_contact(cast, api):
    response = api(cast.customer1).post(
        "/api/v1/tickets/", {**REPORT, "unit": cast.unit1.pk, "onsite_contact": cast.caller.pk}
    )

    assert response.status_code == 201, response.json()
    assert Ticket.objects.get(pk=response.json()["id"]).onsite_contact == cast.caller


def test_a_customer_cannot_report_on_another_customers_unit(cast, api):
    before = Ticket.objects.count()

    response = api(cast.customer1).post("/api/v1/tickets/", {**REPORT, "unit": cast.unit2.serial})

    assert response.status_code == 400
    assert "unit" in response.json()["error"]["fields"]
    assert Ticket.objects.count() == before


@pytest.mark.parametrize(
    "field,value",
    [
        ("status", "closed"),
        ("assignee", 1),
        ("centre", 1),
        ("entitlement", "in_warranty"),
        ("channel", "phone"),
        ("reported_at", "2026-03-02T09:00:00+08:00"),
        ("customer", 1),
        ("priority", "high"),
    ],
)
def test_a_customer_writing_a_staff_only_or_unknown_field_is_refused_naming_it(cast, api, field, value):
    before = Ticket.objects.count()

    response = api(cast.customer1).post(
        "/api/v1/tickets/", {**REPORT, "unit": cast.unit1.serial, field: value}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == [field]
    assert field in error["message"]
    assert Ticket.objects.count() == before


def test_staff_report_for_a_customer_with_channel_reporter_and_time(cast, api):
    reported_at = services.timezone.now().replace(microsecond=0) - services.timezone.timedelta(minutes=20)

    response = api(cast.specialist).post(
        "/api/v1/tickets/",
        {
            **REPORT,
            "customer": cast.first.code,
            "unit": cast.unit1.serial,
            "channel": "phone",
            "reporter": cast.caller.pk,
            "reported_at": reported_at.isoformat(),
        },
    )

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.channel, ticket.reporter, ticket.reported_at) == ("phone", cast.caller, reported_at)
    assert ticket.taken_by == cast.specialist


def test_staff_must_name_a_customer_or_a_unit(cast, api):
    response = api(cast.specialist).post("/api/v1/tickets/", {**REPORT, "kind": "consultation"})

    assert response.status_code == 400
    assert "customer" in response.json()["error"]["fields"]


def test_a_domain_refusal_is_a_400_with_the_services_message(cast, api):
    response = api(cast.customer1).post("/api/v1/tickets/", {**REPORT, "severity": ""})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "A fault needs the unit (serial number) it concerns."


def test_an_engineer_may_not_take_reports(cast, api):
    response = api(cast.engineer).post("/api/v1/tickets/", {**REPORT, "unit": cast.unit1.serial})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# --- read --------------------------------------------------------------------------------------------


def test_a_ticket_is_found_by_its_id_and_by_its_number(cast, api):
    client = api(cast.customer1)

    by_id = client.get(f"/api/v1/tickets/{cast.ticket1.pk}/")
    by_number = client.get(f"/api/v1/tickets/{cast.ticket1.number}/")

    assert by_id.status_code == by_number.status_code == 200
    assert by_id.json()["number"] == by_number.json()["number"] == cast.ticket1.number
    assert by_id.json()["id"] == by_number.json()["id"] == cast.ticket1.pk


def test_an_unknown_ticket_is_a_json_404(cast, api):
    response = api(cast.specialist).get("/api/v1/tickets/SR-1999-999999/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_customers_see_only_their_organisations_tickets_in_the_list(cast, api):
    response = api(cast.customer1).get("/api/v1/tickets/")

    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [cast.ticket1.number]


def test_customers_see_the_public_timeline_only(cast, api):
    services.add_internal_note(ticket=cast.ticket1, by=cast.specialist, body="客户是重点客户")

    customer_view = api(cast.customer1).get(f"/api/v1/tickets/{cast.ticket1.number}/").json()
    staff_view = api(cast.specialist).get(f"/api/v1/tickets/{cast.ticket1.number}/").json()

    assert "note" not in [event["kind"] for event in customer_view["timeline"]]
    assert "note" in [event["kind"] for event in staff_view["timeline"]]


def test_the_list_filters_by_status_kind_customer_and_number(cast, api):
    services.accept_ticket(ticket=cast.ticket2, by=cast.manager)
    client = api(cast.specialist)

    accepted = client.get("/api/v1/tickets/", {"status": "accepted"}).json()["results"]
    of_first = client.get("/api/v1/tickets/", {"customer": cast.first.pk}).json()["results"]
    by_number = client.get("/api/v1/tickets/", {"number": cast.ticket1.number}).json()["results"]
    complaints = client.get("/api/v1/tickets/", {"kind": "complaint"}).json()["results"]

    assert [row["id"] for row in accepted] == [cast.ticket2.pk]
    assert [row["id"] for row in of_first] == [cast.ticket1.pk]
    assert [row["id"] for row in by_number] == [cast.ticket1.pk]
    assert complaints == []


def test_the_list_filters_by_updated_since(cast, api):
    later = cast.ticket2.updated_at
    Ticket.objects.filter(pk=cast.ticket1.pk).update(updated_at=later - services.timezone.timedelta(days=1))

    response = api(cast.specialist).get("/api/v1/tickets/", {"updated_since": later.isoformat()})

    assert [row["id"] for row in response.json()["results"]] == [cast.ticket2.pk]


def test_cursor_pages_walk_every_ticket_once_in_the_order_asked(cast, api):
    for _ in range(5):
        TicketFactory(customer=cast.first, unit=cast.unit1)
    client = api(cast.specialist)
    expected = list(Ticket.objects.order_by("reported_at", "id").values_list("id", flat=True))

    seen, url = [], "/api/v1/tickets/?page_size=3&ordering=reported_at"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert seen == expected


def test_list_queries_do_not_grow_with_the_page_size(cast, api):
    client = api(cast.specialist)
    client.get("/api/v1/tickets/")  # the token and the user are looked up the same way every time
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/tickets/").json()["results"]) == 2
    for _ in range(8):
        TicketFactory(customer=cast.second, unit=cast.unit2, assignee=cast.engineer)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/tickets/").json()["results"]) == 10

    assert len(many) == len(few)


# --- replies -----------------------------------------------------------------------------------------


def test_staff_reply_in_public_and_write_internal_notes(cast, api):
    client = api(cast.specialist)
    url = f"/api/v1/tickets/{cast.ticket1.number}/replies/"

    public = client.post(url, {"body": "请提供设备日志", "version": cast.ticket1.version})
    note = client.post(url, {"body": "疑似批次问题", "internal": True})

    assert public.status_code == note.status_code == 201
    written = cast.ticket1.events.filter(kind__in=(TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE))
    kinds = list(written.values_list("kind", "is_public").order_by("id"))
    assert kinds == [(TicketEvent.Kind.REPLY, True), (TicketEvent.Kind.NOTE, False)]
    assert note.json()["version"] == cast.ticket1.version + 2


def test_a_customer_reply_is_recorded_with_its_files(cast, api):
    upload = SimpleUploadedFile("日志.txt", b"ERROR 0x51 board timeout", content_type="text/plain")

    response = api(cast.customer1).post(
        f"/api/v1/tickets/{cast.ticket1.pk}/replies/",
        {"body": "日志见附件", "attachments": [upload]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    event = cast.ticket1.events.get(kind=TicketEvent.Kind.CUSTOMER_REPLY)
    assert (event.body, event.actor) == ("日志见附件", cast.customer1)
    assert [file["name"] for file in response.json()["attachments"]] == ["日志.txt"]


def test_a_customer_reply_to_a_waiting_ticket_sets_work_going_again(cast, api):
    services.accept_ticket(ticket=cast.ticket1, by=cast.engineer)
    services.start_work(ticket=cast.ticket1, by=cast.engineer)
    services.wait_for_customer(ticket=cast.ticket1, by=cast.engineer, reason="等待日志")

    response = api(cast.customer1).post(f"/api/v1/tickets/{cast.ticket1.pk}/replies/", {"body": "日志已上传"})

    assert response.status_code == 201
    assert response.json()["status"] == Status.IN_PROGRESS


def test_a_customer_cannot_write_an_internal_note(cast, api):
    response = api(cast.customer1).post(
        f"/api/v1/tickets/{cast.ticket1.pk}/replies/", {"body": "内部", "internal": True}
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["internal"]
    assert not cast.ticket1.events.filter(body="内部").exists()


# --- transitions -------------------------------------------------------------------------------------


def test_staff_move_a_ticket_through_its_workflow(cast, api):
    client = api(cast.engineer)
    url = f"/api/v1/tickets/{cast.ticket1.number}/transitions/"

    accepted = client.post(url, {"move": "accept", "version": cast.ticket1.version})
    started = client.post(url, {"move": "start_work", "version": accepted.json()["version"]})
    resolved = client.post(
        url,
        {
            "move": "resolve",
            "version": started.json()["version"],
            "diagnosis": "主板通讯芯片故障",
            "actions_taken": "远程指导更换备用加密卡",
            "level_reached": "L2",
        },
    )

    assert [r.status_code for r in (accepted, started, resolved)] == [200, 200, 200], resolved.json()
    assert resolved.json()["status"] == Status.RESOLVED
    cast.ticket1.refresh_from_db()
    assert cast.ticket1.status == Status.RESOLVED
    assert cast.ticket1.level_reached == "L2"


def test_the_ticket_lists_the_moves_the_caller_may_make(cast, api):
    engineer = api(cast.engineer).get(f"/api/v1/tickets/{cast.ticket1.pk}/")
    customer = api(cast.customer1).get(f"/api/v1/tickets/{cast.ticket1.pk}/")

    assert "accept" in _moves(engineer)
    assert _moves(customer) == []


def test_a_move_based_on_a_stale_version_is_a_409_and_changes_nothing(cast, api):
    stale = cast.ticket1.version
    services.reply_to_customer(ticket=cast.ticket1, by=cast.specialist, body="已收到")

    response = api(cast.engineer).post(
        f"/api/v1/tickets/{cast.ticket1.pk}/transitions/", {"move": "accept", "version": stale}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "changed by" in response.json()["error"]["message"]
    cast.ticket1.refresh_from_db()
    assert cast.ticket1.status == Status.NEW


def test_a_move_the_workflow_refuses_is_a_409_with_the_reason(cast, api):
    response = api(cast.engineer).post(
        f"/api/v1/tickets/{cast.ticket1.pk}/transitions/",
        {"move": "start_work", "version": cast.ticket1.version},
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert "is only possible from Accepted" in error["message"]
    cast.ticket1.refresh_from_db()
    assert cast.ticket1.status == Status.NEW


def test_an_input_the_move_does_not_take_is_refused_naming_it(cast, api):
    response = api(cast.engineer).post(
        f"/api/v1/tickets/{cast.ticket1.pk}/transitions/",
        {"move": "accept", "version": cast.ticket1.version, "reason": "x"},
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["reason"]


def test_a_customer_may_not_make_staff_moves(cast, api):
    response = api(cast.customer1).post(
        f"/api/v1/tickets/{cast.ticket1.pk}/transitions/", {"move": "accept", "version": cast.ticket1.version}
    )

    assert response.status_code == 403
    cast.ticket1.refresh_from_db()
    assert cast.ticket1.status == Status.NEW


def test_a_ticket_is_marked_a_duplicate_of_another_by_number(cast, api):
    original = services.open_ticket(
        by=cast.specialist,
        kind="fault",
        channel="phone",
        customer=cast.first,
        unit=cast.unit1,
        severity="general",
        title="同一故障",
        description="同一台设备的同一故障",
    )

    response = api(cast.specialist).post(
        f"/api/v1/tickets/{cast.ticket1.pk}/transitions/",
        {"move": "mark_duplicate", "version": cast.ticket1.version, "duplicate_of": original.number},
    )

    assert response.status_code == 200, response.json()
    cast.ticket1.refresh_from_db()
    assert (cast.ticket1.status, cast.ticket1.duplicate_of) == (Status.CANCELLED, original)


# --- staff corrections -------------------------------------------------------------------------------


def test_a_manager_changes_severity_and_assignee_in_one_request(cast, api):
    response = api(cast.manager).patch(
        f"/api/v1/tickets/{cast.ticket1.number}/",
        {
            "version": cast.ticket1.version,
            "severity": "severe",
            "assignee": cast.engineer.username,
            "reason": "业务已中断",
        },
    )

    assert response.status_code == 200, response.json()
    cast.ticket1.refresh_from_db()
    assert (cast.ticket1.severity, cast.ticket1.assignee) == ("severe", cast.engineer)


def test_a_correction_refused_half_way_changes_nothing(cast, api):
    response = api(cast.manager).patch(
        f"/api/v1/tickets/{cast.ticket1.number}/",
        {"version": cast.ticket1.version, "title": "新标题", "severity": "severe"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "A severity change needs a reason."
    cast.ticket1.refresh_from_db()
    assert (cast.ticket1.title, cast.ticket1.severity) == ("主板故障，业务中断", "general")


@pytest.mark.parametrize("field,value", [("status", "closed"), ("severity", "severe"), ("assignee", 1)])
def test_a_customer_writing_a_staff_field_on_its_ticket_is_refused_naming_it(cast, api, field, value):
    version = cast.ticket1.version

    response = api(cast.customer1).patch(f"/api/v1/tickets/{cast.ticket1.number}/", {field: value})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    cast.ticket1.refresh_from_db()
    assert (cast.ticket1.version, cast.ticket1.status, cast.ticket1.severity) == (version, "new", "general")
    assert cast.ticket1.assignee is None


def test_a_customer_may_not_correct_a_ticket_at_all(cast, api):
    response = api(cast.customer1).patch(f"/api/v1/tickets/{cast.ticket1.number}/", {})

    assert response.status_code == 403


def test_staff_writing_the_status_on_a_report_are_told_to_use_a_transition(cast, api):
    response = api(cast.specialist).post(
        "/api/v1/tickets/", {**REPORT, "unit": cast.unit1.serial, "status": "accepted"}
    )

    assert response.status_code == 400
    assert "transition" in response.json()["error"]["fields"]["status"][0]
