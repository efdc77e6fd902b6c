"""``make bench``: seed a large data set, serve it the production way, and measure.

    python -m benchmarks.run [--tickets 100000] [--million] [--skip-seed] [--database-url URL]

Seeds a database of its own under ``var/bench/`` (SQLite unless ``--database-url``
names a PostgreSQL database) with ``aftersales demo`` and ``aftersales demo
--tickets N``, builds the search index, starts ``aftersales serve`` (gunicorn,
2 workers) on a free port of 127.0.0.1, signs in as ``specialist`` and times a
bounded number of sequential requests per page. Queries per request come from
running the same pages once in this process. Then it times the escalation
sweep over every open clock with nothing due, and with 10,000 due, and e-mail
ingest in this process (``benchmarks.mail_ingest``); last, with the server
started again, ticket creation through the API beside ``/healthz``
(``benchmarks.api_create``), so the tickets it creates never reach the page
figures. Prints a
Markdown table and appends it, with the date, the machine and the data size,
to ``docs/benchmarks.md``; every run is also kept in ``var/bench/results.jsonl``
so a run at 1,000,000 tickets is compared with the last one at 100,000.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

from benchmarks import api_create, mail_ingest

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
RESULTS_DOC = ROOT / "docs" / "benchmarks.md"
HISTORY = BENCH_DIR / "results.jsonl"

HOST = "127.0.0.1"
USERNAME = "specialist"
PASSWORD = "demo"
WEB_WORKERS = 2
DEFAULT_TICKETS = 100_000
MILLION = 1_000_000
DEFAULT_REQUESTS = 200
DEFAULT_WARMUP = 20
DEFAULT_MAIL_MESSAGES = 200
MAX_REQUESTS = 10_000
DUE_CLOCKS = 10_000
SWEEP_RUNS = 5
SERVER_START_SECONDS = 120
REQUEST_TIMEOUT_SECONDS = 60
SERVER_STOP_SECONDS = 30
# The rare word the issue names (the demo's tickets never mention it) and a word in many tickets.
SEARCH_RARE = "主板"
SEARCH_COMMON = "签名"

# The aims of issue 3, checked on every run.
AIM_QUEUE_TIMES_HEALTHZ = 10.0
AIM_MILLION_SLOWDOWN = 1.20
AIM_SEARCH_P50_MS = 100.0
AIM_SWEEP_IDLE_MS = 50.0
AIM_DUE_CLOCKS_PER_SECOND = 1_000.0

DOC_HEADER = """# Benchmarks

`make bench` (`python -m benchmarks.run [--tickets N] [--million] [--skip-seed]
[--database-url URL]`) seeds a data set of its own under `var/bench/` (100,000
tickets, 40 % open; 1,000,000 with `--million`), serves it with the production
set-up (`aftersales serve`: gunicorn, 2 workers) on 127.0.0.1, signs in as
`specialist` and times sequential requests from one Python client (after a
warm-up); queries per request are counted by running each page once in-process.
The escalation sweep is timed in-process over every open clock, with nothing
due and with 10,000 due; e-mail ingest in-process (200 messages from the intake's
fixtures: GB2312/GBK/Big5/UTF-8, HTML, attachments, replies); last, API ticket
creation (`POST /api/v1/tickets/`, 2 concurrent clients) against the server
restarted, with `/healthz` timed alike beside it. Each run appends its figures below.

## Aims (issue 3; issue 4, §7)

- Queue page median within **10×** that of `/healthz` at 100,000 tickets, and at
  1,000,000 tickets no more than **20 %** slower than at 100,000.
- Search median under **100 ms** at 100,000 tickets.
- Sweep with nothing due under **50 ms** at 1,000,000 open clocks; at least
  **1,000** due clocks handled per second.
- E-mail ingest (messages per second) and API ticket creation (requests per
  second), each beside `/healthz` (issue 4, §7): recorded, no number set.

For scale, django-helpdesk 2.6.1 on this kind of machine (2 gunicorn workers): its
ticket list needs ~4 s at 100,000 tickets (0.8 req/s: a scan of every open ticket
with per-row queries), ticket detail ~300 ms (40 queries), keyword search 1.5–5 s,
creation 21–45 req/s, and its escalation command ~18 ms per ticket; a bare Django
view serves 1,350–2,450 req/s.

## Results
"""


class BenchError(Exception):
    """The benchmark cannot go on (a seed step failed, the server did not start …)."""


# --- figures ------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least ``fraction`` of them at or below.

    Nearest-rank never invents a value between two samples, so p99 of 200
    requests is the second-slowest one actually seen.
    """
    if not samples:
        raise ValueError("no samples")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(samples)
    rank = math.ceil(fraction * len(ordered))
    return ordered[max(rank, 1) - 1]


def format_ms(seconds: float | None) -> str:
    """Milliseconds with the precision that matters at that size; an em dash when not measured."""
    if seconds is None:
        return "—"
    ms = seconds * 1000
    if ms < 10:
        return f"{ms:.2f} ms"
    if ms < 100:
        return f"{ms:.1f} ms"
    return f"{ms:,.0f} ms"


def format_count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def format_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table; a ``|`` inside a cell is escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *(line(row) for row in rows)])


def verdict(is_met: bool | None) -> str:
    return "—" if is_met is None else ("met" if is_met else "**missed**")


@dataclass
class PageTiming:
    label: str
    path: str
    samples: list[float] = field(default_factory=list)
    queries: int | None = None
    status: int | None = None
    note: str = ""

    @property
    def p50(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def p99(self) -> float | None:
        return percentile(self.samples, 0.99) if self.samples else None


@dataclass
class SweepFigures:
    open_clocks: int = 0
    idle_seconds: float | None = None
    due_requested: int = 0
    due_handled: int = 0
    due_seconds: float | None = None

    @property
    def due_per_second(self) -> float | None:
        if not self.due_seconds or not self.due_handled:
            return None
        return self.due_handled / self.due_seconds


@dataclass
class MailFigures:
    messages: int = 0
    per_second: float | None = None


@dataclass
class Run:
    started_at: str
    tickets_requested: int
    vendor: str
    machine: dict[str, str]
    data: dict[str, int | str] = field(default_factory=dict)
    seeding: dict[str, float] = field(default_factory=dict)
    pages: list[PageTiming] = field(default_factory=list)
    sweep: SweepFigures = field(default_factory=SweepFigures)
    catch_up_seconds: float | None = None
    mail: MailFigures = field(default_factory=MailFigures)
    api: api_create.ApiCreateFigures | None = None
    notes: list[str] = field(default_factory=list)

    def page(self, label: str) -> PageTiming | None:
        return next((page for page in self.pages if page.label == label), None)


# --- the machine ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on: kernel, CPU model, cores and memory."""
    facts = {"uname": " ".join(platform.uname()), "cores": str(os.cpu_count() or "?")}
    try:
        facts["uname"] = subprocess.run(
            ["uname", "-a"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    facts["cpu"] = _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    memory_kb = _proc_value("/proc/meminfo", "MemTotal")
    facts["memory"] = f"{int(memory_kb.split()[0]) / 1024 / 1024:.1f} GiB" if memory_kb else "unknown"
    return facts


def _proc_value(path: str, key: str) -> str:
    try:
        with open(path, encoding="utf-8") as lines:
            for row in lines:
                name, _, value = row.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return ""


# --- the database ---------------------------------------------------------------------------------


def database_url(args: argparse.Namespace, tickets: int) -> str:
    if args.database_url:
        return args.database_url
    return f"sqlite:///{BENCH_DIR / f'bench-{tickets}.sqlite3'}"


def bench_environment(url: str) -> dict[str, str]:
    """The environment of every step: the bench database, its own var folder, production settings.

    The task queue stays in a SQLite file under ``var/bench`` even where the
    caller has a ``REDIS_URL``, attachments of ingested mail go under
    ``var/bench/media`` and mail is never sent: the bench must not feed a real
    queue, fill the developer's media or write to anyone.
    """
    env = {key: value for key, value in os.environ.items() if key not in _CALLER_ONLY}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "aftersales.settings",
            "DATABASE_URL": url,
            "AFTERSALES_VAR_DIR": str(BENCH_DIR),
            "AFTERSALES_MEDIA_ROOT": str(BENCH_DIR / "media"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DJANGO_DEBUG": "0",
            "HUEY_IMMEDIATE": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


_CALLER_ONLY = frozenset({"REDIS_URL", "SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN"})


def fresh_database(url: str) -> None:
    """Start from nothing: remove the bench's SQLite file, or check the PostgreSQL database is empty.

    A PostgreSQL database that does not exist yet is created; one with tables
    is refused rather than emptied, since the bench never drops what it did not make.
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            return
    with psycopg.connect(url) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    if tables:
        raise BenchError(
            f"The database {name!r} already has tables: give an empty or new database (dropdb "
            f"{name} if it is an earlier bench's), or --skip-seed to measure the data it holds."
        )


def run_step(label: str, command: list[str], env: dict[str, str], timings: dict[str, float]) -> None:
    """One ``aftersales`` command, its output shown as it runs, its duration kept."""
    print(f"\n== {label}: aftersales {' '.join(command)}", flush=True)
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "aftersales.cli", *command], env=env, cwd=ROOT)
    timings[label] = time.perf_counter() - started
    if completed.returncode != 0:
        raise BenchError(f"{label} failed with exit status {completed.returncode}")


def seed(tickets: int, env: dict[str, str], timings: dict[str, float]) -> None:
    run_step("migrate", ["migrate", "--noinput", "--verbosity", "0"], env, timings)
    run_step("demo", ["demo"], env, timings)
    run_step(f"{tickets:,} tickets", ["demo", "--tickets", str(tickets)], env, timings)
    run_step("search index", ["search", "reindex", "--all"], env, timings)


# --- the server and the client -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Browser:
    """A minimal client: one connection per request (gunicorn's sync workers close it anyway)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            sent = {"Accept-Language": "zh-hans", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            connection.request(method, path, body=body.encode() if body is not None else None, headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
            return response.status, content
        finally:
            connection.close()

    def get(self, path: str) -> int:
        return self.request("GET", path)[0]

    def sign_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/desk/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise BenchError(f"the sign-in page answered {status} without a form")
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1).decode(),
                "username": username,
                "password": password,
                "next": "/desk/",
            }
        )
        status, _ = self.request(
            "POST",
            "/desk/login/",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"signing in as {username} failed (status {status})")


@contextmanager
def production_server(env: dict[str, str], port: int, log_path: Path) -> Iterator[None]:
    """``aftersales serve`` (gunicorn) on 127.0.0.1, stopped however the block ends."""
    command = [
        sys.executable,
        "-m",
        "aftersales.cli",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(WEB_WORKERS),
    ]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_ready(server, port, log_path)
            yield
        finally:
            server.terminate()
            try:
                server.wait(timeout=SERVER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_ready(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    probe = Browser(port)
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"the server exited with status {server.returncode}; see {log_path}")
        try:
            if probe.get("/healthz") == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer /healthz within {SERVER_START_SECONDS} s; see {log_path}")


def warm_up(browser: Browser, path: str, count: int) -> int:
    """``count`` requests, then more (at most 5× as many) while a recent one was still slow.

    Each gunicorn worker loads lazily what it needs first (templates, the
    jieba dictionary for search: ~1 s); whichever worker has not served the
    page yet shows up as a slow request, which would otherwise land in p99.
    """
    recent: list[float] = []
    status = 0
    for done in range(count * 5):
        started = time.perf_counter()
        status = browser.get(path)
        recent = [*recent[-9:], time.perf_counter() - started]
        if status != 200:
            return status
        if done + 1 >= count and max(recent) <= 4 * statistics.median(recent):
            break
    return status


def time_page(browser: Browser, page: PageTiming, *, warmup: int, requests: int) -> None:
    status = warm_up(browser, page.path, warmup)
    page.status = status
    if status != 200:
        page.note = f"answered {status}: not measured"
        return
    for _ in range(requests):
        started = time.perf_counter()
        status = browser.get(page.path)
        page.samples.append(time.perf_counter() - started)
        if status != 200:
            page.status = status
            page.note = f"answered {status} during the run"
            return


# --- in-process measurements (Django set up on the bench database) ----------------------------------


def setup_django(env: dict[str, str]) -> None:
    """This process on the bench database, with the settings the server runs with."""
    for key in _CALLER_ONLY:
        os.environ.pop(key, None)
    os.environ.update(env)
    import django

    django.setup()


def data_size(database: str) -> dict[str, int | str]:
    from django.db import connection

    from aftersales.commitments.models import Clock
    from aftersales.search.models import SearchDocument
    from aftersales.tickets.models import OPEN_STATUSES, Ticket, TicketEvent

    size: dict[str, int | str] = {
        "tickets": Ticket.objects.count(),
        "open tickets": Ticket.objects.filter(status__in=OPEN_STATUSES).count(),
        "events": TicketEvent.objects.count(),
        "open clocks": Clock.objects.filter(status__in=(Clock.Status.RUNNING, Clock.Status.PAUSED)).count(),
        "search documents": SearchDocument.objects.count(),
    }
    if connection.vendor == "sqlite":
        path = Path(urllib.parse.urlsplit(database).path)
        size["database size"] = f"{path.stat().st_size / 1024 / 1024:,.0f} MiB"
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size["database size"] = cursor.fetchone()[0]
    return size


def sample_ticket_number() -> str | None:
    """An open ticket to show: the newest one (as a specialist would open from the queue)."""
    from aftersales.tickets.models import OPEN_STATUSES, Ticket

    return (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .order_by("-pk")
        .values_list("number", flat=True)
        .first()
    )


def count_queries(pages: list[PageTiming]) -> None:
    """Run each page once in-process (after one warm-up call) and count its SQL queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from aftersales.accounts.models import User

    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(username=USERNAME))
    for page in pages:
        client.get(page.path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path)
        if response.status_code == 200:
            page.queries = len(queries)


def search_hits(query: str) -> int:
    from aftersales.accounts.models import User
    from aftersales.search.queries import search_tickets

    return len(search_tickets(User.objects.get(username=USERNAME), query).hits)


def ensure_search_index(env: dict[str, str], timings: dict[str, float]) -> None:
    """With --skip-seed: a database seeded before the index existed gets its documents built."""
    from aftersales.search.models import SearchDocument
    from aftersales.tickets.models import Ticket

    if SearchDocument.objects.count() != Ticket.objects.count():
        run_step("search index", ["search", "reindex", "--all"], env, timings)


def measure_catch_up() -> float:
    """The every-minute search catch-up when nothing is stale: what it costs the worker."""
    from django.utils import timezone

    from aftersales.search.services import reindex_changed_tickets

    started = time.perf_counter()
    reindex_changed_tickets(since=timezone.now())
    return time.perf_counter() - started


def measure_sweep(due: int) -> SweepFigures:
    """The sweep over every open clock with nothing due, then with ``due`` clocks due.

    Nothing due: every pending action is moved a day ahead first (this is the
    bench's own database). Due: running clocks without any notice yet are set
    to be due tomorrow with their warning time a minute ago, so each needs
    exactly one warning (notices to the assignee, the centre lead and whoever
    is on duty, and a line on the ticket's timeline).
    """
    from django.utils import timezone

    from aftersales.commitments.models import Clock
    from aftersales.commitments.services import sweep

    figures = SweepFigures()
    now = timezone.now()
    figures.open_clocks = Clock.objects.filter(status__in=(Clock.Status.RUNNING, Clock.Status.PAUSED)).count()
    Clock.objects.filter(next_action_at__lte=now + timedelta(hours=1)).update(
        next_action_at=now + timedelta(days=1)
    )
    sweep(now=now)
    runs = []
    for _ in range(SWEEP_RUNS):
        started = time.perf_counter()
        sweep(now=now)
        runs.append(time.perf_counter() - started)
    figures.idle_seconds = statistics.median(runs)

    candidates = list(
        Clock.objects.filter(status=Clock.Status.RUNNING, notices__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:due]
    )
    figures.due_requested = len(candidates)
    for start in range(0, len(candidates), 1000):
        Clock.objects.filter(pk__in=candidates[start : start + 1000]).update(
            due_at=now + timedelta(days=1),
            warn_at=now - timedelta(minutes=1),
            next_action_at=now - timedelta(minutes=1),
            warned_at=None,
            breached_at=None,
            leadership_at=None,
        )
    started = time.perf_counter()
    result = sweep(now=now)
    figures.due_seconds = time.perf_counter() - started
    figures.due_handled = len(result.clock_ids)
    return figures


def measure_mail(messages: int) -> MailFigures:
    """E-mail ingest in this process, on the bench database: the path ``aftersales mail ingest`` takes."""
    return MailFigures(messages=messages, per_second=mail_ingest.run(messages))


def measure_api(env: dict[str, str], *, requests: int, warmup: int) -> api_create.ApiCreateFigures:
    """API ticket creation against the server started afresh, ``/healthz`` timed alike beside it.

    Run last: every request adds a ticket, which must not reach the page figures.
    """
    token = api_create.token_for(USERNAME, env)
    port = free_port()
    print(f"\n== API creation on {HOST}:{port}, {requests} requests, {WEB_WORKERS} clients", flush=True)
    with production_server(env, port, BENCH_DIR / "server-api.log"):
        return api_create.run(
            f"http://{HOST}:{port}",
            token=token,
            requests=requests,
            warmup=warmup,
            concurrency=WEB_WORKERS,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )


def format_rate(value: float | None, unit: str) -> str:
    """A rate per second: one decimal below 100, where it still tells two runs apart."""
    if value is None:
        return "—"
    return f"{value:,.1f} {unit}/s" if value < 100 else f"{value:,.0f} {unit}/s"


# --- the report -------------------------------------------------------------------------------------


def previous_run(vendor: str, tickets: int, cpu: str) -> dict | None:
    """The latest recorded run at ``tickets`` on the same database and CPU, for comparison."""
    if not HISTORY.exists():
        return None
    found = None
    for line in HISTORY.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if (
            record.get("vendor") == vendor
            and record.get("tickets_requested") == tickets
            and record.get("machine", {}).get("cpu") == cpu
        ):
            found = record
    return found


def _page_p50(record: dict, label: str) -> float | None:
    for page in record.get("pages", []):
        if page["label"] == label and page["samples"]:
            return statistics.median(page["samples"])
    return None


def report(run: Run) -> str:
    healthz, queue, search = run.page("/healthz"), run.page("queue"), run.page(f"search “{SEARCH_RARE}”")
    rows = [
        [
            page.label,
            f"`{urllib.parse.unquote(page.path)}`",
            format_ms(page.p50),
            format_ms(page.p99),
            format_count(page.queries),
            str(len(page.samples)),
            page.note,
        ]
        for page in run.pages
    ]
    sweep = run.sweep
    rows.append(
        [
            "sweep, nothing due",
            f"{sweep.open_clocks:,} open clocks",
            format_ms(sweep.idle_seconds),
            "",
            "",
            str(SWEEP_RUNS),
            "median of the runs",
        ]
    )
    rows.append(
        [
            f"sweep, {sweep.due_requested:,} due",
            f"{sweep.due_handled:,} handled",
            format_ms(sweep.due_seconds),
            "",
            "",
            "1",
            f"{format_count(sweep.due_per_second)} clocks/s",
        ]
    )
    rows.append(
        ["search catch-up, nothing stale", "every minute", format_ms(run.catch_up_seconds), "", "", "1", ""]
    )
    rows += throughput_rows(run)
    table = markdown_table(["measure", "what", "p50", "p99", "queries", "requests", "note"], rows)

    ratio = queue.p50 / healthz.p50 if queue and queue.p50 and healthz and healthz.p50 else None
    aims = [
        [
            f"queue p50 within {AIM_QUEUE_TIMES_HEALTHZ:.0f}× /healthz",
            format_ratio(ratio),
            verdict(None if ratio is None else ratio <= AIM_QUEUE_TIMES_HEALTHZ),
        ],
        [
            f"search p50 under {AIM_SEARCH_P50_MS:.0f} ms",
            format_ms(search.p50 if search else None),
            verdict(None if not search or search.p50 is None else search.p50 * 1000 < AIM_SEARCH_P50_MS),
        ],
        [
            f"sweep, nothing due, under {AIM_SWEEP_IDLE_MS:.0f} ms",
            format_ms(sweep.idle_seconds),
            verdict(None if sweep.idle_seconds is None else sweep.idle_seconds * 1000 < AIM_SWEEP_IDLE_MS),
        ],
        [
            f"at least {AIM_DUE_CLOCKS_PER_SECOND:,.0f} due clocks per second",
            format_count(sweep.due_per_second),
            verdict(
                None if sweep.due_per_second is None else sweep.due_per_second >= AIM_DUE_CLOCKS_PER_SECOND
            ),
        ],
    ]
    if run.tickets_requested == MILLION:
        baseline = previous_run(run.vendor, DEFAULT_TICKETS, run.machine.get("cpu", ""))
        base_p50 = _page_p50(baseline, "queue") if baseline else None
        slowdown = queue.p50 / base_p50 if queue and queue.p50 and base_p50 else None
        aims.append(
            [
                f"queue at 1,000,000 within {AIM_MILLION_SLOWDOWN:.0%} of 100,000",
                format_ratio(slowdown)
                + (f" (vs {format_ms(base_p50)})" if base_p50 else " (no 100,000 run)"),
                verdict(None if slowdown is None else slowdown <= AIM_MILLION_SLOWDOWN),
            ]
        )
    data = ", ".join(
        f"{value:,} {name}" if isinstance(value, int) else f"{name} {value}"
        for name, value in run.data.items()
    )
    seeding = ", ".join(f"{label} {seconds:,.0f} s" for label, seconds in run.seeding.items()) or "skipped"
    lines = [
        f"### {run.started_at} — {run.tickets_requested:,} tickets, {run.vendor}",
        "",
        f"- Machine: `{run.machine['uname']}`; {run.machine['cpu']}, {run.machine['cores']} cores, "
        f"{run.machine['memory']}; load average {run.machine.get('load', '?')} when the requests began "
        "(other work on the machine shows up in every figure)",
        f"- Data: {data}",
        f"- Seeding: {seeding}",
        "",
        table,
        "",
        markdown_table(["aim", "figure", "verdict"], aims),
    ]
    if run.notes:
        lines += ["", *(f"- {note}" for note in run.notes)]
    return "\n".join(lines) + "\n"


def throughput_rows(run: Run) -> list[list[str]]:
    """Mail ingest and API creation, each with ``/healthz`` beside it (issue 4, §7).

    Ingest runs in-process, so its ``/healthz`` is the sequential rate of the
    page timings (one over the median); API creation has ``/healthz`` timed
    with the same client and concurrency.
    """
    healthz = run.page("/healthz")
    healthz_rate = 1 / healthz.p50 if healthz and healthz.p50 else None
    rows = []
    if run.mail.messages:
        per_message = 1 / run.mail.per_second if run.mail.per_second else None
        rows.append(
            [
                "e-mail ingest",
                f"{run.mail.messages:,} messages, in-process",
                format_ms(per_message),
                "",
                "",
                str(run.mail.messages),
                f"{format_rate(run.mail.per_second, 'messages')}; "
                f"/healthz {format_rate(healthz_rate, 'req')} sequential",
            ]
        )
    api = run.api
    if api is not None:
        failed = api.create.statuses.keys() - {api_create.CREATED}
        rows.append(
            [
                "API ticket creation",
                "`POST /api/v1/tickets/`",
                format_ms(api.p50),
                format_ms(api.p99),
                "",
                str(len(api.create.samples)),
                f"{format_rate(api.per_second, 'req')} with {api.concurrency} clients; /healthz alike "
                f"{format_rate(api.healthz_per_second, 'req')}"
                + (
                    f"; failed: {', '.join(f'{api.create.statuses[s]}× {s}' for s in sorted(failed))}"
                    if failed
                    else ""
                ),
            ]
        )
    return rows


def record(run: Run, text: str) -> None:
    if not RESULTS_DOC.exists():
        RESULTS_DOC.write_text(DOC_HEADER, encoding="utf-8")
    with open(RESULTS_DOC, "a", encoding="utf-8") as doc:
        doc.write("\n" + text)
    with open(HISTORY, "a", encoding="utf-8") as history:
        history.write(json.dumps(asdict(run), ensure_ascii=False) + "\n")


# --- the whole run ------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tickets", type=int, default=DEFAULT_TICKETS, help="tickets to seed (default 100,000)"
    )
    parser.add_argument("--million", action="store_true", help="seed 1,000,000 tickets")
    parser.add_argument("--skip-seed", action="store_true", help="measure the bench database as it is")
    parser.add_argument("--database-url", help="a PostgreSQL database for the bench (default: SQLite)")
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="untimed requests first")
    parser.add_argument(
        "--mail-messages", type=int, default=DEFAULT_MAIL_MESSAGES, help="e-mail messages to ingest"
    )
    parser.add_argument("--no-api", action="store_true", help="skip API creation (it adds tickets)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to the docs")
    args = parser.parse_args(argv)
    if args.million:
        args.tickets = MILLION
    if args.tickets < 1:
        parser.error("--tickets must be at least 1")
    if not 1 <= args.requests <= MAX_REQUESTS or not 0 <= args.warmup <= MAX_REQUESTS:
        parser.error(f"--requests and --warmup must be at most {MAX_REQUESTS:,}")
    if not 0 <= args.mail_messages <= MAX_REQUESTS:
        parser.error(f"--mail-messages must be between 0 and {MAX_REQUESTS:,}")
    return args


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """A SIGTERM unwinds like Ctrl-C, so the server started by the bench is stopped too."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = database_url(args, args.tickets)
    env = bench_environment(url)
    vendor = "PostgreSQL" if url.startswith(("postgres", "postgresql")) else "SQLite"
    run = Run(
        started_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        tickets_requested=args.tickets,
        vendor=vendor,
        machine=machine(),
    )
    try:
        if not args.skip_seed:
            fresh_database(url)
            seed(args.tickets, env, run.seeding)
        else:
            run_step("migrate", ["migrate", "--noinput", "--verbosity", "0"], env, run.seeding)
        run_step("static files", ["collectstatic", "--noinput", "--verbosity", "0"], env, run.seeding)
        setup_django(env)
        if args.skip_seed:
            ensure_search_index(env, run.seeding)
        run.data = data_size(url)
        number = sample_ticket_number()
        run.pages = [
            PageTiming("/healthz", "/healthz"),
            PageTiming("queue", "/desk/"),
            PageTiming("ticket", f"/desk/tickets/{number}/" if number else "/desk/tickets/-/"),
            PageTiming(f"search “{SEARCH_RARE}”", "/desk/search/?q=" + urllib.parse.quote(SEARCH_RARE)),
            PageTiming(f"search “{SEARCH_COMMON}”", "/desk/search/?q=" + urllib.parse.quote(SEARCH_COMMON)),
        ]
        for query, page in ((SEARCH_RARE, run.pages[3]), (SEARCH_COMMON, run.pages[4])):
            page.note = f"{search_hits(query)} results shown"
        run.machine["load"] = " ".join(f"{value:.1f}" for value in os.getloadavg())
        port = free_port()
        print(f"\n== serving on {HOST}:{port}, {args.requests} requests per page", flush=True)
        with production_server(env, port, BENCH_DIR / "server.log"):
            browser = Browser(port)
            browser.sign_in(USERNAME, PASSWORD)
            for page in run.pages:
                time_page(browser, page, warmup=args.warmup, requests=args.requests)
                print(f"   {page.label}: p50 {format_ms(page.p50)}, p99 {format_ms(page.p99)}", flush=True)
        count_queries(run.pages)
        run.catch_up_seconds = measure_catch_up()
        print("\n== sweep", flush=True)
        run.sweep = measure_sweep(DUE_CLOCKS)
        if run.sweep.due_requested < DUE_CLOCKS:
            run.notes.append(
                f"Only {run.sweep.due_requested:,} running clocks without notices were available to make due."
            )
        if args.mail_messages:
            print(f"\n== e-mail ingest, {args.mail_messages} messages", flush=True)
            run.mail = measure_mail(args.mail_messages)
        if not args.no_api:
            try:
                run.api = measure_api(env, requests=args.requests, warmup=args.warmup)
            except api_create.ApiBenchError as error:
                run.notes.append(f"API creation not measured: {error}")
    except BenchError as error:
        print(f"\nbench: {error}", file=sys.stderr)
        return 1
    text = report(run)
    print("\n" + text)
    if not args.no_record:
        record(run, text)
        print(f"Appended to {RESULTS_DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
