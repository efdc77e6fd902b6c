"""Sending one outbox message on its channel: SMTP e-mail, WeCom and DingTalk group robots, SMS.

A sender returns when the remote side has accepted the message and raises
``DeliveryError`` otherwise (``PermanentDeliveryError`` when trying again
cannot help until someone changes the configuration). Outgoing HTTP goes only
to configured hosts, over HTTP(S), directly (no proxy), never follows a
redirect, and gives up after the configured timeout: a centre's webhook field
must not become a way to reach arbitrary machines from the worker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import translation

from aftersales.notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

# Kinds whose mail is an automatic answer to something the customer sent (RFC 3834 "auto-replied");
# a reply written by an engineer is not automatic at all; every other notice is "auto-generated".
AUTO_REPLIED_KINDS = frozenset({"ticket_acknowledgement"})
HUMAN_WRITTEN_KINDS = frozenset({"ticket_reply"})
# Mail clients need only the thread's root and its latest messages (RFC 5322 §3.6.4 allows trimming).
MAX_REFERENCES = 10
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
# Control characters (CR, LF, NUL, tab …) and Unicode line/paragraph separators never reach a header.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_RESPONSE_LIMIT = 64 * 1024


class DeliveryError(Exception):
    """The message did not get through this time; it is tried again later."""


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help until the configuration or the address is fixed."""


@dataclass(frozen=True)
class Thread:
    """The mail thread a message belongs to: its parent and the chain of earlier message ids."""

    in_reply_to: str
    references: list[str]


def header_text(value: str) -> str:
    """A value safe in any header: no CR/LF/NUL or other control characters, single-spaced."""
    return " ".join(_HEADER_UNSAFE.sub(" ", value or "").split())


def language_tag(language: str) -> str:
    """Django's ``zh-hans`` as the BCP 47 tag ``zh-Hans`` that ``Content-Language`` expects."""
    return translation.to_locale(language or settings.LANGUAGE_CODE).replace("_", "-")


def valid_message_ids(values: Iterable[str]) -> list[str]:
    """Well-formed ``<id@host>`` values, in order, each once (anything else is dropped)."""
    seen: list[str] = []
    for value in values:
        value = header_text(value)
        if _MESSAGE_ID.match(value) and value not in seen:
            seen.append(value)
    return seen


def _settings() -> dict[str, Any]:
    return settings.NOTIFICATIONS


# --- e-mail ------------------------------------------------------------------------------------


class _Mail(EmailMultiAlternatives):
    """Django encodes a non-ASCII subject onto a folded line of its own ("Subject:" CRLF SP …),
    which readers decode with a leading space; encode it knowing the header's name instead."""

    def message(self, *args, **kwargs):
        mime = super().message(*args, **kwargs)
        if not self.subject.isascii():
            del mime["Subject"]
            # Past Django's __setitem__, which would decode the Header and fold it again.
            Message.__setitem__(mime, "Subject", Header(self.subject, "utf-8", header_name="Subject"))
        return mime


def _subject(message: OutboxMessage) -> str:
    """The reference (the ticket number) always in the subject, so a reply finds its ticket."""
    subject = header_text(message.subject)
    reference = header_text(message.reference)
    if reference and reference not in subject:
        subject = f"[{reference}] {subject}"
    return subject


def _auto_submitted(kind: str) -> str | None:
    if kind in HUMAN_WRITTEN_KINDS:
        return None
    return "auto-replied" if kind in AUTO_REPLIED_KINDS else "auto-generated"


def build_email(message: OutboxMessage, *, thread: Thread) -> EmailMultiAlternatives:
    """The mail for one outbox row: text and HTML in the recipient's language, threading headers.

    ``Message-ID`` is the row's stable id, so a resend after a crash is the same
    message to the receiving side.
    """
    address = header_text(message.address)
    if not address:
        raise PermanentDeliveryError("no e-mail address")
    try:
        validate_email(address)
    except ValidationError:
        raise PermanentDeliveryError(f"not a valid e-mail address: {address!r}") from None
    message_id = valid_message_ids([message.message_id])
    if not message_id:
        raise PermanentDeliveryError(f"malformed Message-ID: {message.message_id!r}")
    subject = _subject(message)
    context = {
        "subject": subject,
        "body": message.body.rstrip(),
        "reference": header_text(message.reference),
        "vendor_name": settings.AFTERSALES["VENDOR_NAME"],
        "language_tag": language_tag(message.language),
    }
    with translation.override(message.language or settings.LANGUAGE_CODE):
        footer = render_to_string("notifications/email/footer.txt", context).strip()
        html = render_to_string("notifications/email/message.html", {**context, "footer": footer})
    text = context["body"] + (f"\n\n{footer}\n" if footer else "\n")
    headers = {
        "Message-ID": message_id[0],
        "Content-Language": context["language_tag"],
        "X-Auto-Response-Suppress": "All",
    }
    auto_submitted = _auto_submitted(message.kind)
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
    if thread.in_reply_to:
        headers["In-Reply-To"] = thread.in_reply_to
    if thread.references:
        headers["References"] = " ".join(thread.references)
    email = _Mail(
        subject=subject,
        body=text,
        from_email=header_text(settings.DEFAULT_FROM_EMAIL),
        to=[address],
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    for item in message.attachments or ():
        # A stored file that is gone can never be sent: the row fails for good, saying which.
        try:
            with default_storage.open(item["path"], "rb") as stored:
                content = stored.read()
        except (FileNotFoundError, OSError) as missing:
            raise PermanentDeliveryError(f"attachment missing: {item.get('path')!r}") from missing
        email.attach(header_text(item.get("name") or "attachment"), content, item.get("type") or None)
    return email


# --- HTTP: robots and the SMS gateway ----------------------------------------------------------


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A robot or gateway never redirects; following one could lead the worker anywhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} refused", headers, fp)


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _RefuseRedirects())


def post_json(
    url: str,
    payload: Any,
    *,
    allowed_hosts: Iterable[str],
    headers: dict[str, str] | None = None,
    timeout: float,
) -> bytes:
    """POST ``payload`` as JSON to ``url`` on an allowed host; the response body, or DeliveryError."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise PermanentDeliveryError(f"not an HTTP(S) address: {url!r}")
    if host not in {allowed.strip().lower() for allowed in allowed_hosts}:
        raise PermanentDeliveryError(f"host {host!r} is not an allowed notification host")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with _opener().open(request, timeout=timeout) as response:
            return response.read(_RESPONSE_LIMIT)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{host}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{host}: {getattr(exc, 'reason', exc)}") from None


def _robot_reply(host: str, body: bytes) -> None:
    """Both robots answer 200 with ``{"errcode": 0, …}``; any other errcode is a refusal."""
    try:
        answer = json.loads(body or b"null")
    except ValueError:
        raise DeliveryError(f"{host}: the robot's answer is not JSON") from None
    if not isinstance(answer, dict) or "errcode" not in answer:
        raise DeliveryError(f"{host}: the robot's answer has no errcode")
    if answer["errcode"] != 0:
        raise DeliveryError(f"{host}: errcode {answer['errcode']}: {answer.get('errmsg', '')}")


def mentioned_mobiles(message: OutboxMessage) -> list[str]:
    return [mobile for mobile in (part.strip() for part in message.address.split(",")) if mobile]


def robot_text(message: OutboxMessage) -> str:
    with translation.override(message.language or settings.LANGUAGE_CODE):
        return render_to_string(
            "notifications/robot.txt",
            {
                "subject": _subject(message),
                "body": message.body.strip(),
                "mentions": mentioned_mobiles(message),
            },
        ).strip()


def sms_text(message: OutboxMessage) -> str:
    with translation.override(message.language or settings.LANGUAGE_CODE):
        return render_to_string(
            "notifications/sms.txt",
            {"subject": _subject(message), "vendor_name": settings.AFTERSALES["VENDOR_NAME"]},
        ).strip()


def send_wecom(message: OutboxMessage) -> None:
    """WeCom (企业微信) group robot: a text message that @-mentions the people on duty by mobile."""
    webhook = message.centre.wecom_webhook if message.centre else ""
    if not webhook:
        raise PermanentDeliveryError("the centre has no WeCom robot webhook")
    payload = {
        "msgtype": "text",
        "text": {"content": robot_text(message), "mentioned_mobile_list": mentioned_mobiles(message)},
    }
    config = _settings()
    body = post_json(webhook, payload, allowed_hosts=config["ROBOT_HOSTS"], timeout=config["TIMEOUT_SECONDS"])
    _robot_reply(urllib.parse.urlsplit(webhook).hostname or "", body)


def dingtalk_signed_url(webhook: str, secret: str, *, timestamp_ms: int) -> str:
    """The webhook with DingTalk's ``timestamp`` and ``sign`` (HMAC-SHA256 of "timestamp\\nsecret")."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    separator = "&" if urllib.parse.urlsplit(webhook).query else "?"
    return f"{webhook}{separator}timestamp={timestamp_ms}&sign={sign}"


def send_dingtalk(message: OutboxMessage) -> None:
    """DingTalk (钉钉) group robot: a text message @-mentioning the people on duty, signed if set up."""
    centre = message.centre
    webhook = centre.dingtalk_webhook if centre else ""
    if not webhook:
        raise PermanentDeliveryError("the centre has no DingTalk robot webhook")
    if centre.dingtalk_secret:
        # DingTalk checks the timestamp against its own clock (within an hour): the real time, always.
        webhook = dingtalk_signed_url(webhook, centre.dingtalk_secret, timestamp_ms=round(time.time() * 1000))
    mobiles = mentioned_mobiles(message)
    payload = {"msgtype": "text", "text": {"content": robot_text(message)}, "at": {"atMobiles": mobiles}}
    config = _settings()
    body = post_json(webhook, payload, allowed_hosts=config["ROBOT_HOSTS"], timeout=config["TIMEOUT_SECONDS"])
    _robot_reply(urllib.parse.urlsplit(webhook).hostname or "", body)


def _fill(template: Any, values: dict[str, str]) -> Any:
    """Replace ``{phone}``/``{text}`` inside the strings of a parsed JSON template (no escaping games)."""
    if isinstance(template, str):
        for key, value in values.items():
            template = template.replace("{" + key + "}", value)
        return template
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: _fill(item, values) for key, item in template.items()}
    return template


def send_sms(message: OutboxMessage) -> None:
    """The configured SMS gateway: a JSON POST built from the body template; any 2xx is accepted."""
    config = _settings()
    url = config["SMS_GATEWAY_URL"]
    if not url:
        raise PermanentDeliveryError("no SMS gateway is configured (SMS_GATEWAY_URL)")
    phone = header_text(message.address)
    if not phone:
        raise PermanentDeliveryError("no mobile number")
    try:
        template = json.loads(config["SMS_GATEWAY_BODY"])
    except ValueError:
        raise PermanentDeliveryError("SMS_GATEWAY_BODY is not valid JSON") from None
    headers = {}
    if config["SMS_GATEWAY_TOKEN"]:
        headers[header_text(config["SMS_GATEWAY_TOKEN_HEADER"])] = header_text(config["SMS_GATEWAY_TOKEN"])
    post_json(
        url,
        _fill(template, {"phone": phone, "text": sms_text(message)}),
        allowed_hosts=[urllib.parse.urlsplit(url).hostname or ""],
        headers=headers,
        timeout=config["TIMEOUT_SECONDS"],
    )


# --- one pass of sends -------------------------------------------------------------------------


class Courier:
    """Sends a batch of messages, keeping one SMTP connection open across them until ``close``."""

    def __init__(self) -> None:
        self._mail = None

    def send(self, message: OutboxMessage, *, thread: Thread | None = None) -> None:
        channel = message.channel
        if channel == OutboxMessage.Channel.EMAIL:
            self._send_email(message, thread or Thread("", []))
        elif channel == OutboxMessage.Channel.WECOM:
            send_wecom(message)
        elif channel == OutboxMessage.Channel.DINGTALK:
            send_dingtalk(message)
        elif channel == OutboxMessage.Channel.SMS:
            send_sms(message)
        else:
            raise PermanentDeliveryError(f"channel {channel!r} is not sent anywhere")

    def _send_email(self, message: OutboxMessage, thread: Thread) -> None:
        email = build_email(message, thread=thread)
        try:
            if self._mail is None:
                self._mail = get_connection(timeout=_settings()["TIMEOUT_SECONDS"])
                self._mail.open()
            accepted = self._mail.send_messages([email])
        except Exception as exc:
            self.close()  # the next message starts on a fresh connection
            raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}") from None
        if not accepted:
            self.close()
            raise DeliveryError("SMTP: the server did not accept the message")

    def close(self) -> None:
        """Quit the SMTP session; a connection that already broke has nothing left to close."""
        if self._mail is None:
            return
        try:
            self._mail.close()
        except Exception:
            logger.info("SMTP: closing a broken connection failed", exc_info=True)
        finally:
            self._mail = None
