"""A Redis server of the test's own, to stop and freeze at will (never the machine's shared one),
and the product's settings as they are with REDIS_URL pointing at it."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import time

import redis
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """`redis-server` on a free local port, in memory only. `freeze()` stops the process
    (SIGSTOP): connections still open, commands get no answer, as with a hung server;
    `thaw()` resumes it; `stop()` ends it (connections refused)."""

    def __init__(self, port: int | None = None):
        self.port = port or _free_port()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("redis-server did not start")
        self.frozen = False

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=10)


def product_settings(monkeypatch, **environment: str) -> dict:
    """voicesurvey/settings.py evaluated afresh with these environment variables: what the
    product would configure (CACHES, Q_CLUSTER, …) in a process started with them."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(settings.BASE_DIR / "voicesurvey" / "settings.py"))
