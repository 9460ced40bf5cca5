"""The dashboards' cache: the cache backend (Redis in production), STATS_CACHE_TTL_SECONDS.
A cache outage is a miss, never an error.

Campaign stats are keyed by campaign and query. Invalidation must drop every cached query of a
campaign at once, whatever its parameters, on any backend (local memory has no key patterns).
So each campaign has a *generation* in the cache, part of every key: invalidating writes a new
generation, and the old entries are never read again and expire on their own.

The system dashboard's blocks that aggregate whole tables (overview, queue, platforms,
campaigns) are cached too, one entry each: every open dashboard asks for them every minute, and
at a million contacts each still counts contacts or sums every stats bucket (tens of
milliseconds of database time). The orchestrator's figures are cheap and stay live.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from campaigns.models import Campaign
from dashboard import selectors

logger = logging.getLogger(__name__)

# Far longer than any stats entry lives, so an expired generation can only ever bring back
# keys that have expired too.
_GENERATION_TTL_SECONDS = 24 * 3600


def _generation_key(campaign_id) -> str:
    return f"dashboard:stats-generation:{campaign_id}"


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as exc:  # the backend's own error classes vary; any means "miss"
        logger.warning("stats cache unavailable (get): %s", type(exc).__name__)
        return None


def _cache_set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as exc:
        logger.warning("stats cache unavailable (set): %s", type(exc).__name__)


def campaign_stats_cache_key(
    *,
    campaign_id,
    generation: str,
    include_time_series: bool,
    time_series_hours: int,
    time_series_days: int,
) -> str:
    return (
        f"dashboard:stats:{campaign_id}:{generation}:"
        f"ts={int(include_time_series)}:h={time_series_hours}:d={time_series_days}"
    )


def campaign_stats_cached(
    *,
    campaign: Campaign,
    include_time_series: bool,
    time_series_hours: int,
    time_series_days: int,
) -> dict:
    """`campaign_stats` through the cache; `cached` says which way the figures came."""
    generation = _cache_get(_generation_key(campaign.pk)) or "0"
    key = campaign_stats_cache_key(
        campaign_id=campaign.pk,
        generation=generation,
        include_time_series=include_time_series,
        time_series_hours=time_series_hours,
        time_series_days=time_series_days,
    )
    stats = _cache_get(key)
    if stats is not None:
        return {**stats, "cached": True}
    stats = selectors.campaign_stats(
        campaign=campaign,
        include_time_series=include_time_series,
        time_series_hours=time_series_hours,
        time_series_days=time_series_days,
    )
    _cache_set(key, stats, settings.STATS_CACHE_TTL_SECONDS)
    return {**stats, "cached": False}


def campaign_stats_invalidate(*, campaign_id) -> None:
    """Forget every cached stats query of this campaign (the next read recomputes)."""
    _cache_set(_generation_key(campaign_id), uuid.uuid4().hex, _GENERATION_TTL_SECONDS)


SYSTEM_BLOCKS = {
    "overview": selectors.system_overview,
    "queue": selectors.system_queue,
    "platforms": selectors.system_platforms,
    "campaigns": selectors.system_campaigns,
}


def system_stats_cached(block: str) -> tuple[dict, dt.datetime]:
    """One system dashboard block (a key of SYSTEM_BLOCKS) through the cache: its figures, and
    when they were computed."""
    key = f"dashboard:system:{block}"
    entry = _cache_get(key)
    if entry is None:
        entry = (SYSTEM_BLOCKS[block](), timezone.now())
        _cache_set(key, entry, settings.STATS_CACHE_TTL_SECONDS)
    return entry
