"""The bench's arithmetic and formatting: what the recorded figures rest on."""

from __future__ import annotations

import pytest

from benchmarks import api_create
from benchmarks.run import (
    BENCH_DIR,
    MailFigures,
    PageTiming,
    Run,
    SweepFigures,
    bench_environment,
    format_count,
    format_ms,
    format_rate,
    format_ratio,
    markdown_table,
    parse_arguments,
    percentile,
    throughput_rows,
)


def test_percentiles_are_nearest_rank_samples():
    samples = [float(n) for n in range(1, 201)]  # 1 … 200

    assert percentile(samples, 0.5) == 100.0
    assert percentile(samples, 0.99) == 198.0
    assert percentile(samples, 1.0) == 200.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_a_percentile_of_nothing_is_refused():
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 0)


def test_a_page_reports_its_median_and_p99():
    page = PageTiming("queue", "/desk/", samples=[0.010] * 98 + [0.5, 0.9])

    assert page.p50 == 0.010
    assert page.p99 == 0.5
    assert PageTiming("ticket", "/desk/tickets/x/").p50 is None


def test_milliseconds_are_shown_with_the_precision_that_matters():
    assert format_ms(0.001234) == "1.23 ms"
    assert format_ms(0.04567) == "45.7 ms"
    assert format_ms(1.5) == "1,500 ms"
    assert format_ms(None) == "—"
    assert format_count(12345.6) == "12,346"
    assert format_ratio(7.94) == "7.9×"


def test_due_clocks_per_second_needs_a_handled_clock():
    assert SweepFigures(due_handled=10_000, due_seconds=4.0).due_per_second == 2500
    assert SweepFigures(due_handled=0, due_seconds=4.0).due_per_second is None


def test_a_markdown_table_escapes_pipes():
    table = markdown_table(["a", "b"], [["1", "x|y"]])

    assert table.splitlines() == ["| a | b |", "| --- | --- |", "| 1 | x\\|y |"]


def test_the_million_flag_and_bounds_of_the_arguments():
    assert parse_arguments(["--million"]).tickets == 1_000_000
    assert parse_arguments([]).tickets == 100_000
    with pytest.raises(SystemExit):
        parse_arguments(["--requests", "1000000"])


def test_mail_ingest_and_api_creation_are_reported_beside_healthz():
    run = Run(started_at="2026-11-28 02:00 UTC", tickets_requested=100_000, vendor="SQLite", machine={})
    run.pages = [PageTiming("/healthz", "/healthz", samples=[0.002] * 10)]
    run.mail = MailFigures(messages=200, per_second=40.0)
    run.api = api_create.ApiCreateFigures(
        requests=4,
        concurrency=2,
        unit_serial="SN-1",
        create=api_create.Timing(
            "/api/v1/tickets/", samples=[0.05] * 4, statuses={201: 3, 500: 1}, seconds=0.1
        ),
        healthz=api_create.Timing("/healthz", samples=[0.002] * 4, statuses={200: 4}, seconds=0.004),
    )

    mail_row, api_row = throughput_rows(run)

    assert mail_row[0] == "e-mail ingest"
    assert mail_row[2] == "25.0 ms"
    assert mail_row[-1] == "40.0 messages/s; /healthz 500 req/s sequential"
    assert api_row[0] == "API ticket creation"
    assert api_row[2] == "50.0 ms"
    assert api_row[-1] == "30.0 req/s with 2 clients; /healthz alike 1,000 req/s; failed: 1× 500"


def test_nothing_unmeasured_is_reported_as_throughput():
    run = Run(started_at="2026-11-28 02:00 UTC", tickets_requested=300, vendor="SQLite", machine={})

    assert throughput_rows(run) == []
    assert format_rate(None, "req") == "—"


def test_the_bench_never_uses_the_callers_queue_media_or_mail(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://example:6379/0")
    monkeypatch.setenv("AFTERSALES_MEDIA_ROOT", "/srv/aftersales/media")
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

    env = bench_environment("sqlite:///var/bench/bench-1.sqlite3")

    assert "REDIS_URL" not in env
    assert env["DATABASE_URL"] == "sqlite:///var/bench/bench-1.sqlite3"
    assert env["AFTERSALES_MEDIA_ROOT"] == str(BENCH_DIR / "media")
    assert env["EMAIL_BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


def test_mail_messages_are_bounded():
    assert parse_arguments([]).mail_messages == 200
    assert parse_arguments(["--mail-messages", "0", "--no-api"]).no_api
    with pytest.raises(SystemExit):
        parse_arguments(["--mail-messages", "20000"])
