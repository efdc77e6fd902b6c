"""The mail side of the portal journey: a real SMTP server catching what the outbox worker sends,
and the customer's answer written the way their mail client writes it.

Everything stays on 127.0.0.1: the test never reaches the network.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from aiosmtpd.controller import Controller
from pytest_django import Settings


def _free_port() -> int:
    # aiosmtpd's Controller checks it is up by connecting to its port, so it cannot take port 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class MailCatcher:
    """An aiosmtpd handler that accepts every message and keeps it as it came over the wire."""

    delivered: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.delivered.append((list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Queued"

    def to(self, address: str, *, about: str) -> list[EmailMessage]:
        """The messages delivered to ``address`` whose subject names ``about`` (a ticket number),
        oldest first."""
        messages = [message_from_bytes(raw, policy=policy.default) for recipients, raw in self.delivered]
        return [
            message
            for (recipients, _raw), message in zip(self.delivered, messages, strict=True)
            if address in recipients and about in message["Subject"]
        ]


@contextmanager
def smtp_server(settings: Settings) -> Iterator[MailCatcher]:
    """An SMTP server on a free loopback port, with Django's SMTP backend (pytest-django's
    ``settings`` fixture, so the live server's thread sends there too) pointed at it."""
    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "江南科友售后服务 <support@vendor.example>"
        yield catcher
    finally:
        controller.stop()


def reply_from_mail_client(original: EmailMessage, *, sender: str, sender_name: str, text: str) -> bytes:
    """The customer's answer to ``original`` as a Chinese mail client sends it: "回复：" before the
    subject, In-Reply-To and References naming our message, the new text above the quoted one,
    the body in GB18030. Raw RFC 5322 bytes with CRLF line ends, as an MTA pipes them in."""
    quoted = original.get_body(preferencelist=("plain",)).get_content()
    reply = EmailMessage()
    reply["From"] = f"{sender_name} <{sender}>"
    reply["To"] = str(original["From"])
    reply["Subject"] = f"回复：{original['Subject']}"
    reply["Date"] = formatdate(localtime=True)
    reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = " ".join(filter(None, [original.get("References", ""), original["Message-ID"]]))
    reply.set_content(
        f"{text}\n\n在 {original['Date']}，{original['From']} 写道：\n"
        + "\n".join(f"> {line}" for line in quoted.splitlines())
        + "\n",
        charset="gb18030",
    )
    return reply.as_bytes(policy=policy.SMTP)
