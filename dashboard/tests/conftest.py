"""Fixtures of the dashboard tests (the browser fixtures are in the root conftest)."""

from __future__ import annotations

import pytest


@pytest.fixture
def viewer_client(client, viewer_user):
    client.force_login(viewer_user)
    return client


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The task broker unreachable. The ORM broker keeps cluster stats in a Django cache
    (Q_CLUSTER["cache"]): point that cache at a Redis port nothing listens on. The Redis broker
    is read from Q_CLUSTER once, at import: point its address there."""
    from django_q.conf import Conf

    nowhere = "redis://127.0.0.1:1/0"
    if Conf.ORM:
        settings.CACHES = {
            **settings.CACHES,
            Conf.CACHE: {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": nowhere,
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": False},
            },
        }
    else:
        monkeypatch.setattr(Conf, "REDIS", nowhere)
