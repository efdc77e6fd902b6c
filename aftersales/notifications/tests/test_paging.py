"""Paging whoever is on duty: WeCom and DingTalk group robots at any hour, SMS at night (local receiver)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from aftersales.accounts.roles import Role
from aftersales.accounts.tests.factories import OnCallShiftFactory, ServiceCentreFactory, UserFactory
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.paging import is_quiet_hours
from aftersales.notifications.services import deliver_due_messages, queue_notice, retry_messages
from aftersales.notifications.tests.conftest import SECRET, Reply
from aftersales.notifications.tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 3, 3, 2, 30, tzinfo=SH)
DAY = datetime(2026, 3, 3, 14, 0, tzinfo=SH)
MOBILE = "13823010001"
SUBJECT = "[SR-2026-000001] 即将超时：响应 截止 2026-03-03 03:00"


@pytest.fixture
def centre(gateways):
    return ServiceCentreFactory(
        code="cq",
        wecom_webhook=f"{gateways.url}/cgi-bin/webhook/send?key=wecom-key",
        dingtalk_webhook=f"{gateways.url}/robot/send?access_token=ding-token",
        dingtalk_secret=SECRET,
    )


@pytest.fixture
def on_duty(centre):
    engineer = UserFactory(
        username="engineer",
        role=Role.ENGINEER,
        centre=centre,
        phone="+86 138-2301-0001",
        email="engineer@vendor.example",
        language="zh-hans",
    )
    OnCallShiftFactory(
        centre=centre,
        user=engineer,
        starts_at=datetime(2026, 3, 2, 20, 0, tzinfo=SH),
        ends_at=datetime(2026, 3, 3, 20, 0, tzinfo=SH),
    )
    return engineer


def _notice(user, *, kind: str = "clock_warning") -> OutboxMessage:
    """A notice as the escalation sweep writes it."""
    return queue_notice(
        kind=kind,
        recipient=user,
        subject=SUBJECT,
        body="承诺“响应”将于 2026-03-03 03:00 到期，尚未达成。",
        reference="SR-2026-000001",
        dedupe_key=f"clock:1:{kind}:{user.pk}",
    )


def _valid_dingtalk_signature(request) -> bool:
    timestamp, sign = request.query["timestamp"][0], request.query["sign"][0]
    digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    fresh = abs(int(timestamp) / 1000 - time.time()) < 3600
    return fresh and hmac.compare_digest(sign, base64.b64encode(digest).decode())


@pytest.mark.smoke
def test_by_day_a_warning_to_the_engineer_on_duty_goes_to_both_group_robots_and_not_by_sms(gateways, on_duty):
    notice = _notice(on_duty)

    result = deliver_due_messages(now=DAY + timedelta(seconds=5))

    assert (result.paged, result.sent, result.failed) == (2, 3, 0)
    [wecom] = gateways.on("/cgi-bin/webhook/send")
    assert wecom.query == {"key": ["wecom-key"]}
    assert wecom.json == {
        "msgtype": "text",
        "text": {"content": wecom.json["text"]["content"], "mentioned_mobile_list": [MOBILE]},
    }
    assert wecom.json["text"]["content"].startswith(SUBJECT)
    [dingtalk] = gateways.on("/robot/send")
    assert dingtalk.query["access_token"] == ["ding-token"]
    assert _valid_dingtalk_signature(dingtalk)
    assert dingtalk.json["msgtype"] == "text"
    assert dingtalk.json["at"] == {"atMobiles": [MOBILE]}
    assert f"@{MOBILE}" in dingtalk.json["text"]["content"]
    assert gateways.on("/sms") == []
    assert [m.to for m in mail.outbox] == [["engineer@vendor.example"]]
    pages = OutboxMessage.objects.exclude(pk=notice.pk)
    assert set(pages.values_list("channel", "status", "address")) == {
        ("wecom", "sent", MOBILE),
        ("dingtalk", "sent", MOBILE),
    }
    assert not pages.filter(recipient__isnull=False).exists()  # the console inbox shows it once


def test_at_night_the_person_on_duty_is_also_woken_by_sms(gateways, on_duty):
    _notice(on_duty, kind="clock_breach")

    deliver_due_messages(now=NIGHT + timedelta(seconds=5))

    [sms] = gateways.on("/sms/send")
    assert sms.headers["x-api-key"] == "t0k3n"
    assert sms.json["mobile"] == MOBILE
    assert sms.json["sign"] == "江南科友"
    assert sms.json["content"].startswith(SUBJECT)
    assert len(gateways.on("/cgi-bin/webhook/send")) == len(gateways.on("/robot/send")) == 1


def test_quiet_hours_are_configurable(gateways, on_duty, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "QUIET_HOURS": "03:00-06:00"}
    _notice(on_duty)

    deliver_due_messages(now=NIGHT)

    assert gateways.on("/sms") == []


@pytest.mark.parametrize(
    ("local", "quiet"),
    [("21:59", False), ("22:00", True), ("23:59", True), ("00:00", True), ("07:59", True), ("08:00", False)],
)
def test_the_default_quiet_hours_run_from_ten_at_night_to_eight_in_the_morning(local, quiet):
    hour, minute = (int(part) for part in local.split(":"))
    assert is_quiet_hours(datetime(2026, 3, 3, hour, minute, tzinfo=SH)) is quiet


def test_quiet_hours_are_read_in_the_business_time_zone():
    # 15:00 UTC is 23:00 in Shanghai.
    assert is_quiet_hours(datetime(2026, 3, 3, 15, 0, tzinfo=ZoneInfo("UTC"))) is True


def test_equal_quiet_hour_ends_mean_no_night_sms_and_a_typo_is_refused(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "QUIET_HOURS": "00:00-00:00"}
    assert is_quiet_hours(NIGHT) is False
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "QUIET_HOURS": "22-8"}
    with pytest.raises(ImproperlyConfigured):
        is_quiet_hours(NIGHT)


def test_duty_is_judged_when_the_notice_goes_out(gateways, on_duty):
    _notice(on_duty)

    deliver_due_messages(now=datetime(2026, 3, 3, 20, 0, tzinfo=SH))  # the shift has just ended

    assert gateways.requests == []


def test_someone_not_on_duty_gets_only_the_mail(gateways, on_duty, centre):
    lead = UserFactory(username="lead", role=Role.LEAD, centre=centre, phone="13900000000")

    _notice(lead)
    deliver_due_messages(now=NIGHT)

    assert gateways.requests == []
    assert OutboxMessage.objects.count() == 1


def test_a_notice_that_is_not_about_a_promise_pages_nobody(gateways, on_duty):
    _notice(on_duty, kind="ticket_assigned")

    deliver_due_messages(now=NIGHT)

    assert gateways.requests == []


def test_a_person_on_duty_without_e_mail_is_still_paged_and_only_once(gateways, on_duty):
    on_duty.email = ""
    on_duty.save(update_fields=["email"])
    notice = _notice(on_duty)

    deliver_due_messages(now=NIGHT)
    notice.refresh_from_db()
    assert notice.status == OutboxMessage.Status.FAILED
    retry_messages(message_ids=[notice.pk])
    deliver_due_messages(now=NIGHT + timedelta(minutes=1))

    assert len(gateways.requests) == 3  # WeCom, DingTalk, SMS: not again after the retry
    assert OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS).count() == 1


def test_a_robot_answering_a_nonzero_errcode_has_failed_and_is_retried(gateways, on_duty, centre):
    centre.dingtalk_webhook = ""
    centre.save(update_fields=["dingtalk_webhook"])
    gateways.replies.append(Reply(body={"errcode": 93000, "errmsg": "invalid webhook url"}))
    _notice(on_duty)

    result = deliver_due_messages(now=DAY)

    assert result.retrying == 1
    wecom = OutboxMessage.objects.get(channel=OutboxMessage.Channel.WECOM)
    assert wecom.status == OutboxMessage.Status.PENDING
    assert "errcode 93000: invalid webhook url" in wecom.last_error
    assert wecom.next_attempt_at == DAY + timedelta(minutes=1)

    deliver_due_messages(now=DAY + timedelta(minutes=1))

    wecom.refresh_from_db()
    assert wecom.status == OutboxMessage.Status.SENT
    assert len(gateways.on("/cgi-bin/webhook/send")) == 2


def test_a_dingtalk_signature_refusal_is_a_failure(gateways, on_duty, centre):
    centre.wecom_webhook = ""
    centre.save(update_fields=["wecom_webhook"])
    gateways.replies.append(Reply(body={"errcode": 310000, "errmsg": "sign not match"}))
    _notice(on_duty)

    deliver_due_messages(now=DAY)

    dingtalk = OutboxMessage.objects.get(channel=OutboxMessage.Channel.DINGTALK)
    assert (dingtalk.status, dingtalk.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert "310000" in dingtalk.last_error


def test_a_dingtalk_robot_without_a_secret_is_called_unsigned(gateways, on_duty, centre):
    centre.wecom_webhook, centre.dingtalk_secret = "", ""
    centre.save(update_fields=["wecom_webhook", "dingtalk_secret"])
    _notice(on_duty)

    deliver_due_messages(now=DAY)

    [dingtalk] = gateways.on("/robot/send")
    assert dingtalk.query == {"access_token": ["ding-token"]}


def test_an_sms_gateway_error_is_retried_like_mail(gateways, on_duty, centre):
    centre.wecom_webhook = centre.dingtalk_webhook = ""
    centre.save(update_fields=["wecom_webhook", "dingtalk_webhook"])
    gateways.replies.append(Reply(status=503, body={"message": "busy"}))
    _notice(on_duty)

    deliver_due_messages(now=NIGHT)

    sms = OutboxMessage.objects.get(channel=OutboxMessage.Channel.SMS)
    assert (sms.status, sms.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert "HTTP 503" in sms.last_error
    deliver_due_messages(now=NIGHT + timedelta(minutes=1))
    sms.refresh_from_db()
    assert sms.status == OutboxMessage.Status.SENT


def test_sms_text_is_json_escaped_into_the_gateway_template(gateways):
    OutboxMessageFactory(
        channel=OutboxMessage.Channel.SMS,
        address="13800001234",
        subject='[SR-2026-000123] 设备 "A\\B" 已修复',
    )

    deliver_due_messages(now=DAY)

    [sms] = gateways.on("/sms/send")
    assert sms.json["mobile"] == "13800001234"
    assert sms.json["content"].startswith('[SR-2026-000123] 设备 "A\\B" 已修复')


def test_a_customer_sms_without_a_gateway_fails_with_the_reason(settings, receiver):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SMS_GATEWAY_URL": ""}
    row = OutboxMessageFactory(channel=OutboxMessage.Channel.SMS, address="13800001234")

    deliver_due_messages(now=DAY)

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.FAILED
    assert "no SMS gateway" in row.last_error
    assert receiver.requests == []


def test_a_webhook_on_a_host_that_is_not_allowed_is_never_called(gateways, on_duty, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "ROBOT_HOSTS": ["qyapi.weixin.qq.com"]}
    _notice(on_duty)

    deliver_due_messages(now=DAY)

    assert gateways.requests == []
    robots = OutboxMessage.objects.filter(channel__in=["wecom", "dingtalk"])
    assert set(robots.values_list("status", flat=True)) == {"failed"}
    assert "not an allowed notification host" in robots.first().last_error


def test_a_redirect_is_not_followed(gateways, on_duty, centre):
    centre.dingtalk_webhook = ""
    centre.save(update_fields=["dingtalk_webhook"])
    gateways.replies.append(Reply(status=307, headers={"Location": f"{gateways.url}/elsewhere"}))
    _notice(on_duty)

    deliver_due_messages(now=DAY)

    assert [request.path for request in gateways.requests] == ["/cgi-bin/webhook/send"]
    wecom = OutboxMessage.objects.get(channel=OutboxMessage.Channel.WECOM)
    assert wecom.status == OutboxMessage.Status.PENDING
    assert "redirect" in wecom.last_error


def test_a_robot_that_does_not_answer_in_time_has_failed(gateways, on_duty, centre, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "TIMEOUT_SECONDS": 1}
    centre.dingtalk_webhook = ""
    centre.save(update_fields=["dingtalk_webhook"])
    gateways.replies.append(Reply(delay=1.5))
    _notice(on_duty)

    started = time.monotonic()
    deliver_due_messages(now=DAY)

    assert time.monotonic() - started < 1.5
    wecom = OutboxMessage.objects.get(channel=OutboxMessage.Channel.WECOM)
    assert wecom.status == OutboxMessage.Status.PENDING
    assert "timed out" in wecom.last_error


def test_a_robot_answer_that_is_not_json_has_failed(gateways, on_duty, centre):
    centre.dingtalk_webhook = ""
    centre.save(update_fields=["dingtalk_webhook"])
    gateways.replies.append(Reply(body=b"<html>gateway error</html>"))
    _notice(on_duty)

    deliver_due_messages(now=DAY)

    assert "not JSON" in OutboxMessage.objects.get(channel="wecom").last_error


def test_the_dingtalk_message_names_the_person_on_duty_once(gateways, on_duty):
    on_duty.language = "en"
    on_duty.save(update_fields=["language"])
    _notice(on_duty)

    deliver_due_messages(now=DAY)

    content = gateways.on("/robot/send")[0].json["text"]["content"]
    assert content.count(f"@{MOBILE}") == 1
    assert content.splitlines()[-1] == f"On duty: @{MOBILE}"
