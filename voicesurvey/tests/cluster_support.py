"""Real task clusters for tests: `manage.py qcluster` processes against the test database
(PostgreSQL: another process cannot see SQLite's in-memory test database) and the broker this
test process queues on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: a task cluster is a separate process, which cannot see SQLite's "
            "in-memory test database (run with DATABASE_URL=postgres://…)"
        )


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def cluster_start(*, log: Path, queue: str | None = None, **environment: str) -> subprocess.Popen:
    """`manage.py qcluster` with the production settings, serving the default queue, or the
    one named (Q_CLUSTER_NAME), as docs/operations.md says to run them."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "voicesurvey.settings",
        "READ_DOT_ENV_FILE": "false",
        "SECRET_KEY": "test-only-secret-key-not-for-production",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),  # the broker this process queues on
        "Q_WORKERS": "1",
        "Q_BULK_WORKERS": "1",
        "LOG_FORMAT": "text",
        **({"Q_CLUSTER_NAME": queue} if queue else {}),
        **environment,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the sentinel and its workers
        )


def cluster_kill(cluster: subprocess.Popen) -> None:
    """SIGKILL to the whole cluster (sentinel, pusher, monitor, workers), as `kill -9` of its
    process group."""
    try:
        os.killpg(cluster.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    cluster.wait(timeout=30)


def wait_for(condition: Callable[[], object], what: str, log: Path, seconds: float = 120):
    """Poll until `condition()` is truthy and return it: a hang guard, not a measure."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}; cluster log:\n{log.read_text()[-3000:]}")
