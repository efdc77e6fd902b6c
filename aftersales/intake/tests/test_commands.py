"""``aftersales mail ingest`` and ``mail process``: one JSON line per message, exit codes."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from aftersales.intake.models import InboundMessage
from aftersales.intake.tests.conftest import FIXTURES, eml
from aftersales.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: bytes | None = None, monkeypatch=None) -> list[dict]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(stdin)))
    out = io.StringIO()
    call_command("mail", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.smoke
def test_ingest_prints_one_json_line_per_message_with_its_outcome(bank):
    names = [
        "gb2312_with_gbk_characters.eml",
        "reply_in_reply_to.eml",
        "auto_reply_auto_submitted.eml",
        "bounce_report.eml",
        "gb2312_with_gbk_characters.eml",
        "not_mail.eml",
        "reply_subject_stranger.eml",
    ]

    lines = run("ingest", *(str(FIXTURES / name) for name in names))

    new_number = Ticket.objects.exclude(pk=bank.ticket.pk).get().number
    assert [(line["outcome"], line["ticket"]) for line in lines] == [
        ("new_ticket", new_number),
        ("appended", "SR-2026-000123"),
        ("auto_reply", "SR-2026-000123"),
        ("bounce", "SR-2026-000123"),
        ("duplicate", new_number),
        ("quarantined", None),
        ("quarantined", None),
    ]
    assert lines[0] == {
        "file": str(FIXTURES / names[0]),
        "message_id": "<gb2312-gbk@bank-a.example>",
        "outcome": "new_ticket",
        "ticket": new_number,
        "reason": "",
    }
    assert lines[5]["message_id"] is None and "not an e-mail message" in lines[5]["reason"]
    assert "does not take part" in lines[6]["reason"]


def test_ingest_reads_standard_input_for_a_dash(bank, monkeypatch):
    (line,) = run("ingest", "-", stdin=eml("big5.eml"), monkeypatch=monkeypatch)

    assert (line["file"], line["outcome"], line["message_id"]) == ("-", "new_ticket", "<big5@bank-a.example>")
    assert InboundMessage.objects.get().source == InboundMessage.Source.PIPE


def test_an_unreadable_path_exits_2_and_stores_nothing(bank, tmp_path):
    with pytest.raises(CommandError) as refused:
        run("ingest", str(FIXTURES / "big5.eml"), str(tmp_path / "missing.eml"))

    assert refused.value.returncode == 2
    assert "missing.eml" in str(refused.value)
    assert not InboundMessage.objects.exists()


def test_process_handles_messages_left_waiting(bank):
    from aftersales.intake.services import store_piped_message

    store_piped_message(raw=eml("big5.eml"))
    out = io.StringIO()

    call_command("mail", "process", stdout=out)

    assert InboundMessage.objects.get().outcome == InboundMessage.Outcome.NEW_TICKET
    assert "1" in out.getvalue()


def test_fetch_without_mailboxes_says_how_to_add_one(bank):
    out = io.StringIO()

    call_command("mail", "fetch", stdout=out)

    assert "No active mailbox" in out.getvalue()
