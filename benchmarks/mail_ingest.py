"""E-mail ingest throughput: messages per second, mixed Chinese and English, with attachments.

    python -m benchmarks.mail_ingest [N]        # a fresh SQLite database of its own

``run(n)`` is what ``benchmarks.run`` calls inside a configured, migrated
database: it adds a customer with its contacts and a unit (once), then stores
and processes ``n`` messages through ``aftersales.intake.services.ingest_message``
— the path ``aftersales mail ingest`` and the IMAP fetch take — and returns the
rate. The messages are the intake's test fixtures (GB2312/GBK/GB18030/Big5/UTF-8,
HTML-only, inline images, RFC 2231 attachments, a forwarded message,
winmail.dat), each with a Message-ID of its own; every fourth is a reply to an
earlier one, so about a quarter are appended to tickets and the rest open them.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "aftersales" / "intake" / "tests" / "fixtures"
MIX = (
    "gb2312_with_gbk_characters.eml",
    "english_fault_with_serial.eml",
    "rfc2231_filenames.eml",
    "gbk_quoted_printable.eml",
    "html_only.eml",
    "inline_image.eml",
    "big5.eml",
    "forwarded.eml",
    "winmail.eml",
    "encoded_word_subject.eml",
    "missing_charset.eml",
    "unknown_sender.eml",
)
_MESSAGE_ID = re.compile(rb"^Message-ID: .*$", re.IGNORECASE | re.MULTILINE)
_SENDERS = (
    "zhang@bank-a.example",
    "li.ming@bank-a.example",
    "chen@bank-a.example",
    "wang.wei@bank-a.example",
)


def _ensure_bank() -> None:
    from datetime import date

    from aftersales.accounts.models import ProductLine
    from aftersales.customers.models import Contact, Customer, Site
    from aftersales.units.models import ProductModel, Unit

    customer, _ = Customer.objects.get_or_create(code="bench-bank-a", defaults={"name": "重庆A银行 (bench)"})
    for index, email in enumerate(_SENDERS):
        Contact.objects.get_or_create(customer=customer, email=email, defaults={"name": f"联系人{index}"})
    if not Unit.objects.filter(serial="SN-CQ-0042").exists():
        site, _ = Site.objects.get_or_create(customer=customer, name="数据中心", defaults={"city": "重庆"})
        line, _ = ProductLine.objects.get_or_create(code="bench", defaults={"name": "Bench HSM"})
        model, _ = ProductModel.objects.get_or_create(
            code="BENCH-1", defaults={"name": "HSM", "product_line": line}
        )
        Unit.objects.create(
            serial="SN-CQ-0042",
            product_model=model,
            customer=customer,
            site=site,
            shipped_on=date(2026, 1, 5),
        )


def messages(n: int, *, run_id: str) -> list[bytes]:
    """``n`` raw messages; message ``i`` with ``i % 4 == 3`` replies to message ``i - 1``."""
    raws = []
    for index in range(n):
        raw = (FIXTURES / MIX[index % len(MIX)]).read_bytes()
        own_id = f"Message-ID: <bench-{run_id}-{index}@bank-a.example>".encode()
        if index % 4 == 3:
            answered = f"<bench-{run_id}-{index - 1}@bank-a.example>".encode()
            sender = re.search(
                rb"<([^<>@\s]+@[^<>\s]+)>", raws[-1].split(b"\nTo:", 1)[0].split(b"From:", 1)[1]
            )
            raw = (
                b"From: <" + (sender.group(1) if sender else b"zhang@bank-a.example") + b">\n"
                b"To: support@vendor.example\nSubject: Re: follow-up\n" + own_id + b"\n"
                b"In-Reply-To: "
                + answered
                + b"\nContent-Type: text/plain; charset=utf-8\n\n"
                + "补充：重启后仍然报错。 Still failing after a restart.\n".encode()
            )
        else:
            raw = _MESSAGE_ID.sub(own_id, raw, count=1)
        raws.append(raw)
    return raws


def run(n: int = 200) -> float:
    """Ingest ``n`` messages into the configured database; returns messages per second."""
    from aftersales.intake.services import ingest_message

    _ensure_bank()
    raws = messages(n, run_id=f"{os.getpid()}-{time.time_ns()}")
    started = time.perf_counter()
    for index, raw in enumerate(raws):
        ingest_message(raw=raw, source_name=f"bench-{index}")
    return n / (time.perf_counter() - started)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 200
    with tempfile.TemporaryDirectory(prefix="aftersales-mail-bench-") as folder:
        os.environ["AFTERSALES_VAR_DIR"] = folder
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ["AFTERSALES_MEDIA_ROOT"] = f"{folder}/media"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        cpu_started = time.process_time()
        rate = run(n)
        cpu_rate = n / (time.process_time() - cpu_started)
    # On a busy machine the wall-clock rate drops; the CPU rate is what one idle core would do.
    print(f"mail ingest: {n} messages, {rate:.1f} messages/s wall clock, {cpu_rate:.1f}/s of CPU (SQLite)")


if __name__ == "__main__":
    main(sys.argv[1:])
