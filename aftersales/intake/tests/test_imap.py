"""A real IMAP exchange with Debian's dovecot on a loopback port (recipe: NOTES, e-mail).

The server runs from a configuration of its own under a temporary folder and
is stopped with the pid in ``base_dir/master.pid``. Skipped only when the
``dovecot`` binary is missing (``make system-test-packages`` installs
``dovecot-imapd``).
"""

from __future__ import annotations

import getpass
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from aftersales.intake import services
from aftersales.intake.imap import parse_internal_date
from aftersales.intake.models import InboundMessage, Mailbox
from aftersales.intake.tests.conftest import SH, eml
from aftersales.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

USER, PASSWORD = "support", "secret-for-tests"
FIRST_ARRIVAL = datetime(2026, 3, 2, 8, 30, 0, tzinfo=SH)
SECOND_ARRIVAL = datetime(2026, 3, 2, 8, 45, 0, tzinfo=SH)


def _dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(path, os.X_OK)), None
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accounts(maildir: Path) -> dict[str, str]:
    """Who dovecot runs as: unprivileged system users when we are root, else ourselves."""
    if os.geteuid() != 0:
        me = getpass.getuser()
        return {"internal": me, "login": me, "uid": str(os.getuid()), "gid": str(os.getgid())}
    import pwd

    def exists(name: str) -> bool:
        try:
            pwd.getpwnam(name)
        except KeyError:
            return False
        return True

    internal = "dovecot" if exists("dovecot") else "nobody"
    login = "dovenull" if exists("dovenull") else "nobody"
    owner = pwd.getpwnam("nobody")
    os.chown(maildir, owner.pw_uid, owner.pw_gid)
    return {"internal": internal, "login": login, "uid": str(owner.pw_uid), "gid": str(owner.pw_gid)}


@pytest.fixture
def dovecot():
    binary = _dovecot_binary()
    if binary is None:
        pytest.skip("the dovecot binary is missing: run `make system-test-packages` (dovecot-imapd)")
    # Not under pytest's tmp_path: its parents are private (0700) and dovecot's own users must read it.
    with tempfile.TemporaryDirectory(prefix="aftersales-dovecot-") as folder:
        root = Path(folder)
        root.chmod(0o755)
        yield from _run_dovecot(binary, root)


def _run_dovecot(binary: str, root: Path):
    maildir = root / "mail"
    maildir.mkdir()
    accounts = _accounts(maildir)
    port = _free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    config = root / "dovecot.conf"
    config.write_text(
        f"""
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
protocols = imap
default_internal_user = {accounts["internal"]}
default_login_user = {accounts["login"]}
mail_location = maildir:{maildir}/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={accounts["uid"]} gid={accounts["gid"]} home={maildir}/%u
}}
"""
    )
    # The master daemonises and keeps its standard streams: give it a file, not a pipe to wait on.
    with open(root / "startup.log", "wb") as startup:
        subprocess.run([binary, "-c", str(config)], check=True, stdout=startup, stderr=startup, timeout=30)
    pid_file = root / "run" / "master.pid"
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot did not listen on {port}: {log}")
            time.sleep(0.05)
    yield SimpleNamespace(port=port, root=root)
    if pid_file.exists():
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)


def _client(dovecot) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", dovecot.port, timeout=10)
    client.login(USER, PASSWORD)
    return client


def _append(dovecot, raw: bytes, arrival: datetime, folder: str = "INBOX") -> None:
    client = _client(dovecot)
    status, _ = client.append(folder, None, imaplib.Time2Internaldate(arrival), raw.replace(b"\n", b"\r\n"))
    assert status == "OK"
    client.logout()


def _seen(dovecot, folder: str = "INBOX") -> dict[str, bool]:
    """Each message's Seen flag, by Message-ID, read over a separate connection."""
    client = _client(dovecot)
    client.select(folder, readonly=True)
    _, data = client.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    flags = {}
    for item in data:
        if isinstance(item, tuple):
            message_id = item[1].decode().split(":", 1)[1].strip()
            flags[message_id] = b"\\Seen" in item[0]
    client.logout()
    return flags


@pytest.fixture
def mailbox(dovecot):
    return Mailbox.objects.create(
        name="support", host="127.0.0.1", port=dovecot.port, use_tls=False, username=USER, password=PASSWORD
    )


def test_fetching_stores_each_message_before_flagging_it_and_starts_clocks_at_arrival(
    bank, dovecot, mailbox, monkeypatch
):
    _append(dovecot, eml("gbk_quoted_printable.eml"), FIRST_ARRIVAL)
    _append(dovecot, eml("english_fault_with_serial.eml"), SECOND_ARRIVAL)
    seen_when_stored = []
    real_store = services.store_message

    def watching_store(**kwargs):
        seen_when_stored.append(any(_seen(dovecot).values()))
        return real_store(**kwargs)

    monkeypatch.setattr(services, "store_message", watching_store)

    (report,) = services.fetch_all_mailboxes()

    assert (report.stored, report.error) == (2, "")
    assert seen_when_stored == [False, True]  # the first was flagged only after it was stored
    assert _seen(dovecot) == {"<gbk-qp@bank-a.example>": True, "<english-fault@bank-a.example>": True}
    tickets = {t.title: t for t in Ticket.objects.exclude(pk=bank.ticket.pk)}
    assert tickets["签名服务器告警"].reported_at == FIRST_ARRIVAL
    assert tickets["HSM SN-CQ-0042 reboots every hour"].reported_at == SECOND_ARRIVAL
    stored = InboundMessage.objects.get(message_id="<gbk-qp@bank-a.example>")
    assert (stored.source, stored.mailbox, stored.imap_uid) == (InboundMessage.Source.IMAP, mailbox, "1")
    assert bytes(stored.raw) == eml("gbk_quoted_printable.eml").replace(b"\n", b"\r\n")
    mailbox.refresh_from_db()
    assert mailbox.last_fetched_at is not None and mailbox.last_error == ""


class Crash(BaseException):
    """The worker dying between storing a message and flagging it."""


def test_a_crash_between_storing_and_flagging_loses_nothing_and_processes_each_once(
    bank, dovecot, mailbox, monkeypatch
):
    _append(dovecot, eml("reply_in_reply_to.eml"), FIRST_ARRIVAL)
    _append(dovecot, eml("big5.eml"), SECOND_ARRIVAL)
    real_store = services.store_message

    def store_then_die(**kwargs):
        real_store(**kwargs)
        raise Crash

    monkeypatch.setattr(services, "store_message", store_then_die)
    with pytest.raises(Crash):
        services.fetch_all_mailboxes()
    assert InboundMessage.objects.count() == 1
    assert _seen(dovecot) == {"<reply-1@bank-a.example>": False, "<big5@bank-a.example>": False}

    monkeypatch.setattr(services, "store_message", real_store)
    services.fetch_all_mailboxes()
    services.fetch_all_mailboxes()

    assert InboundMessage.objects.count() == 2
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"appended", "new_ticket"}
    assert bank.ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).count() == 1
    assert Ticket.objects.count() == 2
    assert all(_seen(dovecot).values())


def test_read_messages_move_to_the_processed_folder_when_one_is_set(bank, dovecot, mailbox):
    client = _client(dovecot)
    client.create("Processed")
    client.logout()
    mailbox.processed_folder = "Processed"
    mailbox.save()
    _append(dovecot, eml("big5.eml"), FIRST_ARRIVAL)

    services.fetch_all_mailboxes()

    assert _seen(dovecot) == {}
    assert _seen(dovecot, "Processed") == {"<big5@bank-a.example>": True}
    assert InboundMessage.objects.get().outcome == "new_ticket"


def test_a_mailbox_that_refuses_the_login_is_reported_and_the_others_still_run(bank, dovecot, mailbox):
    Mailbox.objects.create(
        name="wrong", host="127.0.0.1", port=dovecot.port, use_tls=False, username=USER, password="nope"
    )
    _append(dovecot, eml("big5.eml"), FIRST_ARRIVAL)

    reports = {report.mailbox.name: report for report in services.fetch_all_mailboxes()}

    assert reports["support"].stored == 1 and reports["wrong"].error
    assert Mailbox.objects.get(name="wrong").last_error


def test_internaldate_keeps_its_offset():
    moment = parse_internal_date(b'1 (UID 7 INTERNALDATE " 2-Mar-2026 09:00:05 +0800" BODY[] {10}')

    assert moment == datetime(2026, 3, 2, 9, 0, 5, tzinfo=SH)
    assert moment.utcoffset() == timedelta(hours=8)
