"""The dashboards' cache: campaign statistics and results, and the system dashboard's blocks,
kept in the cache backend for STATS_CACHE_TTL_SECONDS. Keys, generations and invalidation live
in the core (voicesurvey/stats_cache.py), so that the domain and the engine can invalidate
without importing this read model. A cache outage is a miss, never an error.

The system dashboard's blocks that aggregate whole tables (overview, queue, platforms,
campaigns) are cached too, one entry each: every open dashboard asks for them every minute, and
at a million contacts each still counts contacts or sums every stats bucket (tens of
milliseconds of database time). The orchestrator's figures are cheap and stay live.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign
from dashboard import selectors
from dashboard.results import ResultsFilters, campaign_results
from voicesurvey import metrics
from voicesurvey.stats_cache import cache_get, cache_set, campaign_stats_generation


def _lookup_count(block: str, *, hit: bool) -> None:
    metrics.stats_cache_lookups_total.labels(block=block, result="hit" if hit else "miss").inc()


def campaign_stats_cache_key(
    *,
    campaign_id,
    generation: str,
    include_time_series: bool,
    time_series_hours: int,
    time_series_days: int,
    zone: str | None = None,
) -> str:
    key = (
        f"dashboard:stats:{campaign_id}:{generation}:"
        f"ts={int(include_time_series)}:h={time_series_hours}:d={time_series_days}"
    )
    return f"{key}:z={zone}" if zone else key


def campaign_stats_cached(
    *,
    campaign: Campaign,
    include_time_series: bool,
    time_series_hours: int,
    time_series_days: int,
    zone: str | None = None,
) -> dict:
    """`campaign_stats` through the cache; `cached` says which way the figures came. `zone`:
    the time series in another zone than the campaign's (a viewer's own)."""
    zone = None if zone == campaign.timezone else zone
    generation = campaign_stats_generation(campaign.pk)
    key = campaign_stats_cache_key(
        campaign_id=campaign.pk,
        generation=generation,
        include_time_series=include_time_series,
        time_series_hours=time_series_hours,
        time_series_days=time_series_days,
        zone=zone,
    )
    stats = cache_get(key)
    _lookup_count("campaign_stats", hit=stats is not None)
    if stats is not None:
        return {**stats, "cached": True}
    stats = selectors.campaign_stats(
        campaign=campaign,
        include_time_series=include_time_series,
        time_series_hours=time_series_hours,
        time_series_days=time_series_days,
        zone=zone,
    )
    cache_set(key, stats, settings.STATS_CACHE_TTL_SECONDS)
    return {**stats, "cached": False}


def campaign_results_cache_key(
    *, campaign_id, generation: str, filters: ResultsFilters, by: str | None
) -> str:
    """One key per query: the filters (and the zone of their dates), the free-text page and
    search, and the breakdown, as a digest (attribute names and values and searches are free
    text, and keys must stay short)."""
    query = json.dumps({**filters.as_data(), "zone": filters.zone, "by": by}, sort_keys=True)
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"dashboard:results:{campaign_id}:{generation}:{digest}"


def campaign_results_cached(*, campaign: Campaign, filters: ResultsFilters, by: str | None) -> dict:
    """`campaign_results` through the cache, keyed and invalidated as the campaign's stats
    (the same generation: `campaign_stats_invalidate` drops both); `cached` says which way."""
    key = campaign_results_cache_key(
        campaign_id=campaign.pk,
        generation=campaign_stats_generation(campaign.pk),
        filters=filters,
        by=by,
    )
    results = cache_get(key)
    _lookup_count("campaign_results", hit=results is not None)
    if results is not None:
        return {**results, "cached": True}
    results = campaign_results(campaign=campaign, filters=filters, by=by)
    cache_set(key, results, settings.STATS_CACHE_TTL_SECONDS)
    return {**results, "cached": False}


SYSTEM_BLOCKS: dict[str, Callable[[], dict]] = {
    "overview": selectors.system_overview,
    "queue": selectors.system_queue,
    "platforms": selectors.system_platforms,
    "campaigns": selectors.system_campaigns,
}


def system_stats_cached(block: str) -> tuple[dict, dt.datetime]:
    """One system dashboard block (a key of SYSTEM_BLOCKS) through the cache: its figures, and
    when they were computed."""
    key = f"dashboard:system:{block}"
    entry = cache_get(key)
    _lookup_count("system", hit=entry is not None)
    if entry is None:
        entry = (SYSTEM_BLOCKS[block](), timezone.now())
        cache_set(key, entry, settings.STATS_CACHE_TTL_SECONDS)
    return entry
