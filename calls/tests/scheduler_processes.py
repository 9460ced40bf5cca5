"""Real scheduler processes (`manage.py run_scheduler`) against the test database, for the
tests of what happens between processes: the row locks, the shared pace, a process killed,
its database sessions terminated, its Redis restarted. Each process has its own connection;
the test reads what they wrote."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def postgresql_only(why: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: {why} (run with DATABASE_URL=postgres://…)")


def scheduler_env(**environ: str) -> dict[str, str]:
    """The environment of a scheduler process on the test database. By default: the simulated
    callees queue their first step on the database broker and stay there (no cluster runs),
    so the calls they place remain in flight, which is what these tests count."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "voicesurvey.settings_test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "Q_SYNC": "false",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        **environ,
    }


def scheduler_process(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen) -> tuple[str, str]:
    """Stop a process still running (SIGTERM) and return its output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def wait_for(condition, *, timeout: float, what: str, process: subprocess.Popen | None = None):
    """Poll `condition()` until it returns something true; fail after `timeout` seconds, or
    as soon as `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the scheduler exited ({process.returncode}) waiting for {what}:\n{err}")
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
