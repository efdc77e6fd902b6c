"""The IMAP side of a support mailbox: list unread messages, read one, then flag or move it.

Reading uses ``BODY.PEEK[]`` so that fetching never marks a message read by
itself: the intake flags it (or moves it) only after the raw bytes are stored.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from aftersales.intake.models import Mailbox

_TIMEOUT_SECONDS = 60
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"'
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


class MailboxError(Exception):
    """The server refused a command or sent something we cannot read."""


@dataclass(frozen=True)
class FetchedMessage:
    uid: str
    internal_date: datetime
    raw: bytes


def parse_internal_date(response: bytes) -> datetime:
    """INTERNALDATE (``"02-Mar-2026 09:00:05 +0800"``): when the server received the message."""
    match = _INTERNALDATE.search(response)
    if not match:
        raise MailboxError(f"no INTERNALDATE in {response[:200]!r}")
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == b"-" else 1)
    return datetime(
        int(year),
        _MONTHS[month.decode().lower()],
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=timezone(offset),
    )


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MailboxSession:
    """One logged-in session on one mailbox's folder (use as a context manager)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.client: imaplib.IMAP4 | None = None
        self.uidvalidity = ""
        self.capabilities: frozenset[str] = frozenset()

    def __enter__(self) -> MailboxSession:
        box = self.mailbox
        if box.use_tls:
            client = imaplib.IMAP4_SSL(
                box.host, box.port, ssl_context=ssl.create_default_context(), timeout=_TIMEOUT_SECONDS
            )
        else:
            client = imaplib.IMAP4(box.host, box.port, timeout=_TIMEOUT_SECONDS)
        self.client = client
        try:
            client.login(box.username, box.password)
            # Servers announce more after login (MOVE, UIDPLUS): ask again.
            _, lines = client.capability()
            self.capabilities = frozenset((lines[0] or b"").decode().upper().split())
            status, _ = client.select(_quote(box.folder))
            if status != "OK":
                raise MailboxError(f"cannot open folder {box.folder!r}")
            _, values = client.response("UIDVALIDITY")
            self.uidvalidity = (values[0] or b"").decode() if values and values[0] else ""
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _close(self) -> None:
        if self.client is None:
            return
        try:
            if self.client.state == "SELECTED":
                self.client.close()
            self.client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        self.client = None

    def _uid(self, command: str, *args: str) -> list:
        status, data = self.client.uid(command, *args)
        if status != "OK":
            raise MailboxError(f"UID {command} refused: {data!r}")
        return data

    def unseen_uids(self) -> list[str]:
        data = self._uid("SEARCH", "UNSEEN")
        return [uid.decode() for uid in (data[0] or b"").split()]

    def fetch(self, uid: str) -> FetchedMessage:
        data = self._uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return FetchedMessage(uid=uid, internal_date=parse_internal_date(item[0]), raw=item[1])
        raise MailboxError(f"message UID {uid} has gone")

    def mark_done(self, uid: str) -> None:
        """Flag read, or move to the mailbox's processed folder when one is set."""
        self._uid("STORE", uid, "+FLAGS", "(\\Seen)")
        target = self.mailbox.processed_folder
        if not target:
            return
        if "MOVE" in self.capabilities:
            self._uid("MOVE", uid, _quote(target))
            return
        self._uid("COPY", uid, _quote(target))
        self._uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        if "UIDPLUS" in self.capabilities:
            self._uid("EXPUNGE", uid)
        else:
            self.client.expunge()
