"""How the product talks to Redis (REDIS_URL): the cache's connections (django-redis) and the
task broker's (django-q2), both with bounded waits.

redis-py's defaults wait 5 s for each answer. With Redis frozen, every request that queues a
task (starting an export) or reads the cache or the clusters' stats (the dashboards) hung that
long, once per command. Here:

- each command gives up after REDIS_SOCKET_TIMEOUT_SECONDS (connecting,
  REDIS_CONNECT_TIMEOUT_SECONDS), and is not retried;
- once one has failed so (a timeout, a refused connection), every Redis command of this
  process fails at once for REDIS_RETRY_AFTER_SECONDS (`FailFastRetry`): a dashboard reading
  a dozen cache entries waits for the first, not for each;
- callers treat the failure as Redis being down: a cache miss (django-redis' IGNORE_EXCEPTIONS),
  an export left pending for the reaper, no cluster count on the dashboard.

One command blocks on purpose: the cluster's BLPOP waits up to DEQUEUE_WAIT_SECONDS on the
server for a task. It has a connection of its own whose timeout covers that wait: with the
short timeout every empty poll would time out, the pusher would stop for 10 s after each, and a
task popped just as the client gave up would be lost.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django_q.brokers import redis_broker
from django_q.conf import Conf
from django_redis.pool import ConnectionFactory
from redis.backoff import NoBackoff
from redis.retry import Retry

# django-q2's own wait per BLPOP.
DEQUEUE_WAIT_SECONDS = 1

# Until when (time.monotonic()) this process leaves a Redis server alone, by its address; shared
# by every connection to it (redis-py copies a connection's Retry, so the state cannot live on
# it). A broker that is down says nothing about a cache on another server.
_down_until: dict[str, float] = {}


def forget_outages() -> None:
    """Try every Redis again at once (as REDIS_RETRY_AFTER_SECONDS later would)."""
    _down_until.clear()


class FailFastRetry(Retry):
    """A command is tried once; after one has found Redis unreachable or silent, every
    command fails at once, for REDIS_RETRY_AFTER_SECONDS. (redis-py runs every command and
    every connection attempt through its connection's Retry.)"""

    def __init__(self, server: str) -> None:
        super().__init__(NoBackoff(), retries=0)
        self.server = server

    def call_with_retry(self, do, fail, *args: Any, **kwargs: Any):
        if time.monotonic() < _down_until.get(self.server, 0.0):
            raise redis.ConnectionError("Redis did not answer a moment ago; not tried again yet.")
        try:
            return super().call_with_retry(do, fail, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError):
            _down_until[self.server] = time.monotonic() + settings.REDIS_RETRY_AFTER_SECONDS
            raise


class CacheConnectionFactory(ConnectionFactory):
    """django-redis' connections (OPTIONS["CONNECTION_FACTORY"]), with `FailFastRetry`; its
    timeouts are the cache's SOCKET_TIMEOUT and SOCKET_CONNECT_TIMEOUT options."""

    def make_connection_params(self, url: str) -> dict[str, Any]:
        return {**super().make_connection_params(url), "retry": FailFastRetry(_server(url))}


def _server(url: str) -> str:
    """A Redis URL's host and port: what is up or down (databases share the server)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"


def _broker_client(*, socket_timeout: float) -> redis.Redis:
    return redis.Redis.from_url(
        Conf.REDIS,
        socket_timeout=socket_timeout,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        retry=FailFastRetry(_server(Conf.REDIS)),
    )


class RedisBroker(redis_broker.Redis):
    """django-q2's Redis broker (Q_CLUSTER["broker_class"]) on connections as above."""

    _blocking: redis.Redis | None = None  # the dequeuing connection, made on first use

    @staticmethod
    def get_connection(list_key: str | None = None) -> redis.Redis:
        return _broker_client(socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS)

    def dequeue(self):
        # Only the cluster's pusher dequeues: web processes never open this connection.
        if self._blocking is None:
            self._blocking = _broker_client(
                socket_timeout=DEQUEUE_WAIT_SECONDS + settings.REDIS_SOCKET_TIMEOUT_SECONDS
            )
        task = self._blocking.blpop(self.list_key, DEQUEUE_WAIT_SECONDS)
        if task:
            return [(None, task[1])]
        return None
