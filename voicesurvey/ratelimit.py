"""Fixed-window rate limits kept in the cache (Redis in production): how many times one user
(or address) did one kind of thing this minute. Used where repeating a request is itself the
attack — searching for phone numbers, probing what one may not see.

A cache that cannot be reached counts nothing and limits nothing (logged): a Redis outage must
not lock everybody out of the product.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def rate_limit_hit(*, scope: str, who: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one more `scope` by `who` in the current window; True when that makes more than
    `limit` in the window (the caller refuses with 429)."""
    window = int(time.time() // window_seconds)
    key = f"ratelimit:{scope}:{who}:{window}"
    try:
        cache.add(key, 0, window_seconds + 5)
        count = cache.incr(key)
    except Exception as exc:  # the backend's own error classes vary; any means "not counted"
        logger.warning("rate limit cache unavailable: %s", type(exc).__name__)
        return False
    if not isinstance(count, int):  # a backend that swallows its errors answers None
        logger.warning("rate limit cache unavailable: no count")
        return False
    return count > limit


def client_ip(request) -> str:
    """The client's address: the connection's, or, behind a trusted reverse proxy
    (TRUST_PROXY_HEADERS), the last address X-Forwarded-For names — the one the proxy itself
    saw; the ones before it are whatever the client wrote."""
    if settings.TRUST_PROXY_HEADERS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.META.get("REMOTE_ADDR", "") or ""


def requester_key(request) -> str:
    """Who is asking: the user's id when signed in, else the client address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"
