"""The bench's arithmetic and formatting: what the recorded figures rest on."""

from __future__ import annotations

import pytest

from benchmarks.run import (
    PageTiming,
    SweepFigures,
    format_count,
    format_ms,
    format_ratio,
    markdown_table,
    parse_arguments,
    percentile,
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
