"""API ticket creation against a running server, beside ``/healthz`` (issue 4, §7).

    from benchmarks.api_create import run, token_for
    token = token_for("specialist", env)          # the bench database's environment
    figures = run("http://127.0.0.1:8123", token=token, requests=200, concurrency=2)
    figures.per_second, figures.healthz_per_second, figures.p50, figures.p99

Each request is ``POST /api/v1/tickets/`` as an integration sends it (token
authentication, JSON, a fault on a real unit): the whole intake — number,
entitlement, routing, clocks, acknowledgement in the outbox — in one
transaction. ``/healthz`` is timed the same way (same client, same count,
same concurrency) so the two figures compare. One connection per request, as
gunicorn's sync workers close it anyway. Bounded: at most ``MAX_REQUESTS``,
each with a timeout, and nothing but the given (loopback) server is called.
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 10_000
DEFAULT_TIMEOUT_SECONDS = 60.0
CREATED = 201


class ApiBenchError(Exception):
    """The API cannot be measured (no token, no unit, the server refused the first report …)."""


@dataclass
class Timing:
    """Requests of one kind: their latencies, statuses and the wall-clock time they took together."""

    path: str
    samples: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def succeeded(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    @property
    def per_second(self) -> float | None:
        return self.succeeded / self.seconds if self.seconds and self.succeeded else None

    @property
    def p50(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def p99(self) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[max(1, -(-len(ordered) * 99 // 100)) - 1]  # nearest rank


@dataclass
class ApiCreateFigures:
    """Ticket creation through the API and ``/healthz``, measured alike."""

    requests: int
    concurrency: int
    unit_serial: str
    create: Timing
    healthz: Timing

    @property
    def created(self) -> int:
        return self.create.statuses.get(CREATED, 0)

    @property
    def per_second(self) -> float | None:
        return self.create.per_second

    @property
    def healthz_per_second(self) -> float | None:
        return self.healthz.per_second

    @property
    def p50(self) -> float | None:
        return self.create.p50

    @property
    def p99(self) -> float | None:
        return self.create.p99


class _Client:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ApiBenchError(f"give the server as http://host:port, not {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, self.prefix + path, body=payload, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def report(serial: str, index: int) -> dict:
    """The body of one creation request: a general fault on ``serial``, numbered for the log."""
    return {
        "kind": "fault",
        "unit": serial,
        "severity": "general",
        "channel": "api",
        "title": f"接口基准测试 {index}: 签名服务偶发超时",
        "description": "监控系统报告签名服务响应时间超过 2 秒，已持续 10 分钟。Signing is slow.",
        "business_impact": "部分交易需重试",
    }


def _first_unit(client: _Client) -> str:
    status, content = client.request("GET", "/api/v1/units/?page_size=1")
    if status != 200:
        raise ApiBenchError(f"listing units answered {status}: {content[:200]!r}")
    results = json.loads(content).get("results") or []
    if not results:
        raise ApiBenchError("the token's user sees no unit to report on")
    return results[0]["serial"]


def _timed(
    client: _Client, timing: Timing, calls: list[tuple[str, str, dict | None]], concurrency: int
) -> None:
    """Send ``calls`` from ``concurrency`` threads; record each latency and status, and the wall time."""
    lock = threading.Lock()
    queue = iter(calls)

    def worker() -> None:
        while True:
            with lock:
                call = next(queue, None)
            if call is None:
                return
            method, path, body = call
            started = time.perf_counter()
            try:
                status, _content = client.request(method, path, body)
            except OSError:
                status = 0  # refused, reset or timed out: counted, not fatal
            elapsed = time.perf_counter() - started
            with lock:
                timing.samples.append(elapsed)
                timing.statuses[status] = timing.statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timing.seconds = time.perf_counter() - started


def run(
    base_url: str,
    *,
    token: str,
    unit_serial: str | None = None,
    requests: int = 200,
    warmup: int = 20,
    concurrency: int = 1,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> ApiCreateFigures:
    """Time ``requests`` ticket creations (after ``warmup`` untimed ones) and as many ``/healthz``.

    ``token`` belongs to a user who takes reports (a specialist); ``unit_serial``
    defaults to the first unit that user sees. Raises ``ApiBenchError`` when the
    first creation fails (a wrong token or unit would otherwise time errors).
    """
    if not 1 <= requests <= MAX_REQUESTS:
        raise ApiBenchError(f"requests must be between 1 and {MAX_REQUESTS}")
    if not 1 <= concurrency <= 64:
        raise ApiBenchError("concurrency must be between 1 and 64")
    client = _Client(base_url, token, timeout)
    serial = unit_serial or _first_unit(client)
    status, content = client.request("POST", "/api/v1/tickets/", report(serial, 0))
    if status != CREATED:
        raise ApiBenchError(f"creating a ticket answered {status}: {content[:300]!r}")

    warm = Timing("/api/v1/tickets/")
    _timed(
        client, warm, [("POST", "/api/v1/tickets/", report(serial, n)) for n in range(warmup)], concurrency
    )
    _timed(client, Timing("/healthz"), [("GET", "/healthz", None)] * warmup, concurrency)

    create = Timing("/api/v1/tickets/")
    calls = [("POST", "/api/v1/tickets/", report(serial, warmup + n)) for n in range(requests)]
    _timed(client, create, calls, concurrency)
    healthz = Timing("/healthz")
    _timed(client, healthz, [("GET", "/healthz", None)] * requests, concurrency)
    return ApiCreateFigures(
        requests=requests, concurrency=concurrency, unit_serial=serial, create=create, healthz=healthz
    )


def token_for(username: str, env: dict[str, str]) -> str:
    """The API token of ``username`` in the database ``env`` points at (created if missing)."""
    completed = subprocess.run(
        [sys.executable, "-m", "aftersales.cli", "api_token", username],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if completed.returncode != 0:
        raise ApiBenchError(f"api_token {username} failed: {completed.stderr.strip()}")
    return completed.stdout.strip().splitlines()[-1]
