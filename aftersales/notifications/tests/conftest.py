"""A real SMTP server and a real HTTP receiver on 127.0.0.1 for delivery tests: no outside network."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)


class SmtpSink:
    """Captures what our SMTP client sends; ``refuse`` makes it answer 451 (try again later)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusals = 0
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refusals += 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Queued"


@pytest.fixture
def smtp(settings):
    """An aiosmtpd server on a free loopback port, with Django's SMTP backend pointed at it."""
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Aftersales 售后服务 <support@vendor.example>"
    sink.controller = controller
    yield sink
    try:
        controller.stop()
    except AssertionError:  # already stopped by the test
        pass


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class HttpReceiver:
    """Records every POST; answers with the queued replies, then ``{"errcode": 0}``."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.replies: deque[Reply] = deque()
        self.url = ""

    def on(self, path_prefix: str) -> list[Request]:
        return [request for request in self.requests if request.path.startswith(path_prefix)]


@pytest.fixture
def receiver():
    """A plain ``http.server`` in a thread on 127.0.0.1, standing in for WeCom, DingTalk and SMS."""
    state = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(
                Request(
                    parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
            reply = state.replies.popleft() if state.replies else Reply()
            if reply.delay:
                time.sleep(reply.delay)
            payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


SECRET = "SEC0123456789abcdef"


@pytest.fixture
def gateways(settings, receiver):
    """The receiver allowed as robot host and configured as the SMS gateway (with a token header)."""
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "ROBOT_HOSTS": ["127.0.0.1"],
        "TIMEOUT_SECONDS": 2,
        "SMS_GATEWAY_URL": f"{receiver.url}/sms/send",
        "SMS_GATEWAY_TOKEN_HEADER": "X-Api-Key",
        "SMS_GATEWAY_TOKEN": "t0k3n",
        "SMS_GATEWAY_BODY": '{"mobile": "{phone}", "content": "{text}", "sign": "江南科友"}',
    }
    return receiver
