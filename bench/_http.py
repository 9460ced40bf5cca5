"""Shared plumbing of the HTTP benchmarks: Django against the benchmark database, demo data,
an API token, a real gunicorn server, timed requests, raw-SQL baselines, and the CPU time they
cost (which, unlike wall time, a busy shared machine barely changes).

Benchmarks are run by hand, never by the test suite. They need PostgreSQL (DATABASE_URL) and
use Redis (REDIS_URL, default redis://127.0.0.1:6379/6) for the cache, as production does.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The server runs as in production (DEBUG off), on plain HTTP on the loopback.
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-secret-key",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "HTTPS": "false",
    "READ_DOT_ENV_FILE": "false",
    "LOG_LEVEL": "WARNING",
    # No collectstatic for a benchmark: whitenoise's warning about it is noise here.
    "PYTHONWARNINGS": "ignore:No directory at",
}


def setup_django() -> None:
    """Configure Django for this process from the same environment the server gets."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be filled with demo data).")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voicesurvey.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_demo_data(*, contacts: int, campaigns: int, reseed: bool) -> None:
    """seed_demo with this size unless the database already holds exactly that, then VACUUM
    ANALYZE (production tables are vacuumed by autovacuum; a fresh load is not yet, and without
    a visibility map PostgreSQL cannot use index-only scans)."""
    from django.core.management import call_command

    from campaigns.models import Campaign
    from contacts.models import Contact

    call_command("migrate", verbosity=0)
    have = (Contact.objects.count(), Campaign.objects.count())
    if reseed or have != (contacts, campaigns):
        print(f"seeding {contacts:,} contacts in {campaigns} campaign(s)…", flush=True)
        call_command("seed_demo", contacts=contacts, campaigns=campaigns, reset=True, verbosity=0)
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")


def prepare(
    description: str, *, contacts: int, campaigns: int, requests: int, port: int
) -> argparse.Namespace:
    """The options every benchmark takes (defaults given), then Django and the demo data."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--contacts", type=int, default=contacts)
    parser.add_argument("--campaigns", type=int, default=campaigns)
    parser.add_argument("--requests", type=int, default=requests, help="timed requests per case")
    parser.add_argument("--port", type=int, default=port, help="for gunicorn (8060-8069)")
    parser.add_argument("--reseed", action="store_true", help="seed even if the size matches")
    args = parser.parse_args()
    setup_django()
    ensure_demo_data(contacts=args.contacts, campaigns=args.campaigns, reseed=args.reseed)
    return args


def api_token(username: str, role: str) -> str:
    from rest_framework.authtoken.models import Token

    from voicesurvey.models import User
    from voicesurvey.services import user_create

    user = User.objects.filter(username=username).first() or user_create(
        username=username, role=role
    )
    return Token.objects.get_or_create(user=user)[0].key


@dataclass
class Server:
    port: int
    process: subprocess.Popen

    def request(
        self, method: str, path: str, token: str | None = None, *, headers: dict | None = None
    ) -> tuple[float, int, bytes]:
        """One request on a fresh connection (gunicorn's sync workers close each one), with an
        API token or other headers (a session cookie): (milliseconds, status, body)."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Token {token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        return elapsed, response.status, body

    def get_json(self, path: str, token: str) -> tuple[float, dict]:
        elapsed, status, body = self.request("GET", path, token)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        return elapsed, json.loads(body)


@contextlib.contextmanager
def gunicorn(*, port: int, workers: int = 2, env: dict | None = None) -> Iterator[Server]:
    """gunicorn serving the product on 127.0.0.1:port with the production settings (plus
    `env`)."""
    env = {**os.environ, **SERVER_ENV, **(env or {})}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "voicesurvey.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start on port {port}")
            time.sleep(0.2)
        yield Server(port=port, process=process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def interleaved(cases: dict[str, Callable[[], float]], *, repeat: int) -> dict[str, list[float]]:
    """Milliseconds of `repeat` rounds of every case (each callable times itself), one case
    after the other in each round: on a machine shared with other work, load changes hit
    every case alike, so the ratios between them hold even when the absolute figures drift."""
    for run in cases.values():  # warm-up: connections, caches, plans
        run()
        run()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            results[name].append(run())
    return results


def raw_sql_timer(
    sql: str, params: tuple = (), *, cpu: list[float] | None = None
) -> Callable[[], float]:
    """A baseline: the same aggregates as hand-written SQL, on a psycopg connection of its own
    (no Django), fetching every row. With `cpu`, the CPU milliseconds its PostgreSQL backend
    spent on each run are appended there."""
    import psycopg

    connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    backend = connection.info.backend_pid

    def run() -> float:
        before = cpu_ns(backend)
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        if cpu is not None:
            cpu.append((cpu_ns(backend) - before) / 1e6)
        return elapsed

    return run


def cpu_ns(pid: int) -> int:
    """CPU time a process has used, in nanoseconds (the scheduler's own account, precise where
    /proc/<pid>/stat counts 10 ms ticks); 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return 0


class ServerCpu:
    """CPU time the server side spends on a request: its gunicorn workers, and every
    PostgreSQL backend of the benchmark database but this meter's own (the workers' pooled
    connections; a backend that appears during the request counts whole). Requests must be
    sequential, and nothing else may use the benchmark database meanwhile."""

    def __init__(self, server: Server):
        import psycopg

        self.master = server.process.pid
        self.connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)

    def _pids(self) -> list[int]:
        with open(f"/proc/{self.master}/task/{self.master}/children") as children:
            workers = [int(pid) for pid in children.read().split()]
        backends = self.connection.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return workers + [pid for (pid,) in backends]

    def measure(self, request: Callable[[], float], into: list[float]) -> Callable[[], float]:
        """`request`, with its server CPU milliseconds appended to `into`."""

        def run() -> float:
            before = {pid: cpu_ns(pid) for pid in self._pids()}
            elapsed = request()
            after = {pid: cpu_ns(pid) for pid in self._pids()}
            into.append(sum(ns - before.get(pid, 0) for pid, ns in after.items()) / 1e6)
            return elapsed

        return run


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def report_line(
    label: str,
    values: list[float],
    baseline: list[float] | None = None,
    *,
    cpu: list[float] | None = None,
) -> str:
    line = f"  {label:<52} p50 {p50(values):8.1f} ms   p95 {p95(values):8.1f} ms"
    if cpu:
        line += f"   cpu p50 {p50(cpu):7.1f} ms"
    if baseline:
        line += f"   ({p50(values) / p50(baseline):.1f}x raw SQL)"
    return line
