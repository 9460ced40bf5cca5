"""The statistics cache's keys and invalidation: the cache backend (Redis in production),
STATS_CACHE_TTL_SECONDS. A cache outage is a miss, never an error.

Here in the core, below every app: the domain and the engine drop a campaign's cached figures
when they change its contacts or calls (`campaign_stats_invalidate`) without knowing who reads
them; the read models (dashboard/cache.py) build their keys from `campaign_stats_generation`.

Campaign figures are keyed by campaign and query. Invalidation must drop every cached query of
a campaign at once, whatever its parameters, on any backend (local memory has no key
patterns). So each campaign has a *generation* in the cache, part of every key: invalidating
writes a new generation, and the old entries are never read again and expire on their own.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Far longer than any stats entry lives, so an expired generation can only ever bring back
# keys that have expired too.
_GENERATION_TTL_SECONDS = 24 * 3600


def _generation_key(campaign_id) -> str:
    return f"dashboard:stats-generation:{campaign_id}"


def cache_get(key: str) -> Any:
    """The cached value, or None when absent or when the cache cannot be reached."""
    try:
        return cache.get(key)
    except Exception as exc:  # the backend's own error classes vary; any means "miss"
        logger.warning("stats cache unavailable (get): %s", type(exc).__name__)
        return None


def cache_set(key: str, value: Any, timeout: int) -> None:
    """Store a value; a cache that cannot be reached is logged and ignored."""
    try:
        cache.set(key, value, timeout)
    except Exception as exc:
        logger.warning("stats cache unavailable (set): %s", type(exc).__name__)


def campaign_stats_generation(campaign_id) -> str:
    """The campaign's current generation, part of every key of its cached figures."""
    return cache_get(_generation_key(campaign_id)) or "0"


def campaign_stats_invalidate(*, campaign_id) -> None:
    """Forget every cached figure of this campaign (the next read recomputes)."""
    cache_set(_generation_key(campaign_id), uuid.uuid4().hex, _GENERATION_TTL_SECONDS)
