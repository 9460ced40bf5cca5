"""The HTTP benchmarks' plumbing: their options, an API token, a real gunicorn server serving
the product, timed requests on fresh connections, and the CPU time the server side spends on
them (which, unlike wall time, a busy shared machine barely changes). Settings, database,
data and the measuring helpers are in `_common.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from _common import ROOT, cpu_ns, database_prepare, demo_data_ensure, demo_options, django_setup


def prepare(
    description: str, *, contacts: int, campaigns: int, requests: int, port: int
) -> argparse.Namespace:
    """The options every HTTP benchmark takes (defaults given), then Django, the database and
    the demo data."""
    parser = argparse.ArgumentParser(description=description)
    demo_options(parser, contacts=contacts, campaigns=campaigns)
    parser.add_argument("--requests", type=int, default=requests, help="timed requests per case")
    parser.add_argument("--port", type=int, default=port, help="for gunicorn (8060-8069)")
    args = parser.parse_args()
    django_setup()
    database_prepare()
    demo_data_ensure(contacts=args.contacts, campaigns=args.campaigns, reseed=args.reseed)
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
    """gunicorn serving the product on 127.0.0.1:port with sync workers, under this process's
    settings (`_common.django_setup` put them in the environment), plus `env`."""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "voicesurvey.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
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
