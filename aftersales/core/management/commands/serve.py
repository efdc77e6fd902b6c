"""``aftersales serve``: the production web server (gunicorn), optionally with one task consumer.

Alone it replaces itself with gunicorn, so a process manager's signals reach
gunicorn directly. With ``--with-worker`` (what ``make run`` uses) it starts
gunicorn and exactly one real Huey consumer as children, forwards SIGINT and
SIGTERM to both, and stops both as soon as either dies: a web server whose
consumer is gone would accept work that never runs (periodic SLA sweeps
included), so it must not go on quietly.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from aftersales.core.env import env_int, env_str

STOP_TIMEOUT_SECONDS = 30
POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1


def gunicorn_command(*, host: str, port: int, workers: int) -> list[str]:
    """The gunicorn command line serving ``aftersales.wsgi``.

    The control socket is off because its default path is shared by every
    gunicorn of a user: two web processes on one machine would fight over it.
    Further gunicorn options go in ``GUNICORN_CMD_ARGS``, which gunicorn reads.
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "aftersales.wsgi:application",
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--no-control-socket",
    ]


def worker_command() -> list[str]:
    """The task consumer as its own process (``aftersales worker``); ``serve`` ran the checks."""
    return [sys.executable, "-m", "aftersales.cli", "worker", "--skip-checks"]


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if ``serve`` itself is killed, so no orphan keeps the port."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def site_url(host: str, port: int) -> str:
    """The address to open in a browser: a wildcard bind is reachable on loopback."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class Command(BaseCommand):
    help = "Serve Aftersales with gunicorn; --with-worker also runs one task consumer beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, help="Port to listen on (default: $PORT or 8000).")
        parser.add_argument("--host", help="Address to bind (default: $HOST or 127.0.0.1).")
        parser.add_argument(
            "--workers", type=int, help="Web worker processes (default: $WEB_CONCURRENCY or 2)."
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run one Huey consumer (periodic tasks included) and stop both together.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"] or env_str("HOST", "127.0.0.1")
        port = options["port"] if options["port"] is not None else env_int("PORT", 8000, minimum=1)
        workers = (
            options["workers"] if options["workers"] is not None else env_int("WEB_CONCURRENCY", 2, minimum=1)
        )
        if not 0 < port < 65536:
            raise CommandError(_("--port %(port)s: expected a port from 1 to 65535.") % {"port": port})
        if workers < 1:
            raise CommandError(_("--workers %(n)s: expected at least 1.") % {"n": workers})
        web = gunicorn_command(host=host, port=port, workers=workers)
        facts = {"url": site_url(host, port), "workers": workers}
        if not options["with_worker"]:
            self._say(_("Aftersales: serving %(url)s with %(workers)s web workers") % facts)
            os.execv(web[0], web)
        self._say(_("Aftersales: serving %(url)s with %(workers)s web workers and one task consumer") % facts)
        raise SystemExit(self._supervise(web=web, worker=worker_command()))

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _supervise(self, *, web: list[str], worker: list[str]) -> int:
        """Run both children until a signal or until one of them exits; return the exit code."""
        tie = _die_with_parent if sys.platform == "linux" else None
        children = {
            _("web server"): subprocess.Popen(web, preexec_fn=tie),
            _("task consumer"): subprocess.Popen(worker, preexec_fn=tie),
        }
        stopping: list[int] = []

        def forward(signum: int, _frame: Any) -> None:
            stopping.append(signum)
            for process in children.values():
                if process.poll() is None:
                    process.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            name, code = self._wait_for_first_exit(children)
            if stopping:
                # Both were told already; SIGTERM now would cut short the consumer's graceful stop.
                self._stop(children, None)
                return 0
            self.stderr.write(
                _("Aftersales: the %(process)s exited with code %(code)s; stopping the other one too.")
                % {"process": name, "code": code}
            )
            self._stop(children, signal.SIGTERM)
            return code or 1
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @staticmethod
    def _wait_for_first_exit(children: dict[str, subprocess.Popen]) -> tuple[str, int]:
        while True:
            for name, process in children.items():
                code = process.poll()
                if code is not None:
                    return name, code
            time.sleep(POLL_SECONDS)

    @staticmethod
    def _stop(children: dict[str, subprocess.Popen], signum: int | None) -> None:
        """Ask the survivors to stop (unless already asked), then kill any left after the timeout."""
        for process in children.values():
            if signum is not None and process.poll() is None:
                process.send_signal(signum)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in children.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
