"""Paging whoever is on duty: which notices also go to the centre's group robots, and at night by SMS.

The escalation sweep writes a ``clock_*`` mail to each person it tells; when that
person is on duty (值班) as the worker picks the mail up (seconds after the sweep),
the worker also posts it to the WeCom and DingTalk groups of the person's centre,
mentioning their mobile, at any hour, and in the quiet hours also sends it by
SMS: e-mail alone does not wake anybody. Judging at delivery rather than at
writing means a worker that was down all night does not text people at nine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from aftersales.accounts.models import ServiceCentre
from aftersales.core import business_time
from aftersales.customers.models import normalise_phone
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.queries import shift_on_duty

# The sweep's notice kinds (aftersales.commitments.services): warning, breach, leadership.
PAGED_KINDS = frozenset({"clock_warning", "clock_breach", "clock_leadership"})
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Page:
    """One extra message to queue: a group robot of a centre, or an SMS to a mobile."""

    channel: str
    address: str
    centre: ServiceCentre | None = None


def quiet_hours() -> tuple[time, time]:
    """``NOTIFY_QUIET_HOURS`` ("22:00-08:00") as local start and end times."""
    raw = settings.NOTIFICATIONS["QUIET_HOURS"]
    match = _HOURS.match(raw)
    try:
        if match is None:
            raise ValueError(raw)
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise ImproperlyConfigured(f"NOTIFY_QUIET_HOURS={raw!r}: expected HH:MM-HH:MM") from None


def is_quiet_hours(moment: datetime) -> bool:
    """Night in the business time zone; the span may cross midnight; equal ends mean never."""
    start, end = quiet_hours()
    local = timezone.localtime(moment, business_time.local_zone()).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def pages_for(notice: OutboxMessage, *, at: datetime) -> list[Page]:
    """The robot and SMS messages a notice to the person on duty also goes out as.

    The robots are used at any hour, when the centre has them; the SMS only in
    the quiet hours, when the person has a mobile and a gateway is configured.
    """
    if (
        notice.channel != OutboxMessage.Channel.EMAIL
        or notice.kind not in PAGED_KINDS
        or notice.recipient_id is None
    ):
        return []
    shift = shift_on_duty(user_id=notice.recipient_id, at=at)
    if shift is None:
        return []
    centre = shift.centre
    mobile = normalise_phone(shift.user.phone)
    pages = []
    if centre.wecom_webhook:
        pages.append(Page(OutboxMessage.Channel.WECOM, mobile, centre))
    if centre.dingtalk_webhook:
        pages.append(Page(OutboxMessage.Channel.DINGTALK, mobile, centre))
    if mobile and settings.NOTIFICATIONS["SMS_GATEWAY_URL"] and is_quiet_hours(at):
        pages.append(Page(OutboxMessage.Channel.SMS, mobile))
    return pages
