"""``aftersales serve`` and ``aftersales worker``: the processes ``make run`` and deployments start.

The served processes run on the embedded set-up (SQLite in a temporary
``AFTERSALES_VAR_DIR``, Huey on SQLite) whatever database the test run uses:
``/healthz`` needs no tables. Starting them takes several seconds (system checks,
then gunicorn and the consumer each load Django), so none of these is a smoke test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from aftersales.core.management.commands.serve import gunicorn_command, site_url

START_TIMEOUT_SECONDS = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_serve(var_dir: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        AFTERSALES_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="aftersales.settings",
        AFTERSALES_LOG_LEVEL="WARNING",
        AFTERSALES_LANGUAGE="en",  # the assertions read the English messages
    )
    log = var_dir / "serve.log"
    command = [sys.executable, "-m", "aftersales.cli", "serve", "--with-worker", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", "1"],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, log


def _wait_for_health(process: subprocess.Popen, port: int, log: Path) -> bytes:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                return response.read()
        except OSError:  # not listening yet (URLError), or the worker still loading (timeout)
            time.sleep(0.2)
    pytest.fail(f"/healthz did not answer within {START_TIMEOUT_SECONDS} s:\n{log.read_text()}")


def _wait_for(condition, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {START_TIMEOUT_SECONDS} s:\n{log.read_text()}")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_with_worker_answers_healthz_and_stops_both_on_sigterm(tmp_path):
    port = _free_port()
    process, log = _start_serve(tmp_path, port)
    try:
        assert _wait_for_health(process, port, log) == b"ok\n"
        _wait_for(lambda: "consumer started" in log.read_text(), "the task consumer starting", log)
        children = _children(process.pid)
        assert len(children) == 2
    finally:
        _stop(process)
    assert process.returncode == 0
    assert f"serving http://127.0.0.1:{port}/" in log.read_text()
    assert not any(Path(f"/proc/{child}").exists() for child in children)


def test_serve_stops_the_web_server_when_the_task_consumer_dies(tmp_path):
    port = _free_port()
    process, log = _start_serve(tmp_path, port)
    try:
        _wait_for_health(process, port, log)
        _wait_for(lambda: "consumer started" in log.read_text(), "the task consumer starting", log)
        consumer = next(
            child
            for child in _children(process.pid)
            if b"aftersales.cli" in Path(f"/proc/{child}/cmdline").read_bytes()
        )
        os.kill(consumer, signal.SIGKILL)
        process.wait(timeout=40)
    finally:
        _stop(process)
    assert process.returncode != 0
    assert "task consumer exited" in log.read_text()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_gunicorn_serves_the_wsgi_application_on_the_given_address():
    command = gunicorn_command(host="0.0.0.0", port=9000, workers=3)
    assert command[:4] == [sys.executable, "-m", "gunicorn", "aftersales.wsgi:application"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:9000"
    assert command[command.index("--workers") + 1] == "3"
    assert "--no-control-socket" in command
    assert gunicorn_command(host="::1", port=80, workers=1)[5] == "[::1]:80"


def test_the_logged_address_of_a_wildcard_bind_is_the_loopback_one():
    assert site_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert site_url("::", 8000) == "http://[::1]:8000/"
    assert site_url("10.0.0.5", 8080) == "http://10.0.0.5:8080/"


def test_serve_refuses_a_port_out_of_range():
    with translation.override("en"), pytest.raises(CommandError, match="expected a port"):
        call_command("serve", "--port", "70000", "--skip-checks")


def test_the_worker_refuses_to_run_in_immediate_mode(settings):
    settings.HUEY = {**settings.HUEY, "immediate": True}
    with translation.override("en"), pytest.raises(CommandError, match="HUEY_IMMEDIATE"):
        call_command("worker", "--skip-checks")
